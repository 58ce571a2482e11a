"""The HAProxy fixture serves real traffic and answers its runtime API."""

import http.server
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from launchers.process import free_port


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from the backend"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_request_served_through_haproxy_and_reload(haproxy_factory, backend: int, tmp_path) -> None:
    port = free_port()
    proxy = haproxy_factory(f"""
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    server app1 127.0.0.1:{backend}
""")
    url = f"http://127.0.0.1:{port}/"
    assert urllib.request.urlopen(url, timeout=5).read() == b"hello from the backend"

    first_workers = proxy.worker_pids()
    proxy.reload()
    assert proxy.worker_pids() != first_workers
    assert urllib.request.urlopen(url, timeout=5).read() == b"hello from the backend"

    proxy.runtime_command("set server app/app1 state maint")
    stat = proxy.runtime_command("show stat")
    assert any(line.startswith("app,app1,") and ",MAINT," in line for line in stat.splitlines())
