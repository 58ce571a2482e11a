"""Running one health check probe (HTTP, HTTPS, TCP or COMMAND), bounded by the check's timeout.

Probes run on a small thread pool so that a slow probe never holds the executor's loop; each returns
(ok, cause). HTTP counts 200-399 as healthy, as Mesos does; HTTPS does not verify the certificate (the
task's own, for 127.0.0.1).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
from collections.abc import Mapping

from executor.spec import CheckSpec

HOST = "127.0.0.1"


def probe(check: CheckSpec, env: Mapping[str, str], cwd: str) -> tuple[bool, str]:
    try:
        if check.kind == "HTTP":
            return _http(check)
        if check.kind == "TCP":
            with socket.create_connection((HOST, check.port), timeout=check.timeout):
                return True, ""
        return _command(check, env, cwd)
    except (OSError, http.client.HTTPException, subprocess.SubprocessError) as error:
        return False, f"{type(error).__name__}: {error}"


def _http(check: CheckSpec) -> tuple[bool, str]:
    if check.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(HOST, check.port, timeout=check.timeout,
                                                                      context=context)
    else:
        conn = http.client.HTTPConnection(HOST, check.port, timeout=check.timeout)
    try:
        conn.request("GET", check.path, headers={"User-Agent": "balalaika-executor", "Connection": "close"})
        status = conn.getresponse().status
    finally:
        conn.close()
    return (200 <= status < 400), f"HTTP {status}"


def _command(check: CheckSpec, env: Mapping[str, str], cwd: str) -> tuple[bool, str]:
    process = subprocess.Popen(["/bin/sh", "-c", check.command], cwd=cwd, env=dict(env), start_new_session=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        code = process.wait(timeout=check.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False, f"command timed out after {check.timeout:g}s"
    return code == 0, f"command exited with status {code}"
