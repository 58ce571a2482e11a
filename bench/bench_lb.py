"""Benchmark of balalaika-lb: `--dry` as a whole process and in-process, and event-to-routed latency.

    .venv/bin/python bench/bench_lb.py [--part all|dry|events] [--sizes 1000,3000] [--runs 7]
                                       [--events 20] [--scaling-ops 100]

Part `dry`: the 1,000 real-shaped apps of tests/data/marathon/apps-1000-real-shaped.json (replicated as
`<id>-copyN` with new service ports for larger sizes), each labelled HAPROXY_GROUP=external and given 10
TASK_RUNNING tasks in Marathon's task JSON, are served by a small HTTP server in this process as
`/v2/apps?embed=apps.tasks`. Timed: `balalaika-lb --dry --group external` as a whole process (min/median of
--runs), the in-process work on the already-fetched bytes (JSON parse, AppsState.replace_all, routing,
render; the render cache cleared each run), and `haproxy -c` on the printed config (not part of the target).
Anchors (Marathon-LB on these machines): ~1 s whole process for 1,000 x 10 (0.108 s in-process), 0.366 s
in-process for 3,000 x 10. Target: at most a third of those.

Part `events`: a real ZooKeeper, balalaika-api under gunicorn and balalaika-lb (with the HAProxy it starts),
1,000 apps x 10 RUNNING tasks written through the Store. Then, --events times: a new task record pointing to
a fresh local HTTP server and its status_update_event, written as the scheduler's leader writes them; timed
from the event append until a request through the app's service port on HAProxy is answered by the new
server. Then --scaling-ops adds and removals (TASK_KILLED event plus record deletion, as the leader's
`_end_task`), counting HAProxy reloads on the lb's /metrics. Targets: p50..max under 1 s; 0 reloads.
Everything started here is stopped by PID at the end, also on error.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from cli.up import bin_path
from framework.model import normalize_app
from framework.scheduler import records
from framework.store import AppChange, Store, connect, wait_all
from framework.timeutil import format_ts
from launchers.haproxy import HAProxy
from launchers.process import Daemon, children, free_port, port_answers, wait_gone
from launchers.waiting import GiveUp, wait_for
from launchers.zookeeper import Peer, ZooKeeperServer
from lb.main import edge_of, options_of
from lb.main import parser as lb_parser
from lb.marathon import parse_apps
from lb.render import render, service_block
from lb.resolver import Resolver
from lb.state import AppsState

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ is not installed: its stand-in API server

from tests.http_servers import Answer, answering  # noqa: E402

APPS_FILE = ROOT / "tests/data/marathon/apps-1000-real-shaped.json"
GROUP = "external"
VERSION = "2026-11-27T00:00:00.000Z"
ANCHORS = {1000: (1.0, 0.108), 3000: (None, 0.366)}  # Marathon-LB: (whole process s, in-process s)
MAINTENANCE = 0x01 | 0x02 | 0x04 | 0x20  # srv_admin_state bits: forced, inherited, config, resolution
TASK_PORT_BASE = 31000  # ports of the loaded tasks: nothing listens there, HAProxy retries elsewhere


# ---- input ---------------------------------------------------------------------------------------------------


def real_apps(count: int) -> list[dict]:
    """`count` apps: the 1,000 real-shaped ones, then `<id>-copyN` replicas with new unique service ports,
    each with the label HAPROXY_GROUP=external."""
    originals = json.loads(APPS_FILE.read_text())["apps"]
    next_port = max(d["port"] for app in originals for d in app["portDefinitions"]) + 1
    apps = []
    for index in range(count):
        copy_no, app = divmod(index, len(originals))
        app = copy.deepcopy(originals[app])
        if copy_no:
            app["id"] = f"{app['id']}-copy{copy_no}"
            for definition in app["portDefinitions"]:
                definition["port"], next_port = next_port, next_port + 1
        app["labels"] = {**(app.get("labels") or {}), "HAPROXY_GROUP": GROUP}
        apps.append(app)
    return apps


def marathon_task(app: dict, app_index: int, n: int, agents: int) -> dict:
    """Task `n` of an app as `/v2/apps?embed=apps.tasks` shows it, on one of `agents` agents (an app's tasks
    on distinct ones); the host is the agent's address (no DNS)."""
    agent = (app_index * 7 + n) % agents
    host = f"10.0.{agent // 250}.{agent % 250 + 1}"
    return {"id": f"{app['id'].strip('/').replace('/', '_')}.{uuid.uuid4()}", "appId": app["id"], "host": host,
            "ports": [TASK_PORT_BASE + (app_index * 13 + n * 97) % 1000],
            "servicePorts": [d["port"] for d in app["portDefinitions"]], "state": "TASK_RUNNING",
            "healthCheckResults": [], "startedAt": VERSION, "stagedAt": VERSION, "version": VERSION,
            "slaveId": f"agent-S{agent}", "ipAddresses": [{"ipAddress": host, "protocol": "IPv4"}]}


