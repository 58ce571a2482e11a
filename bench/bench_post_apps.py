"""`POST /v2/apps` throughput on a stack that already holds many apps (issue 14: >= 100 apps/s, 4 clients).

    .venv/bin/python bench/bench_post_apps.py [--existing 1000,10000] [--batches 100,1000,1000] [--clients 4]
                                              [--workers 2] [--trees /tmp/anchor,.] [--out FILE]

For each tree (a checkout of this repository: `--trees` compares the code of several commits in one run, e.g. a
`git worktree add /tmp/anchor HEAD~` against `.`) and each `--existing` size, one fresh stack of subprocesses:
ZooKeeper, `mesos-local --agents 1 --pretend-tasks`, `balalaika-api` (`--workers` gthread workers) and one
`balalaika-scheduler` leading, both run from that tree. The existing apps (0 instances, no ports) are written
through the Store first and every mirror is warmed; then each batch of `--batches` new apps is POSTed by
`--clients` concurrent keep-alive clients (bench_scale.posts: 0 instances, the default `portDefinitions:
[{"port": 0}]`, so each POST assigns a service port). Printed per batch: apps/s, p50/p99 latency, failures,
the 1-minute load average, the CPU time per POST of each daemon (ZooKeeper, api workers, scheduler,
mesos-local), of ZooKeeper's JIT compiler (part of ZooKeeper's: in a fresh ZooKeeper it compiles through
about the first 2,000 POSTs, hence the default third batch) and of the bench's own clients, and ZooKeeper's requests
and packets sent per POST. After the
batches the bench checks what the writes must keep: every posted app listed by the api and all service ports
distinct.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_scale import machine, posts, write_apps  # noqa: E402  (bench/ is the script's directory)

from framework.store import Store, connect  # noqa: E402
from launchers.process import Daemon, children, free_port, port_answers  # noqa: E402
from launchers.waiting import WaitTimeout, wait_for  # noqa: E402
from launchers.zookeeper import Peer, ZooKeeperServer, four_letter_word  # noqa: E402


@contextmanager
def stack(tree: Path, existing: int, workers: int) -> Iterator[tuple[str, dict[str, Daemon], int]]:
    """ZooKeeper holding `existing` apps, mesos-local, the api and a leading scheduler run from `tree`; yields
    the api's base URL, the daemons by role and ZooKeeper's client port."""
    home = Path(tempfile.mkdtemp(prefix="bench-post-"))
    env = {**os.environ, "PYTHONPATH": str(tree)}
    daemons: list[Daemon] = []
    zookeeper = ZooKeeperServer(home / "zk", 1, [Peer(free_port(), free_port(), free_port())], heap="1g")
    zookeeper.start().wait_serving()
    try:
        client = connect(zookeeper.hosts)
        store = Store(client)
        store.ensure_layout()
        took = write_apps(store, 0, existing, 0)
        client.stop()
        client.close()
        print(f"{tree}: {existing} apps written in {took:.1f}s; logs under {home}", flush=True)
        master, api = free_port(), free_port()

        def start(role: str, *argv: str) -> None:
            """`python -m argv` from `tree` (its cwd: `-m` puts the cwd first on sys.path)."""
            roles[role] = Daemon([sys.executable, "-m", *argv], home / f"{role}.log", env=env, cwd=tree).start()
            daemons.append(roles[role])

        roles: dict[str, Daemon] = {}
        start("mesos-local", "mesoslocal.cli", "--port", str(master), "--agents", "1", "--pretend-tasks",
              "--log-level", "WARNING")
        wait_for(lambda: port_answers("127.0.0.1", master), 60, "mesos-local")
        start("scheduler", "framework.daemon", "--master", f"127.0.0.1:{master}", "--zk", zookeeper.hosts,
              "--hostname", "scheduler", "--zk-session-timeout", "20")
        start("api", "api.serve", "--zk", zookeeper.hosts, "--bind", f"127.0.0.1:{api}", "--workers", str(workers))
        wait_for(lambda: port_answers("127.0.0.1", api), 60, "balalaika-api")
        base = f"http://127.0.0.1:{api}"
        wait_for(lambda: requests.get(f"{base}/v2/leader", timeout=30).ok, 60, "a leader")
        for _ in range(workers * 4):  # every worker's mirror loaded before measuring
            requests.get(f"{base}/v2/apps", timeout=120).raise_for_status()
        yield base, {"zookeeper": zookeeper.daemon, **roles}, int(zookeeper.hosts.rsplit(":", 1)[1])
    finally:
        for daemon in reversed(daemons):
            daemon.stop(timeout=60)
        zookeeper.stop()
    shutil.rmtree(home, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children that exited, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def jit_seconds(pid: int) -> float:
    """User + system CPU time of a JVM's JIT compiler threads (named "C1/C2 CompilerThread<n>", cut to 15
    characters), from /proc."""
    total = 0.0
    for thread in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            if (thread / "comm").read_text().startswith(("C1 CompilerThre", "C2 CompilerThre")):
                fields = (thread / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_by_role(roles: dict[str, Daemon]) -> dict[str, float]:
    """CPU seconds used so far by each daemon with its child processes (the api's gunicorn workers), the part
    of ZooKeeper's that its JIT compiler used (included in ZooKeeper's), and this bench's own clients (they
    share the machine's two cores with the stack)."""
    own = os.times()
    return {**{role: sum(cpu_seconds(pid) for pid in [daemon.pid, *children(daemon.pid)])
               for role, daemon in roles.items()}, "zookeeper-jit": jit_seconds(roles["zookeeper"].pid),
            "clients": own.user + own.system}


