"""LoadCounter against a local http.server: exact counts, one connection per request, failures with reasons."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from launchers.process import free_port
from tests.load import LoadCounter
from tests.waiting import wait_for


@dataclass
class Seen:
    """What the server saw: requests and connections (one handler instance per connection)."""

    requests: int = 0
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def handler_class(seen: Seen) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # would keep connections open if the client let it

        def setup(self) -> None:
            super().setup()
            with seen.lock:
                seen.connections += 1

        def do_GET(self) -> None:
            with seen.lock:
                seen.requests += 1
            if self.path == "/slow":
                time.sleep(0.5)  # a backend slower than the counter's timeout
            status, body = {"/ok": (200, "backend-a\nsecond line\n"), "/fail": (503, "no server available\n"),
                            "/host": (200, f"{self.headers['Host']}\n")}.get(self.path, (404, "nothing\n"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class(seen))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def run_until(load: LoadCounter, total: int) -> None:
    with load:
        wait_for(lambda: load.total >= total, 10, f"{total} requests")


def test_counts_every_request_each_on_a_new_connection(server) -> None:
    url, seen = server
    load = LoadCounter(f"{url}/ok")
    run_until(load, 40)
    assert load.total == seen.requests == seen.connections
    assert load.failed == 0 and load.failures == []
    assert load.bodies == {"backend-a": load.total}


def test_non_2xx_answers_are_failures_with_their_reason(server) -> None:
    url, seen = server
    load = LoadCounter(f"{url}/fail", threads=2)
    run_until(load, 10)
    assert load.failed == load.total == seen.requests
    assert load.succeeded == 0 and not load.bodies
    assert load.failures[0] == "HTTP 503: no server available"


def test_sends_the_host_header(server) -> None:
    url, _ = server
    load = LoadCounter(f"{url}/host", host_header="web.example")
    run_until(load, 5)
    assert set(load.bodies) == {"web.example"}


def test_connection_errors_and_timeouts_are_failures(server) -> None:
    refused = LoadCounter(f"http://127.0.0.1:{free_port()}/", threads=1)
    run_until(refused, 5)
    assert refused.failed == refused.total
    assert refused.failures[0].startswith("ConnectionRefusedError")

    url, _ = server
    slow = LoadCounter(f"{url}/slow", threads=2, timeout=0.1)
    run_until(slow, 2)
    assert slow.failed == slow.total
    assert all(reason.startswith("TimeoutError") for reason in slow.failures)


def test_stops_by_itself_after_max_duration(server) -> None:
    url, seen = server
    load = LoadCounter(f"{url}/ok", max_duration=0.3).start()
    wait_for(lambda: not load.running, 5, "the load threads to end on their own")
    assert 0 < load.total == seen.requests
