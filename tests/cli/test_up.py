"""`balalaika up` end to end: the whole platform from one command (ZooKeeper, a private dockerd, mesos-local,
the API, two schedulers, balalaika-lb and its HAProxy) on free ports; the example web app served through the
edge; Ctrl-C leaving nothing behind, containers included; a second `up` bringing the app back; and a setup
that cannot work named before anything starts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
import requests

from launchers.docker import STACK_IMAGE, ensure_busybox_image
from launchers.process import free_port, pid_alive
from tests.fixtures.docker import skip_without_docker
from tests.fixtures.mesoslocal import free_port_block
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
BALALAIKA = str(Path(sys.executable).parent / "balalaika")
READY_LINE = "Ctrl-C stops everything."
TASK_LABEL = "mesoslocal.task_id"  # set by mesos-local's Docker runner on each task's container

pytestmark = pytest.mark.slow  # runs the whole platform as processes


@dataclass
class Up:
    """One `balalaika up` process on its own free ports, its output collected line by line."""

    state: Path
    flags: list[str]
    process: subprocess.Popen | None = None
    lines: list[str] = field(default_factory=list)

    @classmethod
    def on_free_ports(cls, state: Path, *extra: str) -> Up:
        slot = os.getpid() % 250 + 1  # a bridge and subnet of this test run's own (the Docker fixture uses 198.18)
        service_ports, task_ports = free_port_block(20), free_port_block(300)
        flags = ["--state-dir", str(state), "--api-port", str(free_port()), "--mesos-port", str(free_port()),
                 "--zk-port", str(free_port()), "--http-port", str(free_port()), "--stats-port", str(free_port()),
                 "--appid-port", str(free_port()), "--scheduler-metrics-port", str(free_port_block(2)),
                 "--service-ports", f"{service_ports}-{service_ports + 19}",
                 "--task-ports", f"{task_ports}-{task_ports + 299}", "--docker-bridge", f"bup{slot}",
                 "--docker-cidr", f"198.19.{slot}.1/24", *extra]
        return cls(state, flags)

    def flag(self, name: str) -> str:
        return self.flags[self.flags.index(name) + 1]

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.flag('--api-port')}"

    @property
    def edge_port(self) -> int:
        return int(self.flag("--http-port"))

    def start(self) -> Up:
        self.lines = []
        self.process = subprocess.Popen([BALALAIKA, "up", *self.flags], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=self._collect, daemon=True).start()
        return self

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_up(self, timeout: float = 120) -> float:
        """Seconds from now until the stack says it is up (failing with its output if it exits first)."""
        began = time.monotonic()
        wait_for(lambda: READY_LINE in self.output or self.process.poll() is not None, timeout,
                 "the stack to come up")
        assert READY_LINE in self.output, self.output
        return time.monotonic() - began

    def banner_value(self, label: str) -> str:
        """The first word after `label` on its banner line (an endpoint)."""
        line = next(line for line in self.output.splitlines() if line.strip().startswith(label))
        return line.strip().removeprefix(label).split()[0]

    def stop(self, sig: int = signal.SIGINT, timeout: float = 90) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def _processes_using(*paths: Path) -> list[str]:
    """Command lines of live processes that mention one of `paths` (every daemon of the stack does)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(str(path) in cmdline for path in paths) and int(pid) != os.getpid():
            found.append(cmdline)
    return found


def _post(api: str, app: dict) -> None:
    response = requests.post(f"{api}/v2/apps", json=app, timeout=10)
    assert response.status_code == 201, response.text


def _healthy_tasks(api: str, app_id: str, count: int) -> list[dict]:
    tasks = requests.get(f"{api}/v2/apps{app_id}/tasks", timeout=5).json()["tasks"]
    healthy = [t for t in tasks if t["state"] == "TASK_RUNNING"
               and all(r["alive"] for r in t.get("healthCheckResults") or [{"alive": False}])]
    return healthy if len(healthy) == count else []


def _served_by(port: int, host: str, task_ids: set[str], timeout: float = 30) -> None:
    """Waits until requests through the edge (Host: `host`) have reached each task, and only them."""
    seen: set[str] = set()

    def all_seen() -> bool:
        response = requests.get(f"http://127.0.0.1:{port}/", headers={"Host": host, "Connection": "close"},
                                timeout=5)
        if response.ok:
            served = response.text.strip().removeprefix("hello from ")
            assert served in task_ids, f"{served!r} answered, not one of {task_ids}"
            seen.add(served)
        return seen == task_ids

    wait_for(all_seen, timeout, f"the edge to route {host} to {sorted(task_ids)} (seen {sorted(seen)})")