def snapshot(apps: list[dict], tasks_per_app: int, agents: int) -> bytes:
    with_tasks = [{**app, "instances": tasks_per_app, "version": VERSION,
                   "tasks": [marathon_task(app, index, n, agents) for n in range(tasks_per_app)]}
                  for index, app in enumerate(apps)]
    return json.dumps({"apps": with_tasks}).encode()


def recorded_api(body: bytes) -> Answer:
    return lambda path, _headers: (200, body) if path == "/v2/apps?embed=apps.tasks" else (404, b"{}")


# ---- part 1: --dry -------------------------------------------------------------------------------------------


def dry_argv(url: str, config: Path) -> list[str]:
    return ["--marathon", url, "--dry", "--group", GROUP, "--haproxy-config", str(config)]


def time_dry_process(url: str, config: Path, runs: int) -> tuple[list[float], str]:
    """Wall time of `balalaika-lb --dry` per run, and the config it printed."""
    argv = [bin_path("balalaika-lb"), *dry_argv(url, config)]
    times, output = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise RuntimeError(f"balalaika-lb --dry exited {result.returncode}: {result.stderr[-2000:]}")
        output = result.stdout
    return times, output


def in_process_once(body: bytes, url: str, config: Path) -> dict[str, float]:
    """One pass of what `--dry` does after the fetch, by stage (seconds)."""
    args = lb_parser().parse_args(dry_argv(url, config))
    edge = edge_of(args)
    service_block.cache_clear()  # a first render, as in a fresh process
    stages = {}
    gc.disable()  # as --dry does
    started = time.perf_counter()
    apps = parse_apps(body)
    stages["parse"] = time.perf_counter() - started
    mark = time.perf_counter()
    state = AppsState(options_of(args), Resolver(), frozenset(edge.reserved_ports()))
    state.replace_all(apps)
    stages["replace_all"] = time.perf_counter() - mark
    mark = time.perf_counter()
    routing = state.routing()
    stages["routing"] = time.perf_counter() - mark
    mark = time.perf_counter()
    render(routing, edge)
    stages["render"] = time.perf_counter() - mark
    stages["total"] = time.perf_counter() - started
    gc.enable()
    return stages


