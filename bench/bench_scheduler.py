"""Benchmarks of the scheduler daemon on mesoslocal and a real ZooKeeper.

    .venv/bin/python bench/bench_scheduler.py launch [--instances 1000] [--agents 20] [--executor ""|//cmd]
                                                     [--cmd "exec sleep 600"] [--mem 1]
    .venv/bin/python bench/bench_scheduler.py failover [--mode kill term] [--session-timeout default 2]
                                                       [--runs 3] [--instances 50] [--zk-tick-ms 500]

`launch`: one app of N `exec sleep 600` instances (0.01 cpus, 1 MB each; `--cmd`, `--mem`) is written with
`store.apps.put` while one `balalaika-scheduler` leads; measured until every task record in ZooKeeper is
TASK_RUNNING (seen through a watch-fed Mirror), and until the master reports them all RUNNING. `--executor` is
the app's `executor` field: "" (Balalaika's executor, one per agent here) or "//cmd" (the Mesos command
executor; mesoslocal runs such tasks itself); the memory of the executor processes (VmRSS, and PSS and USS from
smaps_rollup, summed) and the CPU time they and this process used are read once all run.

`failover`: two schedulers and an app of 50 running tasks; the leader gets SIGKILL (`kill`) or SIGTERM
(`term`); measured from the signal to each step of the standby taking over, read from its log's timestamps:
elected, task records loaded, subscribed, reconciliation done; and, polled, its leader-info node and the
framework active again in the master's /master/state. After a kill the standby is told only when ZooKeeper
expires the dead leader's session, so the session timeout dominates (`--session-timeout`, "default" passes no
flag); ZooKeeper runs with a 500 ms tick as under `balalaika up` (the server grants 2 to 20 ticks and ends
sessions on tick boundaries). `tasks_kept`: the master's unfinished tasks of the app are the same set before
and after (none lost, none launched twice). Each run adds an app, so later runs reconcile 50 more tasks.

ZooKeeper (launchers.zookeeper) and the schedulers are subprocesses; mesoslocal runs in this process.
Everything is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_executor import cpu_seconds, process_memory  # noqa: E402  (bench/ is the script's directory)
from daemon_logs import logged_at  # noqa: E402

from framework.model import normalize_app  # noqa: E402
from framework.store import Store, connect, current_leader  # noqa: E402
from framework.timeutil import now_ts, parse_ts  # noqa: E402
from launchers.process import Daemon, free_port  # noqa: E402
from launchers.waiting import wait_for  # noqa: E402
from launchers.zookeeper import Peer, ZooKeeperServer  # noqa: E402
from mesoslocal.cluster import LocalCluster  # noqa: E402

SCHEDULER = str(Path(sys.executable).parent / "balalaika-scheduler")
# `exec`: the task is the shell's process itself. With a plain `sleep 600`, dash forks the sleep, and when the
# stack stops, mesoslocal SIGKILLs balalaika-executor's process group only: the shells die (PR_SET_PDEATHSIG)
# but their sleeps are left running, 1,000 per launch run.
TASK_CMD = "exec sleep 600"
log = logging.getLogger("bench")


class Stack:
    """ZooKeeper, a mesoslocal cluster, Balalaika's store, and scheduler processes started on demand."""

    def __init__(self, home: Path, zookeeper: ZooKeeperServer, cluster: LocalCluster) -> None:
        self.home, self.zookeeper, self.cluster = home, zookeeper, cluster
        self.zk_hosts = zookeeper.hosts
        self.client = connect(self.zk_hosts)
        self.store = Store(self.client)
        self.store.ensure_layout()
        self.schedulers: list[Daemon] = []

    def start_scheduler(self, *extra: str) -> Daemon:
        index = len(self.schedulers)
        argv = [SCHEDULER, "--master", self.cluster.master_url, "--zk", self.zk_hosts,
                "--hostname", f"scheduler{index}", "--log-level", "INFO", *extra]
        daemon = Daemon(argv, self.home / f"scheduler{index}.log").start()
        self.schedulers.append(daemon)
        return daemon

    def put_app(self, raw: dict) -> dict:
        app = normalize_app({**raw, "version": now_ts()})
        self.store.apps.put(app, expected_version=None)
        return app

    def framework(self, framework_id: str) -> dict:
        return next((f for f in self.cluster.state()["frameworks"] if f["id"] == framework_id), {})

    def stop(self) -> None:
        for daemon in self.schedulers:
            daemon.stop()
        self.client.stop()
        self.client.close()