def _containers(docker_host: str) -> dict[str, int]:
    """Task id -> PID of every container of the daemon (all states), read with the Docker SDK."""
    client = docker.DockerClient(base_url=docker_host, timeout=30)
    try:
        return {c.labels.get(TASK_LABEL, c.name): c.attrs["State"]["Pid"] for c in client.containers.list(all=True)}
    finally:
        client.close()


def test_up_serves_the_web_example_through_the_edge_and_brings_it_back(tmp_path: Path) -> None:
    skip_without_docker()
    up = Up.on_free_ports(tmp_path / "state").start()
    try:
        print(f"balalaika up -> healthy: {up.wait_up():.1f} s")
        for label in ("API (Marathon v2)", "edge (HAProxy)", "HAProxy stats", "Mesos master", "ZooKeeper", "logs"):
            assert label in up.output
        assert f"curl -H 'Host: web.localhost' http://127.0.0.1:{up.edge_port}/" in up.output
        assert "balalaika_scheduler_leader" in requests.get(up.banner_value("scheduler metrics"), timeout=10).text
        assert "came back" not in up.output
        assert f"image {STACK_IMAGE} just imported" in up.output  # a new private daemon lacks it
        docker_host = up.banner_value("Docker")

        app = json.loads((ROOT / "examples/web.json").read_text())
        assert app["instances"] == 3 and app["container"]["docker"]["image"] == STACK_IMAGE
        posted = time.monotonic()
        _post(up.api, app)
        first = {t["id"] for t in wait_for(lambda: _healthy_tasks(up.api, "/web", 3), 60, "3 healthy instances")}
        healthy = time.monotonic() - posted
        _served_by(up.edge_port, "web.localhost", first)
        print(f"POST -> 3 healthy: {healthy:.1f} s, -> routed to all 3: {time.monotonic() - posted:.1f} s")
        containers = _containers(docker_host)
        assert set(containers) == first
    finally:
        assert up.stop(signal.SIGINT) == 0, up.output

    docker_home = Path(docker_host.removeprefix("unix://")).parent
    assert wait_for(lambda: not _processes_using(up.state, docker_home), 20, "every daemon of the stack to exit")
    assert not [pid for pid in containers.values() if pid_alive(pid)], "a task's container is still running"
    assert not list((up.state / "docker" / "containers").iterdir()), "the private daemon kept a container"

    up.start()
    try:
        up.wait_up()
        assert "1 app came back" in up.output and "being replaced" in up.output, up.output
        assert "just imported" not in up.output  # the private daemon keeps its images in the state dir
        assert "an earlier run had left" not in up.output  # and the first run left it no container
        began = time.monotonic()
        second = {t["id"] for t in wait_for(lambda: _healthy_tasks(up.api, "/web", 3), 60, "3 new instances")}
        assert not second & first
        _served_by(up.edge_port, "web.localhost", second)
        print(f"restart: app back, healthy and routed after {time.monotonic() - began:.1f} s")
        assert set(_containers(up.banner_value("Docker"))) == second  # none of the first run's is left
    finally:
        assert up.stop(signal.SIGTERM) == 0, up.output


def test_up_names_what_cannot_work_before_starting_anything(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        up = Up.on_free_ports(tmp_path / "state", "--haproxy-bin", str(tmp_path / "no-haproxy"))
        up.flags[up.flags.index("--http-port") + 1] = str(taken)
        up.start()
        assert up.process.wait(30) == 1
    assert f"port {taken} (the edge's virtual hosts) is in use" in up.output
    assert "--http-port" in up.output.split(f"port {taken}")[1].splitlines()[0]
    assert f"{tmp_path / 'no-haproxy'} is missing (the HAProxy edge needs it): apt-get install haproxy" in up.output
    assert not (up.state / "logs").exists()  # nothing was started


def test_up_names_the_part_that_failed_and_stops_the_others(tmp_path: Path) -> None:
    up = Up.on_free_ports(tmp_path / "state", "--no-docker", "--haproxy-bin", "/bin/false").start()
    assert up.process.wait(120) == 1, up.output
    assert "balalaika-lb failed to start" in up.output
    assert "Balalaika is up" not in up.output
    assert wait_for(lambda: not _processes_using(up.state), 20, "every daemon of the stack to exit")


def test_the_stack_image_is_imported_into_a_daemon_that_lacks_it(docker_daemon) -> None:
    tag = "balalaika-test/stack-image:1"  # the session daemon's own copy, whatever other tests did with theirs
    docker_daemon.docker("rmi", "-f", tag)
    assert ensure_busybox_image(docker_daemon.host, tag) is True
    assert ensure_busybox_image(docker_daemon.host, tag) is False  # present: kept as it is
    listing = docker_daemon.docker("run", "--rm", tag, "sh", "-c", "ls /www && command -v httpd")
    assert "index.html" in listing and "httpd" in listing


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path: Path):
    yield
    for cmdline in _processes_using(tmp_path):
        pytest.fail(f"left running: {cmdline}")
