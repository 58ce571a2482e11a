"""The lb's API client: failover between --marathon URLs, basic auth, the event stream's framing."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from launchers.process import free_port
from lb.marathon import MarathonClient, MarathonUnavailable
from tests.http_servers import answering

APPS = b'{"apps": [{"id": "/web", "tasks": []}]}'
EVENTS = (b"event: event_stream_attached\ndata: {\"eventType\": \"event_stream_attached\"}\n\n"
          b": heartbeat\n\n"
          b"event: status_update_event\ndata: {\"eventType\": \"status_update_event\",\n"
          b"data: \"appId\": \"/web\"}\n\n")


@pytest.fixture
def api() -> Iterator[tuple[str, list[str]]]:
    """A Marathon-shaped server that wants `Authorization: Basic admin:secret`; records the paths asked."""
    asked: list[str] = []
    wanted = "Basic " + base64.b64encode(b"admin:secret").decode()

    def answer(path: str, headers) -> tuple[int, bytes]:
        asked.append(path)
        if headers.get("Authorization") != wanted:
            return 401, b""
        return 200, EVENTS if path.startswith("/v2/events") else APPS

    with answering(answer, content_type="text/plain") as port:
        yield f"http://127.0.0.1:{port}", asked


def test_a_dead_url_fails_over_to_the_next_and_the_live_one_goes_first(api):
    url, asked = api
    dead = f"http://127.0.0.1:{free_port()}"
    client = MarathonClient([dead, url], credentials="admin:secret", timeout=2)
    assert [app["id"] for app in client.apps()] == ["/web"]
    assert client.urls[0] == url
    with pytest.raises(MarathonUnavailable):
        MarathonClient([dead], timeout=2).apps()


def test_credentials_are_sent_and_a_refusal_is_not_retried_elsewhere(api):
    url, asked = api
    with pytest.raises(Exception, match="401"):
        MarathonClient([url], timeout=2).apps()
    assert asked == ["/v2/apps?embed=apps.tasks"]


def test_events_are_parsed_from_sse_frames_and_comments_ignored(api):
    url, asked = api
    events = list(MarathonClient([url], credentials="admin:secret").events(["status_update_event"], 5))
    assert events == [{"eventType": "event_stream_attached"}, {"eventType": "status_update_event", "appId": "/web"}]
    assert asked[-1].startswith("/v2/events?plan-format=light&event_type=status_update_event")


def test_the_lb_drives_an_haproxy_that_runs_already_and_leaves_it_running(api, tmp_path):
    from launchers.haproxy import HAProxy
    from tests.fixtures.edge import EdgeProcess
    from tests.waiting import wait_for

    url, _ = api
    home = tmp_path / "edge"
    home.mkdir()
    config = home / "haproxy.cfg"
    config.write_text(f"global\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n"
                      f"    timeout server 5s\nfrontend placeholder\n    bind 127.0.0.1:{free_port()}\n")
    running = HAProxy(config, home).start()
    try:
        edge = EdgeProcess(url, home, "--auth-credentials", "admin:secret", "--group", "*").start()
        wait_for(lambda: "listen stats" in config.read_text(), 10,
                 "the lb's config in the running HAProxy's file")
        assert edge.stats("/_haproxy_health_check").ok  # served by the HAProxy that was running
        edge.stop()
        # its master socket is closed for a moment while a reload the lb asked for re-executes the master
        wait_for(running.worker_pids, 10, "the HAProxy that was running to go on with workers")
        assert running.daemon.alive()
    finally:
        running.stop()
