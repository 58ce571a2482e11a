"""Scale benchmark: one whole stack on this machine, grown step by step to 10,000 apps and 100,000 tasks.

    .venv/bin/python bench/bench_scale.py [--sizes 1000,10000,50000,100000] [--tasks-per-app 10] [--agents 200]
                                          [--workers 2] [--posts 200] [--gets 20] [--out bench/scale.json]
    .venv/bin/python bench/bench_scale.py --plot bench/scale.json [--png bench/scale.png]

One real ZooKeeper, `mesos-local --agents 200 --pretend-tasks` (agents only pretend to run command tasks: no
process per task, see mesoslocal/agent/pretend_runner.py), one `balalaika-scheduler` and `balalaika-api`
(gunicorn, `--workers` gthread workers), all subprocesses. Apps are `/scale/gNNN/appNNNNN`, `--tasks-per-app`
instances of `sleep 3600` with `"executor": "//cmd"` (Mesos command tasks, the kind the agents pretend to run),
0.01 cpus, 1 MB, no ports. At each size:

1. the scheduler is stopped (SIGTERM), the new apps are written through the Store, the scheduler is started:
   *launch rate* = new tasks / (api sees every task RUNNING − the scheduler logged "reconciliation done");
2. the scheduler is restarted once more: *reconciliation* = "reconciliation done" − process start, with the
   parts "leading" (records loaded) and "subscribed" from its log;
3. `GET /v2/apps` and `GET /v2/apps/<id>` p50 (one client, keep-alive), memory of the scheduler and every api
   worker (RSS, PSS), ZooKeeper's `mntr` (zk_approximate_data_size, zk_znode_count) and snapshot size;
4. *mirror warm-up*: a fresh `framework.store.Mirror` (what every api worker loads) started in this process,
   best of 2 (`--compare-mirror FILE` also times another version's Mirror, alternately, on the same state);
5. `POST /v2/apps` with 4 clients (`--posts` apps of 0 instances, default service port each).

Everything is stopped at the end; `--out` gets the results and the PNG (`--png`) the scaling curve.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_executor import process_memory  # noqa: E402  (bench/ is the script's directory)
from daemon_logs import logged_at  # noqa: E402

from framework.model import normalize_app  # noqa: E402
from framework.scheduler.records import apply_status, new_record  # noqa: E402
from framework.store import Mirror, Store, connect, wait_all  # noqa: E402
from framework.timeutil import now_ts  # noqa: E402
from launchers.process import Daemon, children, free_port, port_answers  # noqa: E402
from launchers.waiting import wait_for  # noqa: E402
from launchers.zookeeper import Peer, ZooKeeperServer, four_letter_word  # noqa: E402

BIN = Path(sys.executable).parent
AGENT_RESOURCES = "cpus:16;mem:65536;disk:100000;ports:[31000-32000]"


def app_definition(index: int, instances: int) -> dict:
    return {"id": f"/scale/g{index // 100:03d}/app{index:05d}", "cmd": "sleep 3600", "cpus": 0.01, "mem": 1,
            "instances": instances, "executor": "//cmd", "portDefinitions": []}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Stack:
    """ZooKeeper, mesos-local, balalaika-api and a restartable balalaika-scheduler, with a Store client."""

    def __init__(self, home: Path, agents: int, workers: int, session_timeout: float) -> None:
        self.home, self.session_timeout = home, session_timeout
        self.zookeeper = ZooKeeperServer(home / "zk", 1, [Peer(free_port(), free_port(), free_port())], heap="2g")
        self.zookeeper.start().wait_serving()
        master_port, self.api_port, self.scheduler_metrics = free_port(), free_port(), free_port()
        self.mesos = Daemon([str(BIN / "mesos-local"), "--port", str(master_port), "--agents", str(agents),
                             "--agent-resources", AGENT_RESOURCES, "--pretend-tasks", "--log-level", "WARNING"],
                            home / "mesos.log").start()
        self.master = f"127.0.0.1:{master_port}"
        wait_for(lambda: port_answers("127.0.0.1", master_port), 60, "mesos-local")
        wait_for(lambda: len(requests.get(f"http://{self.master}/master/slaves", timeout=10).json()["slaves"])
                 == agents, 120, "every agent registered")
        self.client = connect(self.zookeeper.hosts)
        self.store = Store(self.client)
        self.store.ensure_layout()
        self.api = Daemon([sys.executable, "-m", "api.serve", "--zk", self.zookeeper.hosts, "--bind",
                           f"127.0.0.1:{self.api_port}", "--workers", str(workers)], home / "api.log",
                          cwd=ROOT).start()
        wait_for(lambda: port_answers("127.0.0.1", self.api_port), 30, "balalaika-api")
        self.scheduler: Daemon | None = None
        self.restarts = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start_scheduler(self) -> float:
        """Starts a scheduler; returns the wall time just before."""
        self.restarts += 1
        started = time.time()
        self.scheduler = Daemon([str(BIN / "balalaika-scheduler"), "--master", self.master, "--zk",
                                 self.zookeeper.hosts, "--hostname", "scheduler", "--log-level", "INFO",
                                 "--metrics-port", str(self.scheduler_metrics),
                                 "--zk-session-timeout", str(self.session_timeout)],
                                self.home / f"scheduler{self.restarts}.log").start()
        return started

    def stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop(timeout=60)
            self.scheduler = None

    def scheduler_logged(self, needle: str, after: float, timeout: float) -> float:
        assert self.scheduler is not None
        log = self.scheduler.log_path
        return wait_for(lambda: logged_at(log, needle, after), timeout, f"scheduler log: {needle}", interval=0.2)

    def running_seen_by_api(self) -> int:
        text = requests.get(f"{self.base}/metrics", timeout=60).text
        match = re.search(r'^balalaika_tasks\{state="TASK_RUNNING"\} ([0-9.e+]+)$', text, re.M)
        return int(float(match.group(1))) if match else 0

    def stop(self) -> None:
        self.stop_scheduler()
        self.api.stop()
        self.mesos.stop(timeout=120)
        self.client.stop()
        self.client.close()
        self.zookeeper.stop()


@contextmanager
def stack(agents: int, workers: int, session_timeout: float) -> Iterator[Stack]:
    home = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    print(f"logs under {home} (removed after a successful run)", flush=True)
    running = Stack(home, agents, workers, session_timeout)
    try:
        yield running
    finally:
        running.stop()
    shutil.rmtree(home, ignore_errors=True)


def write_apps(store: Store, first: int, count: int, instances: int) -> float:
    version = now_ts()

    def put(index: int) -> None:
        app = normalize_app({**app_definition(index, instances), "version": version})
        store.apps.put(app, expected_version=None)

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(first, first + count)))
    return time.perf_counter() - started


def write_running_records(store: Store, first: int, count: int, tasks_per_app: int, agents: int) -> float:
    """The records the scheduler would hold for RUNNING tasks of apps `first`.. (api-only sizes: no scheduler)."""
    version, now = now_ts(), time.time()
    records = []
    for index in range(first, first + count):
        app = {"id": app_definition(index, 0)["id"], "version": version}
        for n in range(tasks_per_app):
            agent = (index * tasks_per_app + n) % agents
            task_id = f"{app['id'].strip('/').replace('/', '_')}.{uuid.uuid4()}"
            record = new_record(app, task_id, agent_id=f"agent-S{agent}", host=f"127.0.0.{agent + 1}", ports=(),
                                service_ports=[], now=now)
            records.append(apply_status(record, {"state": "TASK_RUNNING", "timestamp": now}, now=now))
    started = time.perf_counter()
    wait_all(store.tasks.put_many(records, new=True), timeout=600)
    return time.perf_counter() - started


def api_only(bench: Stack, apps_before: int, apps: int, tasks_per_app: int, agents: int) -> dict:
    """Without a scheduler: the new apps and RUNNING records of their tasks written through the Store."""
    bench.stop_scheduler()
    writing = write_apps(bench.store, apps_before, apps - apps_before, tasks_per_app)
    records = write_running_records(bench.store, apps_before, apps - apps_before, tasks_per_app, agents)
    total = apps * tasks_per_app
    wait_for(lambda: bench.running_seen_by_api() >= total, 600, f"{total} records in the api", interval=1.0)
    return {"api_only": True, "apps_written_seconds": round(writing, 1), "records_written_seconds": round(records, 1),
            "new_tasks": total - apps_before * tasks_per_app}


def launch(bench: Stack, apps_before: int, apps: int, tasks_per_app: int) -> dict:
    """Scheduler stopped, new apps written, scheduler started: the time until the api sees every task RUNNING."""
    bench.stop_scheduler()
    writing = write_apps(bench.store, apps_before, apps - apps_before, tasks_per_app)
    started = bench.start_scheduler()
    subscribed = bench.scheduler_logged("reconciling", started, 600)
    reconciled = bench.scheduler_logged("reconciliation done", subscribed, 600)
    total = apps * tasks_per_app
    new = total - apps_before * tasks_per_app
    wait_for(lambda: bench.running_seen_by_api() >= total, 60 + new / 10, f"{total} tasks RUNNING in the api",
             interval=1.0)
    done = time.time()
    return {"apps_written_seconds": round(writing, 1), "new_tasks": new,
            "launch_seconds": round(done - reconciled, 1), "launch_tasks_per_second": round(new / (done - reconciled))}


def reconcile(bench: Stack, tasks: int) -> dict:
    """A scheduler restart with every task running: start → records loaded → subscribed → reconciled."""
    bench.stop_scheduler()
    started = bench.start_scheduler()
    leading = bench.scheduler_logged("known tasks", started, 600)
    subscribed = bench.scheduler_logged("reconciling", started, 600)
    reconciled = bench.scheduler_logged("reconciliation done", subscribed, 600)
    assert bench.scheduler is not None
    lost = bench.scheduler.log_path.read_text(errors="replace").count("unanswered by reconciliation")
    deadline = time.monotonic() + 120
    while (running := bench.running_seen_by_api()) < tasks and time.monotonic() < deadline:
        time.sleep(1)  # polling the api's count, recorded as is if it never gets back to every task
    return {"restart_to_leading_seconds": round(leading - started, 1),
            "restart_to_subscribed_seconds": round(subscribed - started, 1),
            "reconcile_seconds": round(reconciled - subscribed, 1),
            "restart_to_reconciled_seconds": round(reconciled - started, 1),
            "lost_in_reconciliation": lost, "running_after_restart": running}


def timed_gets(urls: list[str]) -> list[float]:
    session = requests.Session()
    out = []
    for url in urls:
        started = time.perf_counter()
        session.get(url, timeout=120).raise_for_status()
        out.append(time.perf_counter() - started)
    return out


def reads(bench: Stack, apps: int, gets: int, workers: int) -> dict:
    listing = f"{bench.base}/v2/apps"
    size = len(requests.get(listing, timeout=120).content)
    timed_gets([listing] * workers * 2)  # every worker's mirror and fragment cache warm
    ids = [app_definition(random.randrange(apps), 0)["id"] for _ in range(200)]
    lists = timed_gets([listing] * gets)
    ones = timed_gets([f"{bench.base}/v2/apps{app_id}" for app_id in ids])
    return {"get_apps_p50_ms": round(statistics.median(lists) * 1000, 1),
            "get_apps_p99_ms": round(percentile(lists, 0.99) * 1000, 1), "get_apps_mb": round(size / 1e6, 2),
            "get_app_p50_ms": round(statistics.median(ones) * 1000, 2),
            "get_app_p99_ms": round(percentile(ones, 0.99) * 1000, 2)}


def memory(bench: Stack) -> dict:
    scheduler = process_memory(bench.scheduler.pid) if bench.scheduler is not None else {}
    workers = [process_memory(pid) for pid in children(bench.api.pid)]
    return {"scheduler_rss_mb": round(scheduler["rss"]) if scheduler else None,
            "scheduler_pss_mb": round(scheduler.get("pss", 0)) if scheduler else None,
            "api_worker_rss_mb": round(max(w["rss"] for w in workers)),
            "api_worker_pss_mb": round(max(w.get("pss", 0) for w in workers)),
            "mesos_local_rss_mb": round(process_memory(bench.mesos.pid)["rss"])}


def zookeeper(bench: Stack) -> dict:
    port = int(bench.zookeeper.hosts.rsplit(":", 1)[1])
    mntr = dict(line.split("\t", 1) for line in four_letter_word(port, "mntr").splitlines() if "\t" in line)
    snapshots = sorted((bench.home / "zk").rglob("snapshot.*"), key=lambda p: p.stat().st_mtime)
    return {"zk_nodes": int(mntr["zk_znode_count"]),
            "zk_approximate_data_mb": round(int(mntr["zk_approximate_data_size"]) / 1e6, 1),
            "zk_last_snapshot_mb": round(snapshots[-1].stat().st_size / 1e6, 1) if snapshots else None}


def _load_seconds(hosts: str, mirror_class: type) -> tuple[float, int]:
    client = connect(hosts)
    mirror = mirror_class(client)
    started = time.perf_counter()
    mirror.start(timeout=900)
    seconds = time.perf_counter() - started
    loaded = sum(len(t) for t in mirror.snapshot().tasks.values())
    mirror.stop()
    client.stop()
    client.close()
    return seconds, loaded


def warm_up(bench: Stack, compare: type | None, runs: int = 2) -> dict:
    """A fresh Mirror on its own connection, as an api worker loads it at its first request; with `compare`
    (another Mirror class, e.g. an older mirror.py) both are timed, alternately, on the same state."""
    seconds, before = [], []
    for _ in range(runs):
        took, loaded = _load_seconds(bench.zookeeper.hosts, Mirror)
        seconds.append(took)
        if compare is not None:
            before.append(_load_seconds(bench.zookeeper.hosts, compare)[0])
    result = {"mirror_warm_up_seconds": round(min(seconds), 2), "mirror_warm_up_runs": [round(s, 2) for s in seconds],
              "mirror_tasks_loaded": loaded}
    if compare is not None:
        result["compared_mirror_warm_up_runs"] = [round(s, 2) for s in before]
    return result


def mirror_class_from(path: Path) -> type:
    """The Mirror class of another version of framework/store/mirror.py (`git show REV:framework/store/mirror.py`)."""
    spec = importlib.util.spec_from_file_location("framework.store.compared_mirror", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.Mirror


def posts(base: str, size: int, count: int, clients: int = 4) -> dict:
    """Answers other than 2xx (a 503 when ZooKeeper is slow to answer the api) are counted, not raised."""
    def client(index: int) -> tuple[list[float], int]:
        session = requests.Session()
        out, failed = [], 0
        for i in range(count // clients):
            body = {"id": f"/posted/s{size}/c{index}/a{i}", "cmd": "sleep 3600", "instances": 0, "cpus": 0.01,
                    "mem": 1}
            started = time.perf_counter()
            if session.post(f"{base}/v2/apps", json=body, timeout=60).ok:
                out.append(time.perf_counter() - started)
            else:
                failed += 1
        return out, failed

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - started
    latencies = [x for r, _ in answers for x in r]
    return {"post_apps_per_second": round(len(latencies) / elapsed, 1),
            "post_p50_ms": round(statistics.median(latencies) * 1000),
            "post_p99_ms": round(percentile(latencies, 0.99) * 1000), "post_max_ms": round(max(latencies) * 1000),
            "post_failed": sum(f for _, f in answers), "post_clients": clients}


def machine() -> dict:
    return {"date": datetime.now().astimezone().isoformat(timespec="seconds"), "nproc": os.cpu_count(),
            "cpu": next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name")), ""),
            "python": platform.python_version(), "argv": sys.argv}


def run(args: argparse.Namespace) -> dict:
    results = {"machine": machine(), "pretend_tasks": True, "sizes": []}
    print("mesos-local runs with --pretend-tasks: agents report command tasks RUNNING without starting a process",
          flush=True)
    compare = mirror_class_from(args.compare_mirror) if args.compare_mirror else None
    with stack(args.agents, args.workers, args.session_timeout) as bench:
        apps_before = 0
        for tasks in args.sizes:
            apps = tasks // args.tasks_per_app
            step = {"tasks": tasks, "apps": apps, "load_before": os.getloadavg()[0]}
            if tasks in args.api_only:
                step.update(api_only(bench, apps_before, apps, args.tasks_per_app, args.agents))
            else:
                step.update(launch(bench, apps_before, apps, args.tasks_per_app))
                step.update(reconcile(bench, tasks))
            apps_before = apps
            step.update(reads(bench, apps, args.gets, args.workers))
            step.update(memory(bench))
            step.update(zookeeper(bench))
            step.update(warm_up(bench, compare))
            step.update(posts(bench.base, tasks, args.posts))
            step["load_after"] = os.getloadavg()[0]
            results["sizes"].append(step)
            print(json.dumps(step), flush=True)
            args.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def plot(results: dict, png: Path) -> None:
    """Tasks on x (log); launch rate, memory, API p50 and mirror warm-up on four panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results["sizes"]
    x = [s["tasks"] for s in sizes]
    panels = [("launch rate (tasks/s)", [("launch", "launch_tasks_per_second")]),
              ("memory (MB, RSS)", [("scheduler", "scheduler_rss_mb"), ("api worker", "api_worker_rss_mb")]),
              ("API p50 (ms)", [("GET /v2/apps", "get_apps_p50_ms"), ("GET /v2/apps/<id>", "get_app_p50_ms")]),
              ("seconds", [("mirror warm-up", "mirror_warm_up_seconds"), ("reconcile", "reconcile_seconds")])]
    figure, axes = plt.subplots(2, 2, figsize=(11, 8))
    for axis, (title, series) in zip(axes.flat, panels, strict=True):
        for label, key in series:
            axis.plot(x, [s.get(key) for s in sizes], marker="o", label=label)
        if title == "seconds" and all(s.get("compared_mirror_warm_up_runs") for s in sizes):
            axis.plot(x, [min(s["compared_mirror_warm_up_runs"]) for s in sizes], marker="x", linestyle="--",
                      label="mirror warm-up, --compare-mirror")
        axis.set_xscale("log")
        axis.set_xlabel("tasks (10 per app)")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.suptitle(f"Balalaika on one 2-core box, mesos-local --pretend-tasks, 200 agents "
                    f"({results['machine']['date'][:10]})")
    figure.tight_layout()
    figure.savefig(png, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 10000, 50000, 100000])
    parser.add_argument("--tasks-per-app", type=int, default=10)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--gets", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/scale.json")
    parser.add_argument("--png", type=Path, default=ROOT / "bench/scale.png")
    parser.add_argument("--api-only", type=lambda s: [int(x) for x in s.split(",")], default=[],
                        help="sizes measured without the scheduler: the bench writes the RUNNING records itself "
                             "(api, mirror and ZooKeeper figures only)")
    parser.add_argument("--session-timeout", type=float, default=20.0,
                        help="the scheduler's --zk-session-timeout (default %(default)s s; with the 4 s default the "
                             "loaded 2-core machine expired the leader's session at 50,000 tasks)")
    parser.add_argument("--compare-mirror", type=Path, default=None,
                        help="also time the warm-up of the Mirror in this file (another version of mirror.py)")
    parser.add_argument("--plot", type=Path, default=None, help="only draw the PNG from this results file")
    args = parser.parse_args()
    results = json.loads(args.plot.read_text()) if args.plot else run(args)
    plot(results, args.png)
    print(f"results in {args.out}, curve in {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