def haproxy_check(config: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, timeout=120,
                            check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"haproxy -c refused the --dry config:\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def bench_dry_size(count: int, tasks_per_app: int, agents: int, runs: int, home: Path) -> None:
    body = snapshot(real_apps(count), tasks_per_app, agents)
    config = home / f"haproxy-{count}.cfg"
    with answering(recorded_api(body)) as port:
        url = f"http://127.0.0.1:{port}"
        times, text = time_dry_process(url, config, runs)
    passes = []
    for _ in range(runs):
        gc.collect()  # each pass starts clean; the collections it causes itself stay in its time
        passes.append(in_process_once(body, url, config))
    config.write_text(text)
    frontends, servers = text.count("\nfrontend "), text.count("\n    server ")
    check = haproxy_check(config)
    whole_anchor, inner_anchor = ANCHORS.get(count, (None, None))
    print(f"--dry, {count} apps x {tasks_per_app} tasks on {agents} agents ({len(body) / 1e6:.1f} MB snapshot, "
          f"{len(text) / 1e6:.2f} MB config, {frontends} frontends, {servers} servers):")
    print(f"  whole process: min {min(times):.3f} s, median {statistics.median(times):.3f} s ({runs} runs)"
          + (f"; Marathon-LB ~{whole_anchor} s, target <= {whole_anchor / 3:.3f} s" if whole_anchor else ""))
    total = [p["total"] for p in passes]
    print(f"  in process:    min {min(total):.3f} s, median {statistics.median(total):.3f} s"
          + (f"; Marathon-LB {inner_anchor} s, target <= {inner_anchor / 3:.3f} s" if inner_anchor else ""))
    stages = ", ".join(f"{name} {statistics.median(p[name] for p in passes) * 1000:.0f}"
                       for name in ("parse", "replace_all", "routing", "render"))
    print(f"    medians by stage (ms): {stages}")
    print(f"  haproxy -c -f: {check:.3f} s (valid)")


def bench_dry(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-lb-dry-") as home:
        for count in args.sizes:
            bench_dry_size(count, args.tasks_per_app, args.agents, args.runs, Path(home))


# ---- part 2: events to routed --------------------------------------------------------------------------------


def running_status(now: float, state: str = "TASK_RUNNING") -> dict:
    return {"state": state, "source": "SOURCE_EXECUTOR", "timestamp": now}


def running_record(app: dict, port: int, now: float) -> dict:
    """A RUNNING task record on 127.0.0.1:`port`, made as the scheduler makes it (launch, then update)."""
    task_id = f"{app['id'].strip('/').replace('/', '_')}.{uuid.uuid4()}"
    record = records.new_record(app, task_id, agent_id="agent-S1", host="127.0.0.1", ports=(port,),
                                service_ports=[d["port"] for d in app["portDefinitions"]], now=now)
    return records.apply_status(record, running_status(now), now=now)


def load_store(store: Store, apps: list[dict], tasks_per_app: int) -> list[dict]:
    """Writes the apps and their RUNNING task records; returns the stored (normalized) apps."""
    stored = []
    for raw in apps:
        app = normalize_app({k: v for k, v in raw.items() if k not in ("version", "versionInfo")})
        stored.append({**app, "instances": tasks_per_app, "version": VERSION})
    for start in range(0, len(stored), 50):
        store.apps.commit([AppChange(app["id"], app, None) for app in stored[start:start + 50]])
    now = time.time()
    tasks = [running_record(app, TASK_PORT_BASE + n, now) for app in stored for n in range(tasks_per_app)]
    wait_all(store.tasks.put_many(tasks, new=True))
    return stored


def busy_ports(ports: list[int]) -> list[int]:
    """The ports of `ports` that something on 127.0.0.1 listens on (as HAProxy, ignoring TIME_WAIT)."""
    busy = []
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                busy.append(port)
    return busy


class Stack:
    """ZooKeeper, balalaika-api and balalaika-lb (with its HAProxy), stopped by PID in `stop`."""

    def __init__(self, home: Path, workers: int) -> None:
        self.home = home
        self.workers = workers
        self.zk: ZooKeeperServer | None = None
        self.api: Daemon | None = None
        self.lb: Daemon | None = None
        self.api_children: list[int] = []
        self.haproxy_pids: list[int] = []
        self.api_url = ""
        self.stats_port = self.http_port = self.appid_port = 0
        self.config = home / "lb" / "haproxy.cfg"

    def start_zookeeper(self) -> str:
        self.zk = ZooKeeperServer(self.home / "zk", 1, [Peer(free_port(), free_port(), free_port())], heap="512m")
        self.zk.start().wait_serving()
        return self.zk.hosts

    def start_api(self, tasks: int) -> None:
        assert self.zk is not None
        port = free_port()
        self.api = Daemon([bin_path("balalaika-api"), "--zk", self.zk.hosts, "--bind", f"127.0.0.1:{port}",
                           "--workers", str(self.workers)], self.home / "api.log").start()
        self.api_url = f"http://127.0.0.1:{port}"
        wait_for(lambda: self._alive(self.api) and port_answers("127.0.0.1", port), 60, "balalaika-api")
        self.api_children = children(self.api.pid)
        for _ in range(self.workers * 3):  # every worker's mirror is loaded before the lb reads
            wait_for(lambda: _task_count(self.api_url) == tasks, 120, f"the api listing {tasks} tasks")

    def start_lb(self) -> None:
        self.config.parent.mkdir(parents=True)
        self.stats_port, self.http_port, self.appid_port = free_port(), free_port(), free_port()
        argv = [bin_path("balalaika-lb"), "--marathon", self.api_url, "--haproxy-config", str(self.config),
                "--bind-address", "127.0.0.1", "--http-port", str(self.http_port), "--appid-port",
                str(self.appid_port), "--stats-port", str(self.stats_port), "--group", GROUP]
        self.lb = Daemon(argv, self.home / "lb.log").start()
        wait_for(lambda: self._alive(self.lb) and self.haproxy().answers(), 60, "the lb's HAProxy")
        self.haproxy_pids = _master_pids(self.haproxy())

    def haproxy(self) -> HAProxy:
        return HAProxy(self.config, self.config.parent)

    def metrics(self) -> dict[str, float]:
        """The lb's /metrics through HAProxy's stats port, as {series: value}."""
        conn = http.client.HTTPConnection("127.0.0.1", self.stats_port, timeout=5)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line and not line.startswith("#")}

    def _alive(self, daemon: Daemon | None) -> bool:
        if daemon is None or not daemon.alive():
            raise GiveUp(f"{daemon.argv[0] if daemon else 'a daemon'} exited:\n{daemon.log_tail() if daemon else ''}")
        return True

    def stop(self) -> None:
        """Stops everything started, each part even when stopping another failed."""
        for step in (self._stop_lb, self._stop_api, self._stop_zookeeper):
            try:
                step()
            except Exception as error:
                print(f"warning: {step.__name__}: {error}", file=sys.stderr)

    def _stop_lb(self) -> None:
        if self.lb is None:
            return
        with contextlib.suppress(OSError):  # the workers of the lb's reloads, besides those seen at start
            self.haproxy_pids = sorted(set(self.haproxy_pids) | set(_master_pids(self.haproxy())))
        self.lb.stop()  # the lb stops the HAProxy it started; make sure of it
        for pid in self.haproxy_pids:
            _ensure_gone(pid)

    def _stop_api(self) -> None:
        if self.api is not None:
            self.api.stop()
            for pid in self.api_children:
                _ensure_gone(pid)

    def _stop_zookeeper(self) -> None:
        if self.zk is not None:
            self.zk.stop()


def _master_pids(haproxy: HAProxy) -> list[int]:
    """HAProxy's master and workers, from the master CLI's `show proc`."""
    pids = []
    for line in haproxy.master_command("show proc").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].isdigit() and fields[1] in ("master", "worker"):
            pids.append(int(fields[0]))
    return pids


