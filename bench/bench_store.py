"""Benchmark of framework.store on a real standalone ZooKeeper started here (or --zk hosts).

Measures: writing 1,000 apps (one transaction each) and 10,000 task records; the Mirror's bulk load
of that state (target ~1-2 s; kazoo's TreeCache took 6.1 s); task-update write rates (tasks.put_many
batches vs one synchronous tasks.put per update); how long a mirror on a second client takes to
reflect a write, and to reflect 10,000 task updates. Record the figures in bench/RESULTS.md.

    .venv/bin/python bench/bench_store.py [--zk HOSTS] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from framework.store import Mirror, Store, connect, wait_all
from launchers.process import free_port
from launchers.zookeeper import Peer, ZooKeeperServer

APPS_FILE = Path(__file__).resolve().parents[1] / "tests/data/marathon/apps-1000-real-shaped.json"
VERSION = "2026-11-26T20:00:00.000Z"


def load_apps() -> list[dict]:
    """The 1,000 real-shaped definitions when present (~900 bytes each), else synthetic ones."""
    if APPS_FILE.exists():
        apps = json.loads(APPS_FILE.read_text())["apps"]
    else:
        apps = [{"id": f"/bench/g{n % 20}/app{n}", "cmd": "sleep 1000", "instances": 10} for n in range(1000)]
    return [{**app, "version": VERSION} for app in apps]


def make_task(app_id: str) -> dict:
    task_id = f"{app_id.lstrip('/').replace('/', '_')}.{uuid.uuid4()}"
    return {"id": task_id, "appId": app_id, "version": VERSION, "agentId": "agent-1-S0", "host": "10.0.0.17",
            "ports": [31017], "servicePorts": [10017], "state": "TASK_RUNNING",
            "stagedAt": "2026-11-26T20:00:01.000Z", "startedAt": "2026-11-26T20:00:02.000Z", "healthy": True,
            "ipAddresses": [{"ipAddress": "10.0.0.17", "protocol": "IPv4"}],
            "updatedAt": "2026-11-26T20:00:02.000Z", "unreachableSince": None, "message": ""}


def timed(label: str, action: Callable[[], object], count: int | None = None) -> float:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    rate = f"  ({count / elapsed:,.0f}/s)" if count else ""
    print(f"{label:<58} {elapsed * 1000:9.1f} ms{rate}")
    return elapsed


def visible_after(mirror: Mirror, write: Callable[[], None], seen: Callable[[], bool]) -> float:
    """Seconds from issuing `write` until `seen()` holds, woken by the mirror's change callback."""
    changed = threading.Event()
    unsubscribe = mirror.subscribe(lambda _change: changed.set())
    try:
        start = time.perf_counter()
        write()
        while not seen():
            changed.wait(5)
            changed.clear()
        return time.perf_counter() - start
    finally:
        unsubscribe()


def run(hosts: str, runs: int) -> None:
    writer = connect(hosts, timeout=30)
    root = f"/bench-{uuid.uuid4().hex[:8]}"
    store = Store(writer, root)
    store.ensure_layout()
    apps = load_apps()
    tasks = [make_task(apps[n % len(apps)]["id"]) for n in range(10_000)]
    print(f"{len(apps)} apps (~{sum(len(json.dumps(a)) for a in apps) // len(apps)} B), "
          f"{len(tasks)} tasks (~{len(json.dumps(tasks[0]))} B)")

    timed("apps.put x1,000 (transaction each, synchronous)",
          lambda: [store.apps.put(app, expected_version=None) for app in apps], len(apps))
    timed("tasks.put_many x10,000 creates (batch fails -> create_async)",
          lambda: wait_all(store.tasks.put_many(tasks), 120), len(tasks))

    loads = []
    for _ in range(runs):
        client = connect(hosts, timeout=30)
        mirror = Mirror(client, root)
        loads.append(timed("Mirror.start bulk load (1,000 apps + 10,000 tasks)", lambda m=mirror: m.start(60)))
        snap = mirror.snapshot()
        assert len(snap.apps) == len(apps) and sum(map(len, snap.tasks.values())) == len(tasks)
        timed("  snapshot() after load (builds views)", mirror.snapshot)
        mirror.stop()
        client.stop()
        client.close()
    print(f"{'Mirror.start median':<58} {statistics.median(loads) * 1000:9.1f} ms")

    for n in range(runs):
        updated = [{**task, "message": f"update {n}"} for task in tasks]
        timed("tasks.put_many x10,000 updates (transactions of 50, pipelined)",
              lambda u=updated: wait_all(store.tasks.put_many(u), 120), len(updated))
    timed("tasks.put x1,000 updates (one synchronous write each)",
          lambda: [store.tasks.put({**task, "message": "sync"}) for task in tasks[:1000]], 1000)
    timed("events.append x5,000 (async create, sequential)",
          lambda: wait_all([store.events.append({"eventType": "status_update_event", "n": n})
                            for n in range(5000)], 120), 5000)

    reader = connect(hosts, timeout=30)
    mirror = Mirror(reader, root)
    mirror.start(60)
    latencies = []
    for n in range(50):
        app, version = store.apps.get(apps[n]["id"])
        changed = {**app, "instances": 1000 + n}
        latencies.append(visible_after(
            mirror, lambda c=changed, v=version: store.apps.put(c, expected_version=v),
            lambda a=app["id"], i=1000 + n: mirror.snapshot().apps[a]["instances"] == i))
    latencies.sort()
    print(f"{'write -> visible in a mirror on another client (50 writes)':<58} "
          f"p50 {latencies[25] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    final = [{**task, "message": "final"} for task in tasks]
    last = final[-1]
    elapsed = visible_after(mirror, lambda: store.tasks.put_many(final),
                            lambda: all(mirror.snapshot().tasks[t["appId"]][t["id"]]["message"] == "final"
                                        for t in (final[0], last)) and mirror.synced)
    print(f"{'10,000 task updates -> all applied in the mirror':<58} {elapsed * 1000:9.1f} ms "
          f"({len(final) / elapsed:,.0f}/s)")
    mirror.stop()
    for client in (reader, writer):
        client.stop()
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zk", help="hosts of an existing ZooKeeper (default: start one)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.zk:
        run(args.zk, args.runs)
        return
    with tempfile.TemporaryDirectory() as home:
        server = ZooKeeperServer(Path(home), 1, [Peer(free_port(), free_port(), free_port())]).start()
        try:
            server.wait_serving()
            run(server.hosts, args.runs)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