def packets(port: int) -> dict[str, int]:
    """ZooKeeper's counts of requests received and of answers and notifications sent, from `mntr`."""
    mntr = dict(line.split("\t", 1) for line in four_letter_word(port, "mntr").splitlines() if "\t" in line)
    return {"received": int(mntr["zk_packets_received"]), "sent": int(mntr["zk_packets_sent"])}


def check(base: str, posted: int) -> dict:
    """Every posted app is listed, and no two apps share a service port. Each listing is asked on a new
    connection, so any worker may answer: a write is shown at once by the worker that answered it, and by the
    others once their mirrors have it; `listed_after_ms` says how long until a listing had them all (up to
    10 s), `listed_at_once` how many the first listing had."""
    started = time.monotonic()
    listings = []

    def complete() -> bool:
        listings.append(requests.get(f"{base}/v2/apps", params={"id": "/posted"}, timeout=120).json()["apps"])
        return len(listings[-1]) >= posted

    with contextlib.suppress(WaitTimeout):
        wait_for(complete, 10, "every posted app listed", interval=0.01)
    apps = listings[-1]
    ports = [port for app in apps for port in app.get("servicePorts", [])]
    return {"listed": len(apps), "posted": posted, "listed_at_once": len(listings[0]),
            "listed_after_ms": round((time.monotonic() - started) * 1000),
            "duplicate_service_ports": len(ports) - len(set(ports))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=lambda s: [int(x) for x in s.split(",")], default=[1000])
    parser.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",")], default=[100, 1000, 1000])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trees", type=lambda s: [Path(x).resolve() for x in s.split(",")], default=[ROOT])
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args()
    results = {"machine": machine(), "runs": []}
    for existing in args.existing:
        for tree in args.trees:
            with stack(tree, existing, args.workers) as (base, roles, zookeeper_port):
                run = {"tree": str(tree), "existing": existing, "batches": []}
                for number, count in enumerate(args.batches):
                    load_before, cpu_before = os.getloadavg()[0], cpu_by_role(roles)
                    packets_before = packets(zookeeper_port)
                    batch = {"apps": count, **posts(base, number, count, args.clients),
                             "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1)}
                    batch["cpu_ms_per_post"] = {role: round((used - cpu_before[role]) * 1000 / count, 1)
                                                for role, used in cpu_by_role(roles).items()}
                    batch["zookeeper_packets_per_post"] = {kind: round((number - packets_before[kind]) / count, 1)
                                                           for kind, number in packets(zookeeper_port).items()}
                    run["batches"].append(batch)
                    print(f"{tree} with {existing} apps: POST {count} apps, {args.clients} clients: "
                          f"{batch['post_apps_per_second']} apps/s, p50 {batch['post_p50_ms']} ms, "
                          f"p99 {batch['post_p99_ms']} ms, {batch['post_failed']} failed, "
                          f"load {batch['load_before']} -> {batch['load_after']}; CPU ms per POST "
                          f"{batch['cpu_ms_per_post']}; ZooKeeper packets per POST "
                          f"{batch['zookeeper_packets_per_post']}", flush=True)
                run["check"] = check(base, sum(args.batches))
                print(f"check: {run['check']}", flush=True)
                results["runs"].append(run)
                if args.out:
                    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