def _ensure_gone(pid: int) -> None:
    """Waits for a process we started indirectly to end; SIGKILLs it by PID if it does not."""
    try:
        wait_gone(pid, timeout=10)
    except Exception:
        try:
            os.kill(pid, signal.SIGKILL)
            print(f"warning: had to SIGKILL pid {pid}", file=sys.stderr)
        except ProcessLookupError:
            pass


def _task_count(api_url: str) -> int:
    host, port = api_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("GET", "/v2/apps?embed=apps.tasks")
        return sum(len(app.get("tasks") or []) for app in json.loads(conn.getresponse().read())["apps"])
    finally:
        conn.close()


def through_edge(port: int, timeout: float = 0.5) -> str | None:
    """The body HAProxy's frontend on `port` answered with, or None."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        response = conn.getresponse()
        return response.read().decode() if response.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def backend_name(app: dict) -> str:
    return f"{app['id'].strip('/').replace('/', '_')}_{app['portDefinitions'][0]['port']}"


def in_haproxy(stack: Stack, app: dict, port: int) -> bool:
    """Whether the running HAProxy has the server 127.0.0.1:`port` in the app's backend, not in maintenance."""
    answer = stack.haproxy().runtime_command(f"show servers state {backend_name(app)}")
    for line in answer.splitlines():
        fields = line.split()
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ...
        if len(fields) > 6 and fields[3] == f"127_0_0_1_{port}":
            return int(fields[6]) & MAINTENANCE == 0
    return False