@contextmanager
def stack(agents: int, resources: str, tick_ms: int = 2000) -> Iterator[Stack]:
    home = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
    zookeeper = ZooKeeperServer(home / "zookeeper", 1, [Peer(free_port(), free_port(), free_port())],
                                tick_ms=tick_ms)
    cluster = LocalCluster(agents=agents, agent_resources=resources, work_dir=home / "mesos")
    running: Stack | None = None
    try:
        zookeeper.start().wait_serving()
        cluster.start()
        running = Stack(home, zookeeper, cluster)
        yield running
    finally:
        if running is not None:
            running.stop()
        cluster.stop()
        zookeeper.stop()


def wait_leading(bench: Stack) -> str:
    wait_for(lambda: current_leader(bench.client), 30, "an elected scheduler")
    return wait_for(bench.store.get_framework_id, 30, "the framework id")


def launch(args: argparse.Namespace) -> dict:
    """Completion is polled cheaply (the master's state twice a second, then ZooKeeper's records once all run
    on the agents), and the moment every record became RUNNING is read from the records' own `updatedAt`
    (when the scheduler handled the update) so that polling adds no load and no delay to the figure."""
    resources = "cpus:16;mem:16384;disk:100000;ports:[31000-32000]"
    with stack(args.agents, resources) as bench:
        bench.start_scheduler()
        framework_id = wait_leading(bench)
        app_id = "/bench"
        wall = time.time()
        bench.put_app({"id": app_id, "cmd": args.cmd, "cpus": 0.01, "mem": args.mem, "instances": args.instances,
                       "executor": args.executor})

        def running_in_master() -> bool:
            tasks = bench.framework(framework_id).get("tasks", [])
            return sum(1 for t in tasks if t["state"] == "TASK_RUNNING") == args.instances

        wait_for(running_in_master, 300, "every task RUNNING on the agents", interval=0.5)
        records = wait_for(lambda: (lambda tasks: tasks if sum(1 for t in tasks if t["state"] == "TASK_RUNNING")
                                    == args.instances else None)(bench.store.tasks.all(app_id)),
                           120, "every record RUNNING in ZooKeeper", interval=0.5)
        executors = {**executor_memory(bench.cluster),
                     "scheduler_cpu_seconds": round(cpu_seconds(bench.schedulers[0].pid), 2)}
    # stagedAt: the record written before the launch; startedAt: the agent's RUNNING timestamp;
    # updatedAt: when the scheduler handled that update (its write follows within milliseconds)
    staged = [parse_ts(t["stagedAt"]) - wall for t in records]
    started = [parse_ts(t["startedAt"]) - wall for t in records]
    seconds = max(parse_ts(t["updatedAt"]) for t in records) - wall
    return {"instances": args.instances, "agents": args.agents, "executor": args.executor or "balalaika-executor",
            "cmd": args.cmd, "mem": args.mem, **executors,
            "seconds_to_first_record": round(min(staged), 2), "seconds_to_all_records": round(max(staged), 2),
            "seconds_to_last_running_on_agent": round(max(started), 2),
            "seconds_to_all_running_in_store": round(seconds, 2),
            "tasks_per_second": round(args.instances / seconds, 1)}


def executor_memory(cluster: LocalCluster) -> dict:
    """How many executor processes run on the agents, their memory summed (MB) and the CPU time they used so far;
    with the CPU time of this process (mesoslocal's master and agents, the store client, the polling)."""
    pids = [run.process.pid for handle in cluster.agents for run in list(handle.agent.executors.values())
            if run.process is not None]
    memories = [process_memory(pid) for pid in pids]
    totals = {f"executors_{key}_mb": round(sum(m.get(key, 0.0) for m in memories), 1) for key in ("rss", "pss", "uss")}
    return {"executor_processes": len(pids), **totals,
            "executors_cpu_seconds": round(sum(cpu_seconds(pid) for pid in pids), 2),
            "bench_process_cpu_seconds": round(cpu_seconds(os.getpid()), 2)}


# what the new leader logs at each step of taking over, in order (framework.store.leadership, scheduler.loop)
PHASES = {"elected": "elected leader:", "state_loaded": "leading with framework id",
          "subscribed": "subscribed as framework", "reconciled": "reconciliation done"}


