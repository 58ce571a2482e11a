"""balalaika-api stops promptly on SIGTERM even with event streams open (their threads would otherwise
hold gunicorn's graceful stop for its whole timeout)."""

from __future__ import annotations

import sys
import time

import requests

from launchers.process import Daemon, free_port, port_answers
from tests.api.conftest import ROOT
from tests.waiting import wait_for


def test_sigterm_ends_open_event_streams_and_the_server(zk_hosts, tmp_path):
    port = free_port()
    daemon = Daemon([sys.executable, "-m", "api.serve", "--zk", zk_hosts, "--root", ROOT,
                     "--bind", f"127.0.0.1:{port}", "--workers", "1"], tmp_path / "api.log").start()
    try:
        wait_for(lambda: port_answers("127.0.0.1", port), 30, "balalaika-api to listen")
        streams = [requests.get(f"http://127.0.0.1:{port}/v2/events", stream=True, timeout=10) for _ in range(3)]
        for stream in streams:
            assert next(stream.iter_lines()).startswith(b"event: event_stream_attached")
        started = time.monotonic()
        daemon.process.terminate()
        daemon.process.wait(timeout=30)
        # gunicorn's graceful timeout is 5 s: a stop that waited for the streams would take all of it
        assert time.monotonic() - started < 4.5, daemon.log_tail()
        assert daemon.process.returncode == 0, daemon.log_tail()
    finally:
        daemon.stop()
