"""`balalaika up` runs the whole backend, serves a POSTed app, and stops without leaving anything behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from launchers.process import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
BALALAIKA = str(Path(sys.executable).parent / "balalaika")

pytestmark = pytest.mark.slow  # runs the whole backend as processes


def _start(state: Path, ports: dict[str, int]) -> subprocess.Popen:
    argv = [BALALAIKA, "up", "--state-dir", str(state), "--no-docker", "--api-port", str(ports["api"]),
            "--mesos-port", str(ports["mesos"]), "--zk-port", str(ports["zk"])]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _processes_using(state: Path) -> list[str]:
    """Command lines of live processes that mention the stack's state dir (its daemons all do)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(state) in cmdline and int(pid) != os.getpid():
            found.append(cmdline)
    return found


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_up_serves_an_app_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {"api": free_port(), "mesos": free_port(), "zk": free_port()}
    stack = _start(tmp_path / "state", ports)
    lines: list[str] = []
    try:
        wait_for(lambda: lines.append(stack.stdout.readline()) or "Balalaika is up:" in lines[-1]
                 or stack.poll() is not None, 120, "the stack to come up")
        assert stack.poll() is None, "".join(lines)
        api = f"http://127.0.0.1:{ports['api']}"
        request = urllib.request.Request(f"{api}/v2/apps", data=(ROOT / "examples/sleep.json").read_bytes(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201

        def two_running() -> list[dict] | None:
            running = [t for t in _get(f"{api}/v2/apps/sleep/tasks")["tasks"] if t["state"] == "TASK_RUNNING"]
            return running if len(running) == 2 else None

        tasks = wait_for(two_running, 60, "two running tasks")
        assert all(t["ports"] for t in tasks)
        assert _get(f"{api}/v2/leader")["leader"]
    finally:
        stack.send_signal(signal.SIGTERM)
        assert stack.wait(60) == 0
    assert wait_for(lambda: not _processes_using(tmp_path / "state"), 20, "every daemon of the stack to exit")


def test_up_names_the_part_that_failed(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        ports = {"api": free_port(), "mesos": squatter.getsockname()[1], "zk": free_port()}
        stack = _start(tmp_path / "state", ports)
        output, _ = stack.communicate(timeout=180)
    assert stack.returncode == 1
    assert "mesos-local failed to start" in output
    assert not _processes_using(tmp_path / "state")


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path: Path):
    yield
    for cmdline in _processes_using(tmp_path):
        pytest.fail(f"left running: {cmdline}")
