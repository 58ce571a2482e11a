"""balalaika-api --certfile/--keyfile: HTTPS under gunicorn with a certificate made by the test."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from launchers.process import Daemon, free_port, port_answers
from tests.api.conftest import ROOT
from tests.waiting import wait_for

OPENSSL = shutil.which("openssl")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)  # type: ignore[list-item]


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate it signed for 127.0.0.1/localhost: (ca, cert, key)."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=balalaika test CA",
             "-keyout", "ca.key", "-out", "ca.pem",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=directory)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
             "-out", "server.csr", cwd=directory)
    (directory / "server.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "server.ext", "-out", "server.pem", cwd=directory)
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


@pytest.fixture
def https_server(zk_hosts: str, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed (apt-get install openssl) to make a test certificate")
    ca, cert, key = make_certificates(tmp_path)
    port = free_port()
    daemon = Daemon([sys.executable, "-m", "api.serve", "--zk", zk_hosts, "--root", ROOT,
                     "--bind", f"127.0.0.1:{port}", "--workers", "1",
                     "--certfile", str(cert), "--keyfile", str(key)], tmp_path / "api.log").start()
    try:
        wait_for(lambda: port_answers("127.0.0.1", port) or not daemon.alive(), 30, "balalaika-api to listen")
        assert daemon.alive(), daemon.log_tail()
        yield port, ca
    finally:
        daemon.stop()


def test_https_answers_with_the_given_certificate_and_plain_http_fails(https_server) -> None:
    port, ca = https_server
    pong = requests.get(f"https://127.0.0.1:{port}/ping", verify=str(ca), timeout=10)
    assert pong.status_code == 200 and pong.text.strip() == "pong"
    assert requests.get(f"https://localhost:{port}/v2/info", verify=str(ca), timeout=10).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):  # not trusted without the CA
        requests.get(f"https://127.0.0.1:{port}/ping", verify=True, timeout=10)
    served = ssl.get_server_certificate(("127.0.0.1", port))
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert((ca.parent / "server.pem").read_text())
    with pytest.raises(requests.exceptions.ConnectionError):  # gunicorn drops a plaintext request unanswered
        requests.get(f"http://127.0.0.1:{port}/ping", timeout=10)
    assert requests.get(f"https://127.0.0.1:{port}/ping", verify=str(ca), timeout=10).status_code == 200
