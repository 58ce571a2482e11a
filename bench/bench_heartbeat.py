"""How long a loaded machine stalls a Python process's ZooKeeper heartbeats, and which session timeouts survive it.

    .venv/bin/python bench/bench_heartbeat.py [--seconds 20] [--records 100000] [--timeouts 2 3 4]

The session timeout trades failover time against false failovers: ZooKeeper expires a session that has not
been heard from for the timeout, and kazoo pings after a third of it of silence, so a process whose
connection thread cannot run for about two thirds of the timeout loses its session (and a leader its
leadership) although nothing failed. kazoo's pings run on their own thread ("kazoo connection"), so a busy
loop thread alone does not delay them beyond Python's GIL switch interval; what can is whatever holds the
GIL or the CPU for long: a full garbage collection over a big heap, other runnable threads, other processes.

Each load runs for `--seconds` in turn: idle; `gil` (two pure-Python busy threads in this process); `gc`
(a heap of `--records` task-record-shaped dicts, as a leader holds at that many tasks, collected in full
over and over by a thread); `cpu` (2 x nproc busy processes: CPU starvation); and `all` of them at once.
Measured meanwhile: the latest a thread waking every 20 ms woke (what the connection thread suffers when its
`select` times out), the longest full collection, and, for kazoo clients with each of `--timeouts`, how
often the connection was SUSPENDED and the session LOST. ZooKeeper (launchers.zookeeper, tick 500 ms so
that short timeouts are granted as asked) runs on the same machine and suffers the same load.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kazoo.client import KazooClient  # noqa: E402

from launchers.process import free_port  # noqa: E402
from launchers.zookeeper import Peer, ZooKeeperServer  # noqa: E402

WAKE_EVERY = 0.02


def task_record(n: int) -> dict:
    """A dict shaped like a scheduler's task record (framework/scheduler/records.py), with its nesting."""
    return {"id": f"app_{n % 1000}.{n:032x}", "appId": f"/app{n % 1000}", "version": "2026-12-01T00:00:00.000Z",
            "agentId": f"agent-S{n % 200}", "host": "10.0.0.1", "ports": [31000 + n % 1000],
            "servicePorts": [10000 + n % 1000], "state": "TASK_RUNNING", "stagedAt": 1.0e9, "startedAt": 1.0e9,
            "healthy": True, "ipAddresses": [{"ipAddress": "10.0.0.1", "protocol": "IPv4"}],
            "updatedAt": "2026-12-01T00:00:00.000Z", "unreachableSince": None, "message": "",
            "healthCheckResults": [{"alive": True, "consecutiveFailures": 0, "firstSuccess": "x",
                                    "lastFailure": None, "lastSuccess": "x", "lastFailureCause": None,
                                    "instanceId": f"i{n}"}]}


class Stopper:
    """Background threads and processes of one load, ended together."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.threads: list[threading.Thread] = []
        self.processes: list[subprocess.Popen] = []

    def thread(self, target: Callable[[], None]) -> None:
        def loop() -> None:
            while not self.done.is_set():
                target()
        self.threads.append(threading.Thread(target=loop, daemon=True))
        self.threads[-1].start()

    def stop(self) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join()
        for process in self.processes:
            process.kill()
            process.wait()


def busy_python() -> None:
    total = 0
    for i in range(100_000):
        total += i * i


@contextmanager
def load(name: str, records: int, collections: list[float]) -> Iterator[None]:
    stopper = Stopper()
    heap = [task_record(n) for n in range(records)] if name in ("gc", "all") else []

    def collect() -> None:
        started = time.monotonic()
        gc.collect()
        collections.append(time.monotonic() - started)

    if name in ("gil", "all"):
        stopper.thread(busy_python)
        stopper.thread(busy_python)
    if name in ("gc", "all"):
        stopper.thread(collect)
    if name in ("cpu", "all"):
        stopper.processes = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                             for _ in range(2 * (os.cpu_count() or 1))]
    try:
        yield
    finally:
        stopper.stop()
        del heap


class Sessions:
    """kazoo clients with different session timeouts, counting their state changes."""

    def __init__(self, hosts: str, timeouts: list[float]) -> None:
        self.changes: dict[float, Counter] = {timeout: Counter() for timeout in timeouts}
        self.clients = {}
        for timeout in timeouts:
            client = KazooClient(hosts=hosts, timeout=timeout)
            client.add_listener(lambda state, t=timeout: self.changes[t].update([str(state)]))
            client.start(timeout=15)
            self.clients[timeout] = client

    def reset(self) -> None:
        for counter in self.changes.values():
            counter.clear()

    def close(self) -> None:
        for client in self.clients.values():
            client.stop()
            client.close()


def latest_wake(seconds: float) -> float:
    """Sleeps WAKE_EVERY at a time for `seconds`; returns the worst lateness of a wake-up."""
    worst = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        asked = time.monotonic()
        time.sleep(WAKE_EVERY)
        worst = max(worst, time.monotonic() - asked - WAKE_EVERY)
    return worst


def measure(args: argparse.Namespace, hosts: str) -> list[dict]:
    sessions = Sessions(hosts, args.timeouts)
    results = []
    try:
        for name in ("idle", "gil", "gc", "cpu", "all"):
            collections: list[float] = []
            with load(name, args.records, collections):
                sessions.reset()
                worst = latest_wake(args.seconds)  # the main thread is one thread among the others
                loadavg = os.getloadavg()[0]
            results.append({"load": name, "load_average_1m": round(loadavg, 1),
                            "latest_wake_ms": round(worst * 1000),
                            "longest_full_gc_ms": round(max(collections, default=0.0) * 1000),
                            "full_gcs": len(collections),
                            **{f"timeout_{t:g}s": {"suspended": c["SUSPENDED"], "lost": c["LOST"]}
                               for t, c in sessions.changes.items()}})
            sys.stderr.write(json.dumps(results[-1]) + "\n")
    finally:
        sessions.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per load (default %(default)s)")
    parser.add_argument("--records", type=int, default=100_000, help="task records on the heap for gc")
    parser.add_argument("--timeouts", type=float, nargs="+", default=[2.0, 3.0, 4.0])
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-heartbeat-"))
    zookeeper = ZooKeeperServer(home, 1, [Peer(free_port(), free_port(), free_port())], tick_ms=500)
    try:
        zookeeper.start().wait_serving()
        results = measure(args, zookeeper.hosts)
    finally:
        zookeeper.stop()
    sys.stdout.write(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
