"""Benchmark of the main job: `balalaika up` to a healthy stack, then the Docker web app to healthy and routed.

    .venv/bin/python bench/bench_main_job.py [--instances 3,100] [--runs 3] [--up-runs 3] [--agents 5]
                                             [--anchor-runs 3] [--no-anchors] [--keep]

1. `balalaika up` is started --up-runs times, each with free ports for every port flag, free --service-ports and
   --task-ports ranges, its own Docker bridge and a fresh --state-dir under a temporary folder. Timed from the
   start of the process to its banner, then to the moment the API (/ping), the edge
   (/_haproxy_health_check on the stats port) and a leader (/v2/leader) all answer. The appearance of each
   part's log file in the state dir says when `balalaika up` started that part.
2. On the last of those stacks: examples/web.json (its cpus, mem, command, health check and labels unchanged;
   only "instances" is set) is POSTed to /v2/apps with 3 and with 100 instances, --runs times each. Timed
   from the POST until every instance is RUNNING, healthy and has answered "hello from <its task id>" to a
   request with `Host: web.localhost` on the edge's http port. Requests go one at a time with a 5 ms pause
   after each (75-100/s in practice on a 2-core machine), so with round robin over 100 servers a newly routed
   one is first reached up to ~1-1.5 s after HAProxy has it: the "UP in HAProxy" figures (the edge's runtime
   API, read every 0.25 s) are the edge's own routing moment, the "answered" ones the strict criterion. The task
   records (stagedAt, startedAt, healthCheckResults.firstSuccess), HAProxy's servers (`show stat` on the
   edge's runtime API) and the first answer of each instance give where the time goes. Between runs the app
   is deleted and the script waits until its containers and servers are gone.
3. The anchor, on the stack's private dockerd (the banner's Docker line): 100 `docker run -d` of the same
   image and httpd command, 8 at a time, with a published port as the stack's tasks have; then
   `docker swarm init --advertise-addr 127.0.0.1` (listen address, data path port, address pool and
   docker_gwbridge's Linux bridge chosen so as not to collide with anything else on the machine) and a
   service of 100 replicas (`--no-resolve-image`), timed from `docker service create` to 100 tasks running.
   Then `docker swarm leave --force` and everything created is removed.

Everything started here (`balalaika up`, whose stop ends its parts, containers included) is stopped by PID at
the end, also on error or SIGTERM. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import docker.errors

from cli.up import bin_path
from framework.timeutil import parse_ts
from launchers.haproxy import HAProxy
from launchers.process import free_port
from mesoslocal.agent.docker_runner import LABEL_TASK_ID

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "web.json"
APP_ID = "/web"
VHOST = "web.localhost"
GREETING = "hello from "
IMAGE = "balalaika/busybox:latest"
ANCHOR_CMD = 'echo "hello from $HOSTNAME" > /www/index.html; exec httpd -f -p 8080 -h /www'
ANCHOR_LABEL = "bench.main_job"
PROBE_INTERVAL = 0.005  # seconds between two requests through the edge
POLL_INTERVAL = 0.25  # seconds between two reads of the tasks and of HAProxy's servers
UP_TIMEOUT = 180.0
RUN_TIMEOUT = 240.0
PARTS = ("zookeeper", "dockerd.log", "mesos-local.log", "api.log", "scheduler-1.log", "scheduler-2.log",
         "balalaika-lb.log")


class BenchError(RuntimeError):
    pass


def on_sigterm(*_: object) -> None:
    raise SystemExit("SIGTERM")


# ---- the machine -------------------------------------------------------------------------------------------------


def machine() -> str:
    free = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout.splitlines()
    total = free[1].split()[1] if len(free) > 1 else "?"
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    return (f"nproc {os.cpu_count()}, {model}, free -g total {total} GB, Python {platform.python_version()}, "
            f"docker {docker_version()}")


def docker_version() -> str:
    result = subprocess.run(["docker", "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip().removeprefix("Docker version ").split(",")[0] or "?"


def load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def listening_ports() -> set[int]:
    """TCP ports something listens on (any address), from /proc/net/tcp{,6}."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(name) as table:
            for line in list(table)[1:]:
                fields = line.split()
                if fields[3] == "0A":
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def free_range(length: int, taken: set[int], low: int = 20000, high: int = 32000) -> tuple[int, int]:
    """A range of `length` ports below the ephemeral range where nothing listens."""
    start = low
    while start + length <= high:
        clash = [port for port in taken if start <= port < start + length]
        if not clash:
            return start, start + length - 1
        start = max(clash) + 1
    raise BenchError(f"no free range of {length} ports in {low}-{high}")