class Op:
    """One scaling operation's writes, as the leader makes them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, app: dict, port: int) -> tuple[dict, float]:
        """A new RUNNING task on `port`: record, then its status_update_event; returns it and the append time."""
        now = time.time()
        record = running_record(app, port, now)
        self.store.tasks.put_many([record], new=True)  # in flight with the event, as the leader's _flush_acks
        started = time.perf_counter()
        self.store.events.append(records.status_update_event(record, running_status(now), format_ts(now)))
        return record, started

    def remove(self, record: dict) -> float:
        """The task ends (TASK_KILLED): its record goes, then the event (the leader's `_end_task`)."""
        now = time.time()
        started = time.perf_counter()
        self.store.tasks.delete(record["appId"], record["id"])
        self.store.events.append(records.status_update_event(record, running_status(now, "TASK_KILLED"),
                                                             format_ts(now)))
        return started


def wait_routed(app: dict, token: str, started: float, poll: float, timeout: float = 30.0) -> tuple[float, int]:
    """Seconds from `started` until the app's service port answers with `token`, and the requests it took."""
    port = app["portDefinitions"][0]["port"]
    tries = 0
    while time.perf_counter() - started < timeout:
        tries += 1
        if through_edge(port) == token:
            return time.perf_counter() - started, tries
        time.sleep(poll)
    raise TimeoutError(f"{app['id']}: the new task was not routed within {timeout}s")


def wait_unrouted(stack: Stack, app: dict, port: int, started: float, poll: float, timeout: float = 30.0) -> float:
    while time.perf_counter() - started < timeout:
        if not in_haproxy(stack, app, port):
            return time.perf_counter() - started
        time.sleep(poll)
    raise TimeoutError(f"{app['id']}: the removed task was still routed after {timeout}s")


@contextmanager
def task_server(token: str) -> Iterator[int]:
    body = token.encode()
    with answering(lambda _path, _headers: (200, body)) as port:
        yield port


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return f"p50 {at(0.5) * 1000:.0f} ms, p90 {at(0.9) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


class StreamWatch:
    """Our own subscription to the api's /v2/events, beside the lb's: when each task's status_update_event
    reached a client (perf_counter), to split event-to-routed into the api's part and the lb's part."""

    def __init__(self, api_url: str) -> None:
        host, port = api_url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=None)
        self.conn.request("GET", "/v2/events?event_type=status_update_event", headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        self.seen: dict[str, float] = {}
        self.reader = threading.Thread(target=self._read, name="bench-events", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                if raw.startswith(b"data:"):
                    event = json.loads(raw[5:])
                    self.seen[event.get("taskId", "")] = time.perf_counter()
        except (OSError, ValueError, http.client.HTTPException):
            return

    def close(self) -> None:
        if self.conn.sock is not None:
            self.conn.sock.shutdown(socket.SHUT_RDWR)  # the reader sees the end of the stream and returns
        self.reader.join(10)
        self.conn.close()


def measure_adds(op: Op, watch: StreamWatch, apps: list[dict], count: int,
                 poll: float) -> tuple[list[float], list[float], list[int]]:
    """`count` new tasks, each on its own app and server: seconds from the event append until routed and
    until our own event stream showed it, and the requests polled through HAProxy."""
    routed, streamed, tries = [], [], []
    step = max(1, len(apps) // count)
    with ExitStack() as servers:
        for i in range(count):
            app, token = apps[(i * step) % len(apps)], f"bench-{uuid.uuid4()}"
            port = servers.enter_context(task_server(token))
            record, started = op.add(app, port)
            latency, polled = wait_routed(app, token, started, poll)
            routed.append(latency)
            tries.append(polled)
            arrived = wait_for(lambda task_id=record["id"]: watch.seen.get(task_id), 10, "the event on our stream")
            streamed.append(arrived - started)
    return routed, streamed, tries


def measure_scaling(stack: Stack, op: Op, apps: list[dict], ops: int, poll: float) -> tuple[list[float], list[float]]:
    """`ops` operations: a task added (until routed), then removed (until out of HAProxy), on varying apps."""
    adds, removals = [], []
    for i in range(ops // 2):
        app, token = apps[(i * 37 + 11) % len(apps)], f"bench-{uuid.uuid4()}"
        with task_server(token) as port:
            record, started = op.add(app, port)
            adds.append(wait_routed(app, token, started, poll)[0])
            started = op.remove(record)
            removals.append(wait_unrouted(stack, app, port, started, poll))
    return adds, removals


def reloads(metrics: dict[str, float]) -> float:
    return metrics.get("balalaika_lb_reloads_total", 0.0)


def report_counters(label: str, before: dict[str, float], after: dict[str, float]) -> None:
    names = ["balalaika_lb_reloads_total", "balalaika_lb_runtime_updates_total", "balalaika_lb_events_total",
             "balalaika_lb_resyncs_total", "balalaika_lb_apply_failures_total"]
    deltas = ", ".join(f"{name.removeprefix('balalaika_lb_')} +{after.get(name, 0) - before.get(name, 0):.0f}"
                       for name in names)
    print(f"  {label}: {deltas}")


def bench_events(args: argparse.Namespace) -> None:
    apps = real_apps(1000)
    busy = busy_ports([d["port"] for app in apps for d in app["portDefinitions"]])
    if busy:
        raise SystemExit(f"service ports already in use on 127.0.0.1: {busy[:10]}...; free them first")
    with tempfile.TemporaryDirectory(prefix="bench-lb-events-") as home:
        stack = Stack(Path(home), args.workers)
        client = None
        try:
            client = connect(stack.start_zookeeper())
            store = Store(client)
            store.ensure_layout()
            started = time.perf_counter()
            stored = load_store(store, apps, args.tasks_per_app)
            tasks = len(stored) * args.tasks_per_app
            print(f"events: loaded {len(stored)} apps and {tasks} RUNNING task records in "
                  f"{time.perf_counter() - started:.1f} s")
            stack.start_api(tasks)
            started = time.perf_counter()
            stack.start_lb()
            wait_for(lambda: stack.metrics().get("balalaika_lb_servers") == tasks, 120, "the lb routing every task")
            print(f"  lb started and routing {tasks} servers in {time.perf_counter() - started:.1f} s "
                  f"(reloads so far: {reloads(stack.metrics()):.0f})")
            run_event_phases(stack, Op(store), stored, args)
        finally:
            if client is not None:
                client.stop()
                client.close()
            stack.stop()


def run_event_phases(stack: Stack, op: Op, stored: list[dict], args: argparse.Namespace) -> None:
    watch = StreamWatch(stack.api_url)
    try:
        warm_up(stack, op, stored, args.poll_interval)
        first = stack.metrics()
        routed, streamed, tries = measure_adds(op, watch, stored, args.events, args.poll_interval)
    finally:
        watch.close()
    second = stack.metrics()
    print(f"  event -> routed through HAProxy, {args.events} new tasks: {percentiles(routed)} "
          f"(target < 1 s; {statistics.median(tries):.0f} requests polled at median)")
    print(f"    of which event -> on an event stream of the api (our own subscription): {percentiles(streamed)}")
    report_counters(f"{args.events} adds", first, second)
    adds, removals = measure_scaling(stack, op, stored, args.scaling_ops, args.poll_interval)
    third = stack.metrics()
    print(f"  {args.scaling_ops} scaling operations: adds {percentiles(adds)}; removals (until out of "
          f"HAProxy) {percentiles(removals)}")
    print(f"  HAProxy reloads during the {args.scaling_ops} operations: {reloads(third) - reloads(second):.0f} "
          f"(target 0)")
    report_counters(f"{args.scaling_ops} operations", second, third)


def warm_up(stack: Stack, op: Op, apps: list[dict], poll: float) -> None:
    """One add and removal (not counted), then until the lb has read no snapshot for 2 s: the resync that
    follows the lb's event-stream connection must not fall into the measurements."""
    measure_scaling(stack, op, apps[-1:], 2, poll)

    def quiet() -> bool:
        before = stack.metrics().get("balalaika_lb_resyncs_total")
        time.sleep(2)
        return stack.metrics().get("balalaika_lb_resyncs_total") == before

    wait_for(quiet, 60, "the lb to stop reading snapshots")


# ---- main ----------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "dry", "events"), default="all")
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], default=[1000, 3000],
                        help="app counts for --dry (default 1000,3000)")
    parser.add_argument("--tasks-per-app", type=int, default=10)
    parser.add_argument("--agents", type=int, default=500, help="agents the --dry tasks are spread over")
    parser.add_argument("--runs", type=int, default=7, help="runs per --dry size")
    parser.add_argument("--events", type=int, default=20, help="new tasks timed event -> routed")
    parser.add_argument("--scaling-ops", type=int, default=100, help="adds and removals counted for reloads")
    parser.add_argument("--poll-interval", type=float, default=0.005, help="seconds between polls of HAProxy")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of balalaika-api")
    args = parser.parse_args()
    if args.part in ("all", "dry"):
        bench_dry(args)
    if args.part in ("all", "events"):
        bench_events(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
