"""Many /v2/events subscribers on balalaika-api under gunicorn: they do not take the api's request capacity,
each gets every event, their number is bounded per client address with a clear refusal, and a hang-up frees
its place at once."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator

import pytest
import requests

from launchers.process import Daemon, free_port, port_answers
from tests.api.conftest import ROOT
from tests.sse import RawStream, waiting_for
from tests.waiting import wait_for

ATTACHED = b"event: event_stream_attached"


@pytest.fixture
def start_api(zk_hosts: str, tmp_path) -> Iterator[Callable[..., int]]:
    daemons: list[Daemon] = []

    def start(*flags: str, workers: int = 2) -> int:
        port = free_port()
        daemon = Daemon([sys.executable, "-m", "api.serve", "--zk", zk_hosts, "--root", ROOT, "--bind",
                         f"127.0.0.1:{port}", "--workers", str(workers), *flags],
                        tmp_path / f"api-{port}.log").start()
        daemons.append(daemon)
        wait_for(lambda: port_answers("127.0.0.1", port), 30, "balalaika-api to listen")
        return port

    yield start
    for daemon in daemons:
        daemon.stop()


def test_hundreds_of_subscribers_leave_the_api_answering_and_all_get_a_new_apps_event(start_api):
    # With a thread per stream (2 workers x 16 threads), 60 streams made GET /v2/apps wait until they closed.
    port = start_api("--event-streams-per-client", "300")  # all from 127.0.0.1 here; 250 by default
    streams = [RawStream(port) for _ in range(300)]
    try:
        assert {stream.status for stream in streams} == {200}
        assert waiting_for(streams, ATTACHED, 30) == []
        base = f"http://127.0.0.1:{port}"
        for _ in range(20):
            assert requests.get(f"{base}/v2/apps", timeout=5).status_code == 200
        answer = requests.post(f"{base}/v2/apps", json={"id": "/streams/new", "cmd": "sleep 60", "cpus": 0.01,
                                                        "mem": 8, "instances": 0}, timeout=10)
        assert answer.status_code == 201, answer.text
        missed = waiting_for(streams, b'"uri":"/v2/apps"', 20)
        assert not missed, f"{len(missed)} of {len(streams)} streams did not get the api_post_event"
    finally:
        for stream in streams:
            stream.close()


def test_streams_past_the_per_client_bound_are_refused_across_workers_and_a_hang_up_frees_a_place(start_api):
    port = start_api("--event-streams-per-client", "4", workers=2)
    streams = [RawStream(port) for _ in range(4)]
    try:
        assert [stream.status for stream in streams] == [200] * 4
        refused = requests.get(f"http://127.0.0.1:{port}/v2/events", timeout=5, stream=True)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"]
        assert "limit 4 per client" in refused.json()["message"]
        streams.pop().close()

        def another_accepted() -> bool:
            stream = RawStream(port)
            if stream.status == 200:
                streams.append(stream)
                return True
            stream.close()
            return False

        # the closed stream's place is free long before the 15 s heartbeat would have noticed the hang-up
        wait_for(another_accepted, 5, "a stream accepted again after one was closed")
    finally:
        for stream in streams:
            stream.close()


def test_a_stream_asking_for_them_sees_others_attach_and_detach(start_api):
    port = start_api(workers=1)  # attach/detach events reach the streams of the same worker
    watcher = RawStream(port, "?event_type=event_stream_attached&event_type=event_stream_detached")
    plain = RawStream(port)
    other = RawStream(port)
    try:
        assert waiting_for([watcher, plain, other], ATTACHED, 10) == []
        other.close()
        assert watcher.wait_for(b"event: event_stream_detached", 10)
        frames = [line for line in watcher.received.split(b"\n") if line.startswith(b"data:")]
        kinds = [json.loads(line[5:])["eventType"] for line in frames]
        assert kinds[-3:] == ["event_stream_attached", "event_stream_attached", "event_stream_detached"]
        assert json.loads(frames[-1][5:])["remoteAddress"] == "127.0.0.1"
        # a stream without a filter gets neither (they would flood every subscriber when many connect),
        # but it does get the events that follow
        requests.post(f"http://127.0.0.1:{port}/v2/apps", json={"id": "/streams/later", "cmd": "sleep 60",
                                                                "instances": 0}, timeout=10).raise_for_status()
        assert plain.wait_for(b"api_post_event", 10)
        assert plain.received.count(b"event: event_stream_") == 1  # its own attached frame only
    finally:
        for stream in (watcher, plain, other):
            stream.close()
