"""`balalaika up`: the whole platform on loopback, started in order, supervised, stopped on Ctrl-C/SIGTERM.

ZooKeeper, a private dockerd (with the offline image `balalaika/busybox:latest`), mesos-local with its
agents, the API under gunicorn, two schedulers (a leader and a hot standby) and the HAProxy edge
(balalaika-lb and its HAProxy). `--zk`, `--master` and `--docker-host` use existing services instead.

Before starting anything, the setup is checked (cli.preflight): missing programs name their Debian package,
taken ports the flag that moves them. Each part must then answer before the next starts; a part that fails
names itself with the end of its log, and what was started is stopped again. State lives in the state dir
(ZooKeeper's data, the private daemon's images, the edge's config and sockets, logs), so a second
`balalaika up` brings the same apps back; their tasks, which ended with the previous agents, are replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cli import preflight
from launchers.docker import STACK_IMAGE, BridgeInUse, DockerDaemon, ensure_busybox_image, has_image
from launchers.haproxy import HAProxy
from launchers.process import Daemon
from launchers.waiting import GiveUp, WaitTimeout, wait_for
from launchers.zookeeper import CLASSPATH, Peer, ZooKeeperServer

START_TIMEOUT = 90.0
RESTARTS = 3
EDGE_GROUP = "external"  # apps with HAPROXY_GROUP=external are routed, as with Marathon-LB's default
AGENT_SIZE = "cpus:4;mem:4096;disk:10000"  # each mesos-local agent's resources, besides its share of --task-ports
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class PartFailed(RuntimeError):
    def __init__(self, name: str, detail: str, what: str = "failed to start") -> None:
        super().__init__(f"{name} {what}:\n{detail}")
        self.name = name


class Interrupted(GiveUp):
    """Ctrl-C or SIGTERM arrived while the stack was starting."""


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@dataclass
class Part:
    """One supervised process with a readiness probe; `cancel` (when set) ends a wait for it at once."""

    name: str
    argv: list[str]
    ready: Callable[[], bool]
    log: Path
    daemon: Daemon | None = None
    restarts: int = 0
    cancel: threading.Event | None = None

    def start(self) -> None:
        self.daemon = Daemon(self.argv, self.log).start()
        try:
            wait_for(self._ready_or_dead, START_TIMEOUT, self.name)
        except Interrupted:
            raise
        except (WaitTimeout, GiveUp) as error:
            raise PartFailed(self.name, f"{error}\n--- {self.log} ---\n{self.daemon.log_tail()}") from None

    def _ready_or_dead(self) -> bool:
        if self.cancel is not None and self.cancel.is_set():
            raise Interrupted(f"stopped while waiting for {self.name}")
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


@dataclass(frozen=True)
class Plan:
    """Which parts `balalaika up` starts itself, from its flags; the others are existing services."""

    zookeeper: bool  # else --zk
    mesos: bool  # else --master
    docker: str  # "private" (a dockerd of ours), "existing" (--docker-host / DOCKER_HOST) or "none"

    @classmethod
    def of(cls, args: argparse.Namespace) -> Plan:
        if args.no_docker:
            docker = "none"
        elif args.docker_host:
            docker = "existing"
        elif args.master:  # an existing master's agents bring their own Docker
            docker = "none"
        else:
            docker = "private"
        return cls(zookeeper=not args.zk, mesos=not args.master, docker=docker)


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.plan = Plan.of(args)
        self.state = Path(args.state_dir).expanduser().resolve()
        self.logs = self.state / "logs"
        self.edge_home = self.state / "lb"
        self.stopping = threading.Event()
        self.parts: list[Part] = []
        self.docker_host: str | None = args.docker_host if self.plan.docker == "existing" else None
        self.image_imported = False
        self.leftover_containers = 0
        self._cleanup = contextlib.ExitStack()  # what was started, stopped in reverse order

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.args.api_port}"

    @property
    def zk_hosts(self) -> str:
        return self.args.zk or f"127.0.0.1:{self.args.zk_port}"

    @property
    def master(self) -> str:
        return self.args.master or f"127.0.0.1:{self.args.mesos_port}"

    @property
    def scheduler_metrics_ports(self) -> tuple[int, int]:
        """The two schedulers' metrics ports: --scheduler-metrics-port and the next one."""
        return self.args.scheduler_metrics_port, self.args.scheduler_metrics_port + 1

    @property
    def edge_url(self) -> str:
        return "http://127.0.0.1" + ("" if self.args.http_port == 80 else f":{self.args.http_port}")

    def _haproxy(self) -> HAProxy:
        return HAProxy(self.edge_home / "haproxy.cfg", self.edge_home, self.args.haproxy_bin)

    # -- checks before anything starts ------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Everything that would make the start fail, in words a user can act on (empty when none)."""
        args, plan = self.args, self.plan
        problems = preflight.missing_programs(self._programs())
        if not plan.zookeeper and (problem := preflight.zookeeper_problem(args.zk)):
            problems.append(problem)
        if not plan.mesos and (problem := preflight.master_problem(args.master)):
            problems.append(problem)
        if plan.docker == "private":
            if problem := preflight.root_problem("the private Docker daemon", "pass --docker-host of a Docker "
                                                 "daemon you may use, or --no-docker (command apps only)"):
                problems.append(problem)
            problems += preflight.busybox_problems()
        elif plan.docker == "existing":
            if problem := preflight.docker_problem(self.docker_host):
                problems.append(problem)
            elif not self._has_stack_image():
                problems += preflight.busybox_problems()
        problems += preflight.port_problems(self._listeners())
        problems += preflight.socket_path_problems([self.edge_home / "master.sock", self.edge_home / "admin.sock"])
        return problems

    def _has_stack_image(self) -> bool:
        try:
            return has_image(self.docker_host, STACK_IMAGE)
        except (OSError, subprocess.SubprocessError):
            return False  # the import will say why

    def _programs(self) -> list[preflight.Program]:
        programs = [preflight.Program(self.args.haproxy_bin, "haproxy", "the HAProxy edge")]
        if self.plan.zookeeper:
            programs += [preflight.Program(path, "zookeeper", "ZooKeeper") for path in ["java", *CLASSPATH.split(":")]]
        if self.plan.docker == "private":
            programs += [preflight.Program("dockerd", "docker.io", "the private Docker daemon"),
                         preflight.Program("docker", "docker.io", "the private Docker daemon"),
                         preflight.Program("ip", "iproute2", "the private Docker daemon's bridge")]
        return programs

    def _listeners(self) -> list[preflight.Listener]:
        args = self.args
        listeners = [preflight.Listener(args.api_port, "the API", "--api-port"),
                     preflight.Listener(args.http_port, "the edge's virtual hosts", "--http-port"),
                     preflight.Listener(args.stats_port, "HAProxy's stats", "--stats-port")]
        if args.scheduler_metrics_port:
            listeners += [preflight.Listener(port, f"scheduler-{n}'s metrics", "--scheduler-metrics-port")
                          for n, port in enumerate(self.scheduler_metrics_ports, 1)]
        if args.appid_port:
            listeners.append(preflight.Listener(args.appid_port, "the edge's app-id routing", "--appid-port"))
        if self.plan.zookeeper:
            listeners.append(preflight.Listener(args.zk_port, "ZooKeeper", "--zk-port"))
        if self.plan.mesos:
            listeners.append(preflight.Listener(args.mesos_port, "the Mesos master", "--mesos-port"))
        return listeners

    # -- starting ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts every part in order. Raises PartFailed naming the first that did not come up, Interrupted
        on Ctrl-C/SIGTERM; either way what was started stays registered for stop()."""
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.plan.zookeeper:
            self._start_zookeeper()
        if self.plan.docker != "none":
            self._step()
            self._start_docker()
        if self.plan.mesos:
            self._start_mesos()
        self._part("api", [bin_path("balalaika-api"), "--zk", self.zk_hosts,
                           "--bind", f"127.0.0.1:{self.args.api_port}", "--workers", "2",
                           "--service-ports", self.args.service_ports,
                           # the dashboard's Cluster page lists what the edge (started below) routes
                           "--edge-admin", f"http://127.0.0.1:{self.args.stats_port}"],
                   lambda: http_ok(f"{self.api_url}/ping"))
        scheduler = [bin_path("balalaika-scheduler"), "--master", self.master, "--zk", self.zk_hosts,
                     "--hostname", "127.0.0.1", "--port", str(self.args.api_port)]
        first, second = ([["--metrics-port", str(port)] for port in self.scheduler_metrics_ports]
                         if self.args.scheduler_metrics_port else ([], []))
        self._part("scheduler-1", scheduler + first, lambda: http_ok(f"{self.api_url}/v2/leader"))
        self._part("scheduler-2", scheduler + second, lambda: True)  # the hot standby: alive is all it can show
        self._start_edge()

    def _step(self) -> None:
        if self.stopping.is_set():
            raise Interrupted("stopped while starting")

    def _start_zookeeper(self) -> None:
        # a 500 ms tick: ZooKeeper expires sessions on tick boundaries, so the schedulers' 4 s session ends
        # within 4-4.5 s of a leader's death (2 s ticks: up to 6 s), and timeouts down to 1 s are granted
        zookeeper = ZooKeeperServer(self.state / "zookeeper", 1, [Peer(self.args.zk_port, 0, 0)], tick_ms=500)
        self._cleanup.callback(zookeeper.stop)
        zookeeper.start()
        try:
            zookeeper.wait_serving(START_TIMEOUT)
        except (WaitTimeout, GiveUp) as error:
            raise PartFailed("zookeeper", f"{error}\n{zookeeper.daemon.log_tail()}") from None

    def _start_docker(self) -> None:
        """The private dockerd (its images kept in the state dir), then the offline image on whichever daemon
        runs the Docker tasks, unless it already has an image of that name."""
        if self.plan.docker == "private":
            docker = DockerDaemon(self.args.docker_bridge, self.args.docker_cidr, data_root=self.state / "docker",
                                  log=self.logs / "dockerd.log")
            self._cleanup.callback(docker.stop)  # also removes the containers mesos-local may have left
            try:
                docker.start()
                # a stack that was killed leaves its containers behind; their tasks are replaced anyway
                self.leftover_containers = docker.remove_all_containers()
            except BridgeInUse as error:
                raise PartFailed("dockerd", f"{error}: pass --docker-bridge and --docker-cidr") from None
            except (OSError, subprocess.SubprocessError, WaitTimeout, GiveUp) as error:
                tail = docker.daemon.log_tail() if docker.daemon else ""
                raise PartFailed("dockerd", f"{error}\n--- {docker.log} ---\n{tail}") from None
            self.docker_host = docker.host
        try:
            self.image_imported = ensure_busybox_image(self.docker_host, STACK_IMAGE)
        except subprocess.CalledProcessError as error:
            detail = (error.stderr or b"").decode(errors="replace").strip()
            raise PartFailed(f"the image {STACK_IMAGE}", f"docker import on {self.docker_host}: {detail}") from None
        except (OSError, subprocess.SubprocessError) as error:
            raise PartFailed(f"the image {STACK_IMAGE}", f"docker on {self.docker_host}: {error}") from None

    def _start_mesos(self) -> None:
        argv = [bin_path("mesos-local"), "--port", str(self.args.mesos_port), "--agents", str(self.args.agents),
                "--agent-resources", f"{AGENT_SIZE};ports:[{self.args.task_ports}]",
                "--work-dir", str(self.state / "mesos"), "--zk", f"zk://{self.zk_hosts}/mesos"]
        if self.docker_host:
            argv += ["--docker-host", self.docker_host]
        self._part("mesos-local", argv, lambda: http_ok(f"http://127.0.0.1:{self.args.mesos_port}/version"))

    def _start_edge(self) -> None:
        self.edge_home.mkdir(parents=True, exist_ok=True)
        haproxy = self._haproxy()
        # after balalaika-lb has stopped: an HAProxy it drove without starting it (after a restart) is ours too
        self._cleanup.callback(haproxy.stop_master)
        argv = [bin_path("balalaika-lb"), "--marathon", self.api_url, "--group", EDGE_GROUP, "--health-check",
                "--haproxy-config", str(haproxy.config), "--haproxy-bin", self.args.haproxy_bin,
                "--bind-address", "127.0.0.1", "--http-port", str(self.args.http_port),
                "--stats-port", str(self.args.stats_port), "--appid-port", str(self.args.appid_port),
                "--reconnect-max", "5"]
        self._part("balalaika-lb", argv,
                   lambda: http_ok(f"http://127.0.0.1:{self.args.stats_port}/_haproxy_health_check"))

    def _part(self, name: str, argv: list[str], ready: Callable[[], bool]) -> Part:
        self._step()
        part = Part(name, argv, ready, self.logs / f"{name}.log", cancel=self.stopping)
        self.parts.append(part)
        self._cleanup.callback(part.stop)
        part.start()
        return part

    # -- running and stopping ---------------------------------------------------------------------------------

    def supervise(self) -> None:
        """Restarts a part that died (a few times), until asked to stop. Raises PartFailed for a part that
        keeps exiting."""
        while not self.stopping.wait(1.0):
            for part in self.parts:
                if part.daemon is not None and not part.daemon.alive() and not self.stopping.is_set():
                    if part.restarts >= RESTARTS:
                        raise PartFailed(part.name, f"see {part.log}", f"exited {RESTARTS + 1} times")
                    part.restarts += 1
                    print(f"balalaika up: {part.name} exited; restarting", file=sys.stderr, flush=True)
                    part.start()

    def stop(self) -> None:
        """Stops everything that was started, the last started first; a step that fails does not skip the
        others (edge, schedulers, API, mesos-local with its tasks, dockerd with any container left, ZooKeeper)."""
        try:
            self._cleanup.close()
        except Exception as error:  # reported; the remaining steps have run all the same
            print(f"balalaika up: while stopping: {error}", file=sys.stderr)

    # -- what the user is told --------------------------------------------------------------------------------

    def banner(self, seconds: float) -> str:
        args = self.args
        example = _example_path("web.json")
        lines = [
            f"Balalaika is up ({seconds:.1f} s):",
            f"  API (Marathon v2)   {self.api_url}    curl {self.api_url}/v2/apps",
            f"  dashboard           {self.api_url}/ui/",
            f"  edge (HAProxy)      {self.edge_url}    curl -H 'Host: web.localhost' {self.edge_url}/",
            f"  HAProxy stats       http://127.0.0.1:{args.stats_port}/haproxy?stats",
            f"  API metrics         {self.api_url}/metrics",
            f"  Mesos master        {_master_url(self.master)}",
            f"  ZooKeeper           {self.zk_hosts}",
        ]
        if args.scheduler_metrics_port:
            urls = [f"http://127.0.0.1:{port}/metrics" for port in self.scheduler_metrics_ports]
            lines.append(f"  scheduler metrics   {urls[0]} and {urls[1]} (the standby's)")
        if self.docker_host:
            whose = "private daemon" if self.plan.docker == "private" else "your daemon"
            image = f"{STACK_IMAGE}{' just imported' if self.image_imported else ''}"
            lines.append(f"  Docker              {self.docker_host} ({whose}, image {image})")
        lines += [
            f"  logs                {self.logs}",
            "Deploy the example web app (3 instances behind the edge), then ask it who answers:",
            f"  {_balalaika()} app deploy {example}" + ("" if args.api_port == 8080 else f" --api {self.api_url}"),
            f"  curl -X POST -H 'Content-Type: application/json' {self.api_url}/v2/apps -d @{example}",
            f"  curl -H 'Host: web.localhost' {self.edge_url}/",
        ]
        return "\n".join(lines)

    def came_back(self) -> str | None:
        """What became of the apps stored by an earlier run (None on a first run), read from /v2/apps."""
        try:
            apps = get_json(f"{self.api_url}/v2/apps")["apps"]
        except (OSError, ValueError, KeyError):
            return None
        if not apps:
            return None
        names = ", ".join(app["id"] for app in apps[:5]) + (", ..." if len(apps) > 5 else "")
        instances = sum(app["instances"] for app in apps)
        came = f"{len(apps)} app{'s' if len(apps) != 1 else ''} came back from {self.state} ({names})"
        if self.plan.mesos:
            return (f"{came}: their tasks ended with the previous run's agents and are being replaced "
                    f"({instances} instances); follow them with curl {self.api_url}/v2/apps")
        return (f"{came}: the master is asked about their tasks; those still running are kept, the others are "
                f"replaced ({instances} instances)")


def _balalaika() -> str:
    """The command as the user typed it (`.venv/bin/balalaika` in the README), for lines to copy."""
    typed = sys.argv[0] if sys.argv else ""
    return typed if Path(typed).name == "balalaika" else "balalaika"


def _example_path(name: str) -> str:
    """The example's path as a user in the repository's root types it, else in full."""
    path = EXAMPLES / name
    return f"examples/{name}" if Path.cwd() == EXAMPLES.parent else str(path)


def _master_url(master: str) -> str:
    return master if master.startswith(("zk://", "http://", "https://")) else f"http://{master}/master/state"


def port_range(text: str) -> str:
    """An argparse type: FIRST-LAST, two ports in order."""
    first, _, last = text.partition("-")
    try:
        low, high = int(first), int(last)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port range such as 10000-20000") from None
    if not 0 < low <= high < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: the ports must be in order, between 1 and 65535")
    return f"{low}-{high}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", default="~/.balalaika",
                        help="ZooKeeper's data, Docker images, the edge's config and sockets, logs "
                             "(default %(default)s)")
    ports = parser.add_argument_group("ports (on 127.0.0.1)")
    ports.add_argument("--api-port", type=int, default=8080, help="the Marathon API (default %(default)s)")
    ports.add_argument("--http-port", type=int, default=80, help="the edge's virtual hosts (default %(default)s)")
    ports.add_argument("--stats-port", type=int, default=9090, help="HAProxy's stats (default %(default)s)")
    ports.add_argument("--appid-port", type=int, default=9091,
                       help="the edge's X-Marathon-App-Id routing; 0 disables (default %(default)s)")
    ports.add_argument("--scheduler-metrics-port", type=int, default=9095,
                       help="the schedulers' Prometheus metrics, on this port and the next; 0 disables "
                            "(default %(default)s)")
    ports.add_argument("--mesos-port", type=int, default=5050, help="mesos-local's master (default %(default)s)")
    ports.add_argument("--zk-port", type=int, default=2181, help="ZooKeeper (default %(default)s)")
    ports.add_argument("--service-ports", type=port_range, default="10000-20000",
                       help="range of the apps' service ports on the edge (default %(default)s)")
    ports.add_argument("--task-ports", type=port_range, default="31000-32000",
                       help="range of the tasks' host ports, split between the agents (default %(default)s)")
    existing = parser.add_argument_group("existing services, used instead of starting ours")
    existing.add_argument("--zk", metavar="HOSTS", help="ZooKeeper, host:port[,host:port][/chroot]")
    existing.add_argument("--master", metavar="HOST:PORT", help="a Mesos master (host:port or zk://...)")
    existing.add_argument("--docker-host", metavar="URL", default=os.environ.get("DOCKER_HOST") or None,
                          help="the Docker daemon that runs Docker tasks (default $DOCKER_HOST, else a private "
                               f"dockerd); the image {STACK_IMAGE} is imported into it when missing")
    parser.add_argument("--no-docker", action="store_true", help="no Docker: command apps only")
    parser.add_argument("--docker-bridge", default="balalaika0", help="the private dockerd's bridge")
    parser.add_argument("--docker-cidr", default="198.18.250.1/24", help="the private dockerd's bridge address")
    parser.add_argument("--agents", type=int, default=3, help="mesos-local's agents (default %(default)s)")
    parser.add_argument("--haproxy-bin", default="haproxy", help="the HAProxy binary (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    began = time.monotonic()
    stack = Stack(args)
    problems = stack.problems()
    if problems:
        print("balalaika up: cannot start:\n" + "\n".join(f"  - {problem}" for problem in problems)
              + f"\n({preflight.INSTALL_HINT}; `balalaika up --help` lists every flag)", file=sys.stderr)
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stack.stopping.set())
    try:
        stack.start()
        print(stack.banner(time.monotonic() - began), flush=True)
        if stack.leftover_containers:
            print(f"Removed {stack.leftover_containers} containers an earlier run had left.", flush=True)
        if news := stack.came_back():
            print(news, flush=True)
        print("Ctrl-C stops everything.", flush=True)
        stack.supervise()
    except Interrupted:
        print("balalaika up: interrupted while starting", file=sys.stderr)
        return 130  # as a shell reports a command ended by Ctrl-C
    except PartFailed as failure:
        print(f"balalaika up: {failure}", file=sys.stderr)
        return 1
    finally:
        print("balalaika up: stopping", file=sys.stderr, flush=True)
        stack.stop()
    return 0
