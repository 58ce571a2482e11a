"""Benchmark of balalaika-api under gunicorn: GET /v2/apps?embed=apps.tasks with 1,000 apps and 10,000
tasks (p50/p99 latency, requests/s), and POST /v2/apps throughput (each new app gets a service port).

    .venv/bin/python bench/bench_api.py [--requests 300] [--concurrency 4] [--posts 200] [--workers 2]

Starts its own ZooKeeper and gunicorn on loopback ports and stops them. The apps are the realistic
definitions of tests/data/marathon/apps-1000-real-shaped.json; tasks are written as the scheduler would.
Targets: p50 <= 100 ms, p99 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

from framework.model import normalize_app
from framework.store import Store, connect, wait_all
from framework.timeutil import now_ts
from launchers.process import Daemon, free_port, port_answers
from launchers.waiting import wait_for
from launchers.zookeeper import Peer, ZooKeeperServer

APPS = Path(__file__).resolve().parents[1] / "tests/data/marathon/apps-1000-real-shaped.json"
ROOT = "/balalaika"


def load(hosts: str, tasks_per_app: int) -> int:
    client = connect(hosts)
    store = Store(client, ROOT)
    store.ensure_layout()
    apps = json.loads(APPS.read_text())["apps"]
    version = now_ts()
    tasks = []
    for raw in apps:
        app = normalize_app({k: v for k, v in raw.items() if k not in ("version", "versionInfo")})
        app["version"] = version
        store.apps.put(app, expected_version=None)
        prefix = app["id"].lstrip("/").replace("/", "_")
        for i in range(tasks_per_app):
            tasks.append({"id": f"{prefix}.{i:08d}-0000-4000-8000-000000000000", "appId": app["id"],
                          "version": version, "agentId": "agent-S1", "host": f"agent{i % 20}.local",
                          "ports": [31000 + i], "servicePorts": [], "state": "TASK_RUNNING", "stagedAt": version,
                          "startedAt": version, "healthy": True, "updatedAt": version, "unreachableSince": None,
                          "ipAddresses": [{"ipAddress": "10.0.0.1", "protocol": "IPv4"}], "message": None})
    wait_all(store.tasks.put_many(tasks))
    client.stop()
    client.close()
    return len(tasks)


def timed_gets(url: str, n: int, concurrency: int) -> tuple[list[float], float]:
    def worker(count: int) -> list[float]:
        session = requests.Session()
        out = []
        for _ in range(count):
            started = time.perf_counter()
            response = session.get(url, timeout=30)
            response.raise_for_status()
            out.append(time.perf_counter() - started)
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, [n // concurrency] * concurrency))
    return [x for r in results for x in r], time.perf_counter() - started


def timed_posts(base: str, n: int, concurrency: int) -> tuple[list[float], float]:
    def worker(index: int) -> list[float]:
        session = requests.Session()
        out = []
        for i in range(n // concurrency):
            body = {"id": f"/bench/p{index}/a{i}", "cmd": "sleep 100", "instances": 1, "cpus": 0.01, "mem": 8}
            started = time.perf_counter()
            session.post(f"{base}/v2/apps", json=body, timeout=30).raise_for_status()
            out.append(time.perf_counter() - started)
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, range(concurrency)))
    return [x for r in results for x in r], time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextmanager
def loaded_api(workers: int, tasks_per_app: int, *flags: str) -> Iterator[tuple[str, Daemon, int]]:
    """A ZooKeeper loaded with the 1,000 apps and `tasks_per_app` tasks each, and balalaika-api on it:
    yields its base URL, its Daemon and the number of tasks; stops both at the end."""
    with tempfile.TemporaryDirectory() as home:
        zk = ZooKeeperServer(Path(home) / "zk", 1, [Peer(free_port(), free_port(), free_port())], heap="512m")
        zk.start().wait_serving()
        api = None
        try:
            started = time.perf_counter()
            tasks = load(zk.hosts, tasks_per_app)
            print(f"loaded 1000 apps and {tasks} tasks in {time.perf_counter() - started:.1f}s")
            port = free_port()
            api = Daemon([sys.executable, "-m", "api.serve", "--zk", zk.hosts, "--root", ROOT, "--bind",
                          f"127.0.0.1:{port}", "--workers", str(workers), *flags], Path(home) / "api.log",
                         cwd=Path(__file__).resolve().parent.parent).start()
            wait_for(lambda: port_answers("127.0.0.1", port), 30, "gunicorn")
            yield f"http://127.0.0.1:{port}", api, tasks
        finally:
            if api is not None:
                api.stop()
            zk.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks-per-app", type=int, default=10)
    args = parser.parse_args()
    with loaded_api(args.workers, args.tasks_per_app) as (base, api, _):
        url = f"{base}/v2/apps?embed=apps.tasks"
        size = 0
        for _ in range(args.workers * 4):  # every worker loads its mirror before we measure
            size = len(requests.get(url, timeout=60).content)
        latencies, elapsed = timed_gets(url, args.requests, args.concurrency)
        p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
        print(f"GET /v2/apps?embed=apps.tasks ({size / 1e6:.1f} MB): p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
              f"{len(latencies) / elapsed:.1f} req/s ({args.concurrency} clients, {args.workers} workers)")
        latencies, elapsed = timed_posts(base, args.posts, args.concurrency)
        p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
        retries = api.log_path.read_text().count("lost a compare-and-set")
        print(f"POST /v2/apps: {len(latencies) / elapsed:.1f} apps/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms "
              f"({args.concurrency} clients, {args.workers} workers; {retries} compare-and-set retries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