def app_tasks_in_master(bench: Stack, framework_id: str, app_id: str) -> set[str]:
    """Ids of the app's tasks the master knows and that have not ended (a duplicate launch shows as a staging
    task); task ids start with the app id (CONTRIBUTING)."""
    prefix = app_id.lstrip("/").replace("/", "_") + "."
    return {t["id"] for t in bench.framework(framework_id).get("tasks", [])
            if t["state"] in ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING") and t["id"].startswith(prefix)}


def failover_once(bench: Stack, session_timeout: str, instances: int, mode: str) -> dict:
    """One hand-over: `mode` "kill" (SIGKILL) or "term" (SIGTERM) to the leader, a standby waiting."""
    flags = () if session_timeout == "default" else ("--zk-session-timeout", session_timeout)
    first = bench.start_scheduler(*flags)
    leader = wait_for(lambda: current_leader(bench.client), 30, "an elected scheduler")
    framework_id = wait_leading(bench)
    standby = bench.start_scheduler(*flags)
    app_id = f"/failover{len(bench.schedulers)}"
    bench.put_app({"id": app_id, "cmd": TASK_CMD, "cpus": 0.01, "mem": 1, "instances": instances})
    wait_for(lambda: sum(1 for t in bench.store.tasks.all(app_id) if t["state"] == "TASK_RUNNING") == instances,
             60, "the app running")
    wait_for(lambda: "elected" not in standby.log_tail(200) and "Zookeeper connection established"
             in standby.log_tail(200), 30, "the standby connected")
    before = app_tasks_in_master(bench, framework_id, app_id)

    wall, killed = time.time(), time.monotonic()
    first.process.send_signal(signal.SIGKILL if mode == "kill" else signal.SIGTERM)
    new_leader = wait_for(lambda: (lambda now: now and now["id"] != leader["id"] and time.monotonic())(
        current_leader(bench.client)), 120, "a new leader", interval=0.02)
    active = wait_for(lambda: bench.framework(framework_id).get("active") and time.monotonic(), 60,
                      "the framework active again", interval=0.02)
    wait_for(lambda: "reconciliation done" in standby.log_tail(400), 60, "the standby's reconciliation",
             interval=0.02)
    exit_code = first.process.wait(30)
    after = app_tasks_in_master(bench, framework_id, app_id)
    phases = {name: logged_at(standby.log_path, marker, wall) for name, marker in PHASES.items()}
    standby.stop()
    return {"mode": mode, "session_timeout": session_timeout, "instances": instances, "exit_code": exit_code,
            "tasks_kept": before == after and len(after) == instances,
            "seconds_to_new_leader_info": round(new_leader - killed, 2),
            **{f"seconds_to_{name}": round(at - wall, 2) if at else None for name, at in phases.items()},
            "seconds_to_active_in_master": round(active - killed, 2)}


def failover(args: argparse.Namespace) -> list[dict]:
    results = []
    with stack(3, "cpus:4;mem:4096;disk:10000;ports:[31000-32000]", tick_ms=args.zk_tick_ms) as bench:
        for _ in range(args.runs):
            for mode in args.mode:
                for timeout in args.session_timeout:
                    results.append(failover_once(bench, timeout, args.instances, mode))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    launching = commands.add_parser("launch", help="N instances to all RUNNING")
    launching.add_argument("--instances", type=int, default=1000)
    launching.add_argument("--agents", type=int, default=20)
    launching.add_argument("--executor", default="", help='the app\'s executor field: "" (balalaika-executor, the '
                                                          'default) or "//cmd" (the Mesos command executor)')
    launching.add_argument("--cmd", default=TASK_CMD, help="the app's cmd (default %(default)r)")
    launching.add_argument("--mem", type=float, default=1, help="the app's mem per instance (default %(default)s)")
    failing = commands.add_parser("failover", help="leader SIGKILL to re-subscribed and reconciled")
    failing.add_argument("--session-timeout", nargs="+", default=["default"],
                         help='--zk-session-timeout values to try; "default" passes none (default %(default)s)')
    failing.add_argument("--mode", nargs="+", choices=["kill", "term"], default=["kill", "term"],
                         help="SIGKILL or SIGTERM to the leader (default both)")
    failing.add_argument("--runs", type=int, default=1)
    failing.add_argument("--instances", type=int, default=50)
    failing.add_argument("--zk-tick-ms", type=int, default=500, help="ZooKeeper tickTime (default %(default)s)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = launch(args) if args.command == "launch" else failover(args)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
