"""The HAProxy fixture serves real traffic and answers its runtime API."""

import urllib.request
from collections.abc import Iterator

import pytest

from launchers.process import free_port
from tests.http_servers import answering


@pytest.fixture
def backend() -> Iterator[int]:
    with answering(lambda _path, _headers: (200, b"hello from the backend"), content_type="text/plain") as port:
        yield port


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
