"""`balalaika up`: the whole backend on loopback, started in order, supervised, stopped on Ctrl-C/SIGTERM.

ZooKeeper, mesos-local with its agents (and a private dockerd when Docker is available, so Docker apps
run too), the API under gunicorn and two schedulers (a leader and a hot standby). Each part must answer
before the next starts; a part that fails names itself with the end of its log.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from launchers.docker import DockerDaemon
from launchers.process import Daemon
from launchers.waiting import GiveUp, WaitTimeout, wait_for
from launchers.zookeeper import Peer, ZooKeeperServer

START_TIMEOUT = 90.0
RESTARTS = 3


class PartFailed(RuntimeError):
    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name} failed to start:\n{detail}")
        self.name = name


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


@dataclass
class Part:
    """One supervised process with a readiness probe."""

    name: str
    argv: list[str]
    ready: Callable[[], bool]
    log: Path
    daemon: Daemon | None = None
    restarts: int = 0

    def start(self) -> None:
        self.daemon = Daemon(self.argv, self.log).start()
        try:
            wait_for(self._ready_or_dead, START_TIMEOUT, self.name)
        except (WaitTimeout, GiveUp) as error:
            raise PartFailed(self.name, f"{error}\n--- {self.log} ---\n{self.daemon.log_tail()}") from None

    def _ready_or_dead(self) -> bool:
        if not self.daemon.alive():
            raise GiveUp(f"{self.name} exited with status {self.daemon.process.returncode}")
        return self.ready()

    def stop(self) -> None:
        if self.daemon is not None:
            self.daemon.stop(timeout=20)


def bin_path(name: str) -> str:
    """The console script beside the running interpreter (the venv's), else from PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state = Path(args.state_dir).expanduser()
        self.logs = self.state / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.stopping = threading.Event()
        self.zookeeper: ZooKeeperServer | None = None
        self.docker: DockerDaemon | None = None
        self.parts: list[Part] = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.args.api_port}"

    def _zk_hosts(self) -> str:
        return f"127.0.0.1:{self.args.zk_port}"

    def _start_zookeeper(self) -> None:
        self.zookeeper = ZooKeeperServer(self.state / "zookeeper", 1, [Peer(self.args.zk_port, 0, 0)])
        self.zookeeper.start()
        try:
            self.zookeeper.wait_serving(START_TIMEOUT)
        except (WaitTimeout, GiveUp) as error:
            raise PartFailed("zookeeper", f"{error}\n{self.zookeeper.daemon.log_tail()}") from None

    def _docker_host(self) -> str | None:
        if os.environ.get("DOCKER_HOST"):
            return os.environ["DOCKER_HOST"]
        if self.args.no_docker or shutil.which("dockerd") is None or os.geteuid() != 0:
            return None
        self.docker = DockerDaemon(bridge_name="balalaika0", bridge_cidr="198.18.250.1/24")
        try:
            self.docker.start()
            self.docker.build_busybox_image()
        except Exception as error:
            raise PartFailed("dockerd", str(error)) from None
        return self.docker.host

    def _part(self, name: str, argv: list[str], ready: Callable[[], bool]) -> Part:
        part = Part(name, argv, ready, self.logs / f"{name}.log")
        self.parts.append(part)
        part.start()
        return part

    def start(self) -> None:
        self._start_zookeeper()
        docker_host = self._docker_host()
        mesos = [bin_path("mesos-local"), "--port", str(self.args.mesos_port), "--agents", str(self.args.agents),
                 "--work-dir", str(self.state / "mesos"), "--zk", f"zk://{self._zk_hosts()}/mesos"]
        if docker_host:
            mesos += ["--docker-host", docker_host]
        self._part("mesos-local", mesos, lambda: http_ok(f"http://127.0.0.1:{self.args.mesos_port}/version"))
        self._part("api", [bin_path("balalaika-api"), "--zk", self._zk_hosts(),
                           "--bind", f"127.0.0.1:{self.args.api_port}", "--workers", "2"],
                   lambda: http_ok(f"{self.api_url}/ping"))
        scheduler = [bin_path("balalaika-scheduler"), "--master", f"127.0.0.1:{self.args.mesos_port}",
                     "--zk", self._zk_hosts(), "--hostname", "127.0.0.1", "--port", str(self.args.api_port)]
        self._part("scheduler-1", scheduler, lambda: http_ok(f"{self.api_url}/v2/leader"))
        self._part("scheduler-2", scheduler, lambda: True)  # the hot standby: alive is all it can show

    def supervise(self) -> None:
        """Restarts a part that died (a few times), until asked to stop."""
        while not self.stopping.wait(1.0):
            for part in self.parts:
                if part.daemon is not None and not part.daemon.alive() and not self.stopping.is_set():
                    if part.restarts >= RESTARTS:
                        print(f"balalaika up: {part.name} keeps exiting; see {part.log}", file=sys.stderr)
                        return
                    part.restarts += 1
                    print(f"balalaika up: {part.name} exited; restarting", file=sys.stderr)
                    part.start()

    def stop(self) -> None:
        for part in reversed(self.parts):
            part.stop()
        if self.zookeeper is not None:
            self.zookeeper.stop()
        if self.docker is not None:
            self.docker.stop()

    def banner(self) -> str:
        return "\n".join([
            "Balalaika is up:",
            f"  API (Marathon v2)  {self.api_url}   e.g. curl {self.api_url}/v2/apps",
            f"  Mesos master       http://127.0.0.1:{self.args.mesos_port}/master/state",
            f"  ZooKeeper          {self._zk_hosts()}",
            f"  logs               {self.logs}",
            "Try: curl -X POST -H 'Content-Type: application/json' "
            f"{self.api_url}/v2/apps -d @examples/sleep.json",
            "Ctrl-C stops everything.",
        ])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", default="~/.balalaika", help="ZooKeeper data, sandboxes and logs")
    parser.add_argument("--api-port", type=int, default=8080)
    parser.add_argument("--mesos-port", type=int, default=5050)
    parser.add_argument("--zk-port", type=int, default=2181)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--no-docker", action="store_true", help="do not start a private dockerd")


def run(args: argparse.Namespace) -> int:
    stack = Stack(args)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stack.stopping.set())
    try:
        stack.start()
        print(stack.banner(), flush=True)
        stack.supervise()
    except PartFailed as failure:
        print(f"balalaika up: {failure}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
    return 0