def free_udp_port(low: int = 40000, high: int = 49151) -> int:
    """A UDP port in low-high nothing is bound to (Swarm takes its data path port below 49152)."""
    for port in random.sample(range(low, high + 1), high - low + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise BenchError(f"no free UDP port in {low}-{high}")


def free_subnets(count: int) -> list[int]:
    """Third octets X of 198.18.X.0/24 networks that no interface address or route of the machine uses."""
    text = subprocess.run(["ip", "-4", "addr"], capture_output=True, text=True, check=True).stdout
    text += subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=True).stdout
    used = {int(octet) for octet in re.findall(r"198\.18\.(\d+)\.", text)}
    chosen = [octet for octet in range(120, 250) if octet not in used and octet != 250][:count]
    if len(chosen) < count:
        raise BenchError("no free 198.18.X.0/24 networks")
    return chosen


# ---- HTTP to the stack -------------------------------------------------------------------------------------------


def request(method: str, url: str, body: dict | None = None, timeout: float = 10.0) -> tuple[int, dict | str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def answers(url: str) -> bool:
    try:
        return 200 <= request("GET", url, timeout=2)[0] < 300
    except OSError:
        return False


# ---- `balalaika up` ----------------------------------------------------------------------------------------------


class Up:
    """One `balalaika up` process with its own ports, bridge and state dir under `home`."""

    def __init__(self, home: Path, agents: int, bridge: str, octet: int) -> None:
        self.home = home
        self.state = home / "state"
        taken = listening_ports()
        service_low, service_high = free_range(1000, taken)
        task_low, task_high = free_range(500 * agents, taken | set(range(service_low, service_high + 1)))
        self.ports = {name: free_port() for name in ("api", "http", "stats", "appid", "mesos", "zk")}
        self.argv = [bin_path("balalaika"), "up", "--state-dir", str(self.state),
                     *(arg for name, port in self.ports.items() for arg in (f"--{name}-port", str(port))),
                     "--service-ports", f"{service_low}-{service_high}", "--task-ports", f"{task_low}-{task_high}",
                     "--docker-bridge", bridge, "--docker-cidr", f"198.18.{octet}.1/24", "--agents", str(agents)]
        self.process: subprocess.Popen | None = None
        self.lines: list[tuple[float, str]] = []
        self.started = 0.0
        self.docker_host: str | None = None
        self.children: list[int] = []

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    def command(self) -> str:
        return " ".join(self.argv)

    def start(self) -> dict:
        """Starts the stack and waits until it is healthy; returns the timings (seconds from the start)."""
        self.home.mkdir(parents=True, exist_ok=True)
        stderr = open(self.home / "up.stderr", "wb")  # noqa: SIM115 - the child owns it
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                            start_new_session=True)
        finally:
            stderr.close()
        threading.Thread(target=self._read, daemon=True).start()
        parts: dict[str, float] = {}
        banner = None
        deadline = self.started + UP_TIMEOUT
        while banner is None:
            now = time.monotonic()
            for part in PARTS:
                if part not in parts and (self.state / ("" if part == "zookeeper" else "logs") / part).exists():
                    parts[part] = now - self.started
            banner = next((at for at, line in self.lines if line.startswith("Balalaika is up")), None)
            if self.process.poll() is not None or now > deadline:
                raise BenchError(f"balalaika up did not come up:\n{self.tail()}")
            time.sleep(0.02)
        stats = f"http://127.0.0.1:{self.ports['stats']}/_haproxy_health_check"
        while not (answers(f"{self.api}/ping") and answers(stats) and answers(f"{self.api}/v2/leader")):
            if time.monotonic() > deadline:
                raise BenchError(f"the stack printed its banner but does not answer:\n{self.tail()}")
            time.sleep(0.02)
        healthy = time.monotonic() - self.started
        time.sleep(0.2)  # the banner's remaining lines
        match = next((re.search(r"Docker\s+(\S+)", line) for _, line in self.lines if "Docker " in line), None)
        self.docker_host = match.group(1) if match else None
        printed = next((re.search(r"\(([\d.]+) s\)", line) for _, line in self.lines if "is up" in line), None)
        self.children = descendants(self.process.pid)
        return {"banner": banner - self.started, "healthy": healthy, "parts": parts,
                "own": float(printed.group(1)) if printed else None}

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def tail(self) -> str:
        out = "\n".join(line for _, line in self.lines[-20:])
        with contextlib.suppress(OSError):
            out += "\n" + (self.home / "up.stderr").read_text(errors="replace")[-3000:]
        return out

    def stop(self) -> float:
        """SIGTERM to `balalaika up` (it stops its parts and their containers); SIGKILL to it and, by PID, to
        what it started if it does not end within 3 minutes. Returns the seconds it took."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(180)
        except subprocess.TimeoutExpired:
            print(f"balalaika up (pid {self.process.pid}) did not stop; killing it and {self.children}",
                  file=sys.stderr)
            self.process.kill()
            self.process.wait(10)
            for pid in self.children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        return time.monotonic() - began


def descendants(pid: int) -> list[int]:
    """PIDs of the processes below `pid` (children, grandchildren, ...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_by_name(up: Up) -> dict[str, float]:
    """CPU seconds (user + system, with those of reaped children) of the stack's processes by name:
    `balalaika up` and everything below it, and its private daemon's containerd shims with the containers'
    processes below them; plus this script ("bench")."""
    marker = str(Path((up.docker_host or "").removeprefix("unix://")).parent)
    procs: dict[int, tuple[int, str, float]] = {}
    clock = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
                fields = text.rsplit(")", 1)[1].split()
                comm = text[text.index("(") + 1:text.rindex(")")]
                procs[int(entry)] = (int(fields[1]), comm, sum(int(v) for v in fields[11:15]) / clock)
    roots = [up.process.pid] if up.process else []
    for pid, (_, comm, _) in procs.items():
        if comm.startswith("containerd-shim"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    roots.append(pid)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    totals: dict[str, float] = {}
    todo = [pid for pid in roots if pid in procs]
    while todo:
        pid = todo.pop()
        _, comm, cpu = procs[pid]
        totals[comm] = totals.get(comm, 0.0) + cpu
        todo.extend(children.get(pid, []))
    own = os.times()
    totals["bench"] = own.user + own.system
    totals["docker CLI"] = own.children_user + own.children_system  # the anchors' docker commands
    return totals


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> str:
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    top = sorted(((cpu, name) for name, cpu in spent.items() if cpu >= 0.05), reverse=True)
    return f"{sum(spent.values()):.1f} s: " + ", ".join(f"{name} {cpu:.1f}" for cpu, name in top)


# ---- one deployment of the web app -------------------------------------------------------------------------------


class Prober(threading.Thread):
    """Requests `Host: web.localhost` on the edge's http port, one every PROBE_INTERVAL, and notes when each
    body was first answered (wall clock)."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.first: dict[str, float] = {}
        self.statuses: dict[int | str, int] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        connection = None
        while not self.stopping.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/", headers={"Host": VHOST})
                response = connection.getresponse()
                body = response.read().decode(errors="replace").strip()
                self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
                if response.status == 200 and body not in self.first:
                    self.first[body] = time.time()
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                self.statuses[type(error).__name__] = self.statuses.get(type(error).__name__, 0) + 1
                if connection is not None:
                    connection.close()
                connection = None
            self.stopping.wait(PROBE_INTERVAL)
        if connection is not None:
            connection.close()


class Watcher(threading.Thread):
    """Reads the app's tasks from the API and the web backends' servers from HAProxy every POLL_INTERVAL."""

    def __init__(self, up: Up) -> None:
        super().__init__(daemon=True)
        self.up = up
        self.haproxy = HAProxy(up.state / "lb" / "haproxy.cfg", up.state / "lb")
        self.tasks: list[dict] = []
        self.server_up: dict[str, float] = {}  # HAProxy server name -> first seen UP (wall clock)
        self.server_seen: dict[str, float] = {}
        self.running_seen: dict[str, float] = {}  # task id -> first read as RUNNING from the API
        self.deployments_seen = False  # the deployment was listed once (its end is then when none is)
        self.deployments_done: float | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(POLL_INTERVAL):
            now = time.time()
            with contextlib.suppress(OSError, ValueError):
                status, body = request("GET", f"{self.up.api}/v2/apps{APP_ID}/tasks")
                if status == 200 and isinstance(body, dict):
                    self.tasks = body["tasks"]
                    for task in self.tasks:
                        if task["state"] == "TASK_RUNNING":
                            self.running_seen.setdefault(task["id"], now)
                status, body = request("GET", f"{self.up.api}/v2/deployments")
                if status == 200 and body and not self.deployments_seen:
                    self.deployments_seen = True
                elif status == 200 and body == [] and self.deployments_seen and self.deployments_done is None:
                    self.deployments_done = now
            with contextlib.suppress(OSError):
                for _backend, server, state in web_servers(self.haproxy):
                    self.server_seen.setdefault(server, now)
                    if state.startswith("UP") or state == "no check":
                        self.server_up.setdefault(server, now)


def web_servers(haproxy: HAProxy) -> list[tuple[str, str, str]]:
    """(backend, server, status) of HAProxy's servers in the web app's backends."""
    found = []
    for line in haproxy.runtime_command("show stat").splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0].startswith("web_") and fields[1] not in ("FRONTEND", "BACKEND"):
            found.append((fields[0], fields[1], fields[17]))
    return found


def server_name(task: dict) -> str:
    """balalaika-lb's name for a task's server: its host and host port (lb.services)."""
    return f"{task['host']}_{task['ports'][0]}".replace(".", "_").replace(":", "_")


def web_app(instances: int) -> dict:
    app = json.loads(EXAMPLE.read_text())
    app["instances"] = instances
    return app


def healthy(task: dict) -> bool:
    results = task.get("healthCheckResults") or []
    return task["state"] == "TASK_RUNNING" and bool(results) and all(r.get("alive") for r in results)


def deploy(up: Up, instances: int) -> dict:
    """POSTs the web app and waits until all its instances are healthy and answered through the edge.
    Returns the timeline (seconds after the POST)."""
    prober, watcher = Prober(up.ports["http"]), Watcher(up)
    cpu_before = cpu_by_name(up)
    prober.start()
    watcher.start()
    try:
        load_before = load()
        posted = time.time()
        status, body = request("POST", f"{up.api}/v2/apps", web_app(instances))
        answered = time.time()
        if status != 201:
            raise BenchError(f"POST /v2/apps answered {status}: {body}")
        while True:
            tasks = [task for task in watcher.tasks if task["state"] == "TASK_RUNNING"]
            ready = [task for task in tasks if healthy(task)]
            if len(ready) == instances and all(GREETING + task["id"] in prober.first for task in ready):
                break
            if time.time() - posted > RUN_TIMEOUT:
                raise BenchError(f"{instances} instances: after {RUN_TIMEOUT} s {len(tasks)} running, "
                                 f"{len(ready)} healthy, {len(prober.first)} answered; requests {prober.statuses}")
            time.sleep(0.05)
        seen = time.time()
        time.sleep(2 * POLL_INTERVAL)  # the deployment's end, usually at the same moment
    finally:
        prober.stopping.set()
        watcher.stopping.set()
        prober.join(5)
        watcher.join(5)
    result = timeline(instances, posted, answered, seen, ready, prober, watcher, load_before)
    result["cpu"] = cpu_spent(cpu_before, cpu_by_name(up))
    return result


def timeline(instances: int, posted: float, answered: float, seen: float, tasks: list[dict], prober: Prober,
             watcher: Watcher, load_before: str) -> dict:
    """The run's timeline. `total` is when the last instance was both healthy (its record's firstSuccess) and
    answered through the edge; `seen` when this script's polling of the API saw them all healthy."""
    def spread(stamps: list[float]) -> tuple[float, float] | None:
        return (min(stamps) - posted, max(stamps) - posted) if stamps else None

    def stamps(key: str) -> list[float]:
        return [parse_ts(task[key]) for task in tasks if task.get(key)]

    first_success = [parse_ts(r["firstSuccess"]) for task in tasks
                     for r in task.get("healthCheckResults", []) if r.get("firstSuccess")]
    healthy_at = {task["id"]: min(parse_ts(r["firstSuccess"]) for r in task["healthCheckResults"])
                  for task in tasks if task.get("healthCheckResults")
                  and all(r.get("firstSuccess") for r in task["healthCheckResults"])}
    names = {server_name(task) for task in tasks}
    started = sorted(stamps("startedAt"))
    strays = [body for body in prober.first if body.removeprefix(GREETING) not in {t["id"] for t in tasks}]
    return {
        "instances": instances, "load": load_before, "post": answered - posted, "seen": seen - posted,
        "total": max([max(first_success, default=posted)]
                     + [prober.first[GREETING + task["id"]] for task in tasks]) - posted,
        "staged": spread(stamps("stagedAt")), "running": spread(stamps("startedAt")),
        "running_quartiles": [started[max(0, round(q * len(started)) - 1)] - posted for q in (0.25, 0.5, 0.75)]
        if started else [],
        "running_api": spread([watcher.running_seen[t["id"]] for t in tasks if t["id"] in watcher.running_seen]),
        "healthy": spread(first_success),
        "in_haproxy": spread([at for name, at in watcher.server_seen.items() if name in names]),
        "up_in_haproxy": spread([at for name, at in watcher.server_up.items() if name in names]),
        "answered": spread([prober.first[GREETING + task["id"]] for task in tasks]),
        "health_lag": lags({t["id"]: parse_ts(t["startedAt"]) for t in tasks if t.get("startedAt")}, healthy_at),
        "route_lag": lags(healthy_at, {t["id"]: prober.first[GREETING + t["id"]] for t in tasks}),
        "deployment_done": (watcher.deployments_done - posted) if watcher.deployments_done else None,
        "requests": dict(prober.statuses), "strays": len(strays),
        "agents": len({task["host"] for task in tasks}),
    }


def lags(since: dict[str, float], until: dict[str, float]) -> tuple[float, float, int]:
    """Per task, `until` - `since`: median, max and how many took over 1 s."""
    values = [until[key] - since[key] for key in since if key in until]
    if not values:
        return (0.0, 0.0, 0)
    return statistics.median(values), max(values), sum(value > 1.0 for value in values)


def remove(up: Up, client: docker.DockerClient) -> float:
    """Deletes the app and waits until its tasks, containers and HAProxy servers are gone; returns seconds."""
    began = time.monotonic()
    status, body = request("DELETE", f"{up.api}/v2/apps{APP_ID}?force=true")
    if status not in (200, 404):
        raise BenchError(f"DELETE {APP_ID} answered {status}: {body}")
    haproxy = HAProxy(up.state / "lb" / "haproxy.cfg", up.state / "lb")
    while True:
        with contextlib.suppress(OSError):  # HAProxy's master socket is away while it reloads
            if (request("GET", f"{up.api}/v2/apps{APP_ID}")[0] == 404
                    and request("GET", f"{up.api}/v2/deployments")[1] == []
                    and not client.api.containers(all=True, filters={"label": LABEL_TASK_ID})
                    and not web_servers(haproxy)):
                return time.monotonic() - began
        if time.monotonic() - began > RUN_TIMEOUT:
            raise BenchError(f"{APP_ID} still not gone after {RUN_TIMEOUT} s")
        time.sleep(0.2)


# ---- the anchors: plain docker run and a Swarm service on the same daemon ----------------------------------------


def docker_cli(host: str, *args: str, timeout: float = 120.0) -> str:
    result = subprocess.run(["docker", "-H", host, *args], capture_output=True, text=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        raise BenchError(f"docker {' '.join(args[:3])} ...: {result.stderr.strip()}")
    return result.stdout


def remove_labelled(client: docker.DockerClient, label: str) -> None:
    for container in client.api.containers(all=True, filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(container["Id"], force=True, v=True)


def sdk_starts(host: str, client: docker.DockerClient, count: int, run: int) -> float:
    """`count` containers created and started through the Docker SDK all at once, one client and thread
    each, as mesos-local's agents do (the same published port); seconds until all started."""
    def one(index: int) -> None:
        with contextlib.closing(docker.DockerClient(base_url=host, timeout=120)) as own:
            container = own.containers.create(IMAGE, ["-c", ANCHOR_CMD], entrypoint=["/bin/sh"],
                                              name=f"bench-sdk-{run}-{index}", labels={ANCHOR_LABEL: "sdk"},
                                              ports={"8080/tcp": ("127.0.0.1", None)})
            container.start()

    return timed_starts(one, count, count, client, "sdk", "SDK")


def docker_runs(host: str, client: docker.DockerClient, count: int, run: int) -> float:
    """`count` plain `docker run -d` (8 at a time) with a published port; seconds until all returned."""
    def one(index: int) -> str:
        return docker_cli(host, "run", "-d", "--name", f"bench-run-{run}-{index}", "--label", f"{ANCHOR_LABEL}=run",
                          "-p", "127.0.0.1::8080", IMAGE, "sh", "-c", ANCHOR_CMD)

    return timed_starts(one, count, 8, client, "run", "docker run")


def timed_starts(start: Callable[[int], object], count: int, workers: int, client: docker.DockerClient,
                 label: str, what: str) -> float:
    """Seconds for `count` calls of `start` on `workers` threads; raises unless as many containers labelled
    `label` run afterwards."""
    began = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(start, range(count)))
    took = time.monotonic() - began
    running = len(client.api.containers(filters={"label": f"{ANCHOR_LABEL}={label}", "status": "running"}))
    if running != count:
        raise BenchError(f"{what}: {running} of {count} containers running")
    return took


class Swarm:
    """A one-node swarm on the stack's daemon, set up so that nothing collides with the machine's other
    daemons: its own docker_gwbridge Linux bridge and subnet, listen address, data path port and pool."""

    def __init__(self, host: str, client: docker.DockerClient, gw_bridge: str, gw_octet: int, pool_octet: int):
        self.host, self.client = host, client
        self.gw_bridge, self.gw_octet, self.pool_octet = gw_bridge, gw_octet, pool_octet
        self.joined = False
        self.gw_created = False

    def init(self) -> None:
        docker_cli(self.host, "network", "create", "--driver", "bridge", "--subnet", f"198.18.{self.gw_octet}.0/24",
                   "--opt", f"com.docker.network.bridge.name={self.gw_bridge}",
                   "--opt", "com.docker.network.bridge.enable_icc=false",
                   "--opt", "com.docker.network.bridge.enable_ip_masquerade=false", "docker_gwbridge")
        self.gw_created = True
        self.joined = True  # a failed init may still have half-joined: leaving is always tried
        docker_cli(self.host, "swarm", "init", "--advertise-addr", "127.0.0.1",
                   "--listen-addr", f"127.0.0.1:{free_port()}", "--data-path-port", str(free_udp_port()),
                   "--default-addr-pool", f"198.18.{self.pool_octet}.0/24", "--default-addr-pool-mask-length", "24")

    def service(self, name: str, replicas: int) -> tuple[float, float]:
        """Seconds from `docker service create` to the first and to all replicas running (the caller
        removes the service, also on error)."""
        began = time.monotonic()
        first = None
        docker_cli(self.host, "service", "create", "--detach", "--name", name, "--replicas", str(replicas),
                   "--no-resolve-image", "--label", f"{ANCHOR_LABEL}=swarm", IMAGE, "sh", "-c", ANCHOR_CMD)
        while True:
            tasks = self.client.api.tasks(filters={"service": name, "desired-state": "running"})
            running = sum(task["Status"]["State"] == "running" for task in tasks)
            if running and first is None:
                first = time.monotonic() - began
            if running >= replicas:
                return first or 0.0, time.monotonic() - began
            if time.monotonic() - began > RUN_TIMEOUT:
                raise BenchError(f"swarm: {running} of {replicas} running after {RUN_TIMEOUT} s")
            time.sleep(0.1)

    def remove_service(self, name: str) -> None:
        with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
            docker_cli(self.host, "service", "rm", name)
        deadline = time.monotonic() + RUN_TIMEOUT
        label = f"com.docker.swarm.service.name={name}"
        while self.client.api.containers(all=True, filters={"label": label}) and time.monotonic() < deadline:
            time.sleep(0.5)

    def leave(self) -> None:
        if self.joined:
            with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
                docker_cli(self.host, "swarm", "leave", "--force")
            self.joined = False
        if self.gw_created:
            with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
                docker_cli(self.host, "network", "rm", "docker_gwbridge")
            subprocess.run(["ip", "link", "del", self.gw_bridge], capture_output=True, check=False)
            self.gw_created = False


def anchors(up: Up, client: docker.DockerClient, runs: int, replicas: int, bridge: str, octets: list[int]) -> dict:
    """The plain docker run, SDK and Swarm figures on the stack's daemon; CPU is read before the containers
    are removed (their shims' CPU goes with them)."""
    host = up.docker_host
    assert host is not None
    result: dict = {"docker_run": [], "sdk": [], "swarm": [], "swarm_error": None}
    swarm = Swarm(host, client, bridge, octets[0], octets[1])
    try:
        for run in range(runs):
            for kind, start, what in (("docker_run", docker_runs, "docker run -d x{n} (8 at a time)"),
                                      ("sdk", sdk_starts, "SDK create + start x{n} (all at once)")):
                load_before, cpu_before = load(), cpu_by_name(up)
                took = start(host, client, replicas, run)
                result[kind].append(took)
                print(f"  {what.format(n=replicas)}: {took:.2f} s  (load before {load_before}); CPU "
                      f"{cpu_spent(cpu_before, cpu_by_name(up))}", flush=True)
                remove_labelled(client, ANCHOR_LABEL)
        try:
            swarm.init()
            for run in range(runs):
                name = f"bench-swarm-{run}"
                load_before, cpu_before = load(), cpu_by_name(up)
                try:
                    first, took = swarm.service(name, replicas)
                    cpu = cpu_spent(cpu_before, cpu_by_name(up))
                finally:
                    swarm.remove_service(name)
                result["swarm"].append(took)
                print(f"  swarm service x{replicas}: first running {first:.2f} s, all running {took:.2f} s  "
                      f"(load before {load_before}); CPU {cpu}", flush=True)
        except BenchError as error:
            result["swarm_error"] = str(error)
            print(f"  swarm: {error}", flush=True)
    finally:
        swarm.leave()
        remove_labelled(client, ANCHOR_LABEL)
    return result


# ---- reporting ---------------------------------------------------------------------------------------------------


def span(value: tuple[float, float] | None) -> str:
    return f"{value[0]:.2f} / {value[1]:.2f}" if value else "-"


def show_run(run: dict) -> None:
    print(f"  {run['instances']} instances: all healthy and routed {run['total']:.2f} s after the POST "
          f"(load before {run['load']}; on {run['agents']} agents)\n"
          f"    first / last (s after POST): staged {span(run['staged'])} | RUNNING on agent {span(run['running'])}"
          f" | RUNNING read from API {span(run['running_api'])} | healthy {span(run['healthy'])}\n"
          f"    in HAProxy {span(run['in_haproxy'])} | UP in HAProxy {span(run['up_in_haproxy'])}"
          f" | answered through the edge {span(run['answered'])} | deployment done "
          f"{'-' if run['deployment_done'] is None else round(run['deployment_done'], 2)}\n"
          f"    POST answered in {run['post'] * 1000:.0f} ms; all seen healthy by polling the API at "
          f"{run['seen']:.2f} s; requests {run['requests']}; bodies of other tasks {run['strays']}\n"
          f"    per task, RUNNING -> healthy median {run['health_lag'][0]:.2f} s, max {run['health_lag'][1]:.2f} s,"
          f" {run['health_lag'][2]} over 1 s; healthy -> first answer through the edge median "
          f"{run['route_lag'][0]:.2f} s, max {run['route_lag'][1]:.2f} s, {run['route_lag'][2]} over 1 s\n"
          f"    25/50/75 % RUNNING at {' / '.join(f'{q:.2f}' for q in run['running_quartiles'])} s; "
          f"CPU of the stack's processes during the run {run['cpu']}", flush=True)


def summary(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"min {min(values):.2f} / median {statistics.median(values):.2f} s "
            f"({', '.join(f'{v:.2f}' for v in values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", default="3,100", help="instance counts to deploy (default %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="deployments per instance count (default %(default)s)")
    parser.add_argument("--up-runs", type=int, default=3, help="`balalaika up` starts timed (default %(default)s)")
    parser.add_argument("--agents", type=int, default=5, help="mesos-local agents (default %(default)s)")
    parser.add_argument("--anchor-runs", type=int, default=3, help="docker run / swarm runs (default %(default)s)")
    parser.add_argument("--anchor-replicas", type=int, default=100, help="containers per anchor run")
    parser.add_argument("--no-anchors", action="store_true", help="skip docker run and Swarm")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, state)")
    args = parser.parse_args()
    counts = [int(count) for count in args.instances.split(",") if count]
    signal.signal(signal.SIGTERM, on_sigterm)

    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {machine()}; load {load()}", flush=True)
    home = Path(tempfile.mkdtemp(prefix="bench-main-job-"))
    tag = f"{os.getpid() % 100000}"
    octets = free_subnets(3)
    up: Up | None = None
    ups, deployments, anchor = [], {count: [] for count in counts}, None
    try:
        for attempt in range(args.up_runs):
            up = Up(home / f"up{attempt}", args.agents, f"bbm{tag}", octets[0])
            if attempt == 0:
                print(f"command: {up.command()}", flush=True)
            load_before = load()
            timing = up.start()
            ups.append(timing)
            parts = ", ".join(f"{name.removesuffix('.log')} {at:.2f}" for name, at in timing["parts"].items())
            print(f"balalaika up #{attempt + 1}: banner {timing['banner']:.2f} s (it says {timing['own']} s), "
                  f"API + edge + leader answering {timing['healthy']:.2f} s (load before {load_before}); "
                  f"parts started at: {parts}", flush=True)
            if attempt < args.up_runs - 1:
                print(f"  stopped in {up.stop():.2f} s", flush=True)
        assert up is not None and up.docker_host, "no Docker line in the banner"
        print(f"the stack's private Docker daemon: {up.docker_host}", flush=True)
        with contextlib.closing(docker.DockerClient(base_url=up.docker_host, timeout=120)) as client:
            for count in counts:
                for _ in range(args.runs):
                    run = deploy(up, count)
                    deployments[count].append(run)
                    show_run(run)
                    print(f"    deleted and gone in {remove(up, client):.2f} s", flush=True)
            if not args.no_anchors:
                anchor = anchors(up, client, args.anchor_runs, args.anchor_replicas, f"bgw{tag}", octets[1:])
    finally:
        if up is not None:
            print(f"balalaika up stopped in {up.stop():.2f} s", flush=True)
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)

    print("\nsummary")
    print(f"  balalaika up to banner: {summary([u['banner'] for u in ups])}")
    print(f"  balalaika up to API + edge + leader answering: {summary([u['healthy'] for u in ups])}")
    for count, runs in deployments.items():
        print(f"  POST -> {count} healthy and answered through the edge: {summary([r['total'] for r in runs])}")
        print(f"  POST -> {count} healthy and UP in HAProxy (read every {POLL_INTERVAL} s): "
              f"{summary([max(r['healthy'][1], r['up_in_haproxy'][1]) for r in runs if r['up_in_haproxy']])}")
        print(f"  POST -> last of {count} RUNNING on its agent: {summary([r['running'][1] for r in runs])}")
    if anchor:
        print(f"  docker run -d x{args.anchor_replicas}, 8 at a time: {summary(anchor['docker_run'])}")
        print(f"  SDK create + start x{args.anchor_replicas}, all at once: {summary(anchor['sdk'])}")
        print(f"  swarm service x{args.anchor_replicas} to all running: "
              f"{summary(anchor['swarm']) if anchor['swarm'] else anchor['swarm_error']}")
    print(f"  load at the end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
