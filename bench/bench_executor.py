"""Benchmark of balalaika-executor on mesoslocal: its memory with 1 and N tasks, and start-to-RUNNING latency.

    .venv/bin/python bench/bench_executor.py [--tasks 100] [--later 10] [--runs 3]

One mesoslocal agent (in this process, allocation every 0.2 s) and a pymesos scheduler driver. The TaskInfos and
their shared ExecutorInfo are built as the scheduler builds them (`framework.scheduler.launching.plan_launches`,
hence `framework.executors.executor_info`) for an app `exec sleep 600`, 0.01 cpus, 8 MB, no ports. Each run
uses a new app version, hence a new executor:

1. one task on one offer: ACCEPT → TASK_RUNNING ("first": the executor's start included), then the executor's
   memory after a 2 s settle, the CPU share it used in those 2 s and its CPU time so far;
2. `--later` single tasks, each on its own offer, into the running executor (ACCEPT → TASK_RUNNING each);
3. the rest up to `--tasks` in one ACCEPT (→ all RUNNING), then the same readings again (the CPU time between
   the two, divided by the tasks launched meanwhile, is `cpu_ms_per_later_task`);
4. every task killed; the executor must exit by itself.

Memory is the executor process's own (its tasks are separate processes, reported apart): VmRSS and VmHWM from
/proc/<pid>/status, PSS and USS (private pages) from /proc/<pid>/smaps_rollup. Latency is the ACCEPT call (pymesos
sends it synchronously) to the scheduler's receipt of TASK_RUNNING. For reference, each run is repeated
(less the first task) with `"executor": "//cmd"`: mesoslocal runs those tasks itself, with no executor process,
where Mesos would start its command executor per task.
The cluster and the driver are stopped at the end (the executors and tasks go with the cluster), and the work
directory is removed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from pymesos import MesosSchedulerDriver, Scheduler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from framework.executors import ExecutorSettings, shared_executor  # noqa: E402
from framework.matching import Demand  # noqa: E402
from framework.model import normalize_app  # noqa: E402
from framework.scheduler.launching import plan_launches  # noqa: E402
from framework.timeutil import now_ts  # noqa: E402
from launchers.process import children, wait_gone  # noqa: E402
from launchers.waiting import wait_for  # noqa: E402
from mesoslocal.cluster import LocalCluster  # noqa: E402

log = logging.getLogger("bench")
SETTLE = 2.0  # seconds after the last RUNNING before memory is read (the CPU share is taken over them)


def process_memory(pid: int) -> dict[str, float]:
    """MB: rss and peak_rss (VmHWM) from status; pss and uss (private) from smaps_rollup when readable."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out["rss" if name == "VmRSS" else "peak_rss"] = int(value.split()[0]) / 1024
        elif name == "Threads":
            out["threads"] = int(value)
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return out
    kb = {name: int(value.split()[0]) for name, _, value in (line.partition(":") for line in rollup[1:])}
    out["pss"] = kb.get("Pss", 0) / 1024
    out["uss"] = (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled_memory(pid: int) -> dict[str, float]:
    """The memory after SETTLE seconds, with the CPU share the process used meanwhile (percent of one core) and
    all the CPU time it used so far."""
    before = cpu_seconds(pid)
    time.sleep(SETTLE)
    after = cpu_seconds(pid)
    return {**process_memory(pid), "cpu_percent": 100 * (after - before) / SETTLE, "cpu_seconds": after}


def rounded(memory: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 3 if key.startswith("cpu") else 1) for key, value in memory.items()}


def spread(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": round(statistics.median(values), 3), "max": round(max(values), 3),
            "min": round(min(values), 3)}


def _cpus(offer: dict) -> float:
    return sum(r["scalar"]["value"] for r in offer["resources"] if r["name"] == "cpus")


class Recorder(Scheduler):
    """Keeps the offers and the moment each (task, state) update arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.framework_id: str | None = None
        self.offers: dict[str, dict] = {}
        self.seen: dict[tuple[str, str], float] = {}
        self.failed: list[dict] = []

    def registered(self, driver, framework_id, master_info) -> None:
        self.framework_id = framework_id["value"]

    def resourceOffers(self, driver, offers) -> None:
        with self.lock:
            self.offers.update((offer["id"]["value"], offer) for offer in offers)

    def offerRescinded(self, driver, offer_id) -> None:
        with self.lock:
            self.offers.pop(offer_id["value"], None)

    def statusUpdate(self, driver, status) -> None:
        arrived = time.monotonic()
        with self.lock:
            self.seen.setdefault((status["task_id"]["value"], status["state"]), arrived)
            if status["state"] in ("TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED"):
                self.failed.append(status)

    def take_offers(self) -> list[dict]:
        """Every outstanding offer (at least one), the one with the most cpus first."""
        def pick() -> list[dict]:
            with self.lock:
                offers, self.offers = list(self.offers.values()), {}
            return sorted(offers, key=lambda offer: -_cpus(offer))

        return wait_for(pick, 15, "an offer", interval=0.005)

    def all_reached(self, task_ids: list[str], state: str) -> float | None:
        """The latest arrival of `state` over `task_ids`, once every one has it."""
        with self.lock:
            if self.failed:
                raise AssertionError(f"a task failed: {self.failed[0]}")
            times = [self.seen.get((task_id, state)) for task_id in task_ids]
        return None if None in times else max(times)  # type: ignore[type-var]


class Bench:
    def __init__(self, cluster: LocalCluster, driver: MesosSchedulerDriver, recorder: Recorder) -> None:
        self.cluster, self.driver, self.recorder = cluster, driver, recorder

    def launch(self, app: dict, count: int) -> tuple[list[str], float]:
        """Launches `count` instances of `app` on one offer; returns their ids and when the ACCEPT was sent."""
        # the agent's resources come back in several offers after kills: use the largest, decline the others so
        # that the next allocation merges them
        offer, *others = self.recorder.take_offers()
        if others:
            self.driver.declineOffer([other["id"] for other in others], {"refuse_seconds": 0})
        batch = plan_launches([Demand(app, count)], [offer], [], now=time.time(),
                              framework_id=self.recorder.framework_id)
        tasks = batch.task_infos_by_offer.get(offer["id"]["value"], [])
        if len(tasks) != count:
            raise RuntimeError(f"only {len(tasks)} of {count} placed: {batch.reasons}")
        sent = time.monotonic()
        self.driver.launchTasks(offer["id"], tasks, {"refuse_seconds": 0})
        return [task["task_id"]["value"] for task in tasks], sent

    def running(self, app: dict, count: int) -> tuple[list[str], float]:
        """Launches and waits: the ids and the seconds from the ACCEPT to the last TASK_RUNNING."""
        task_ids, sent = self.launch(app, count)
        last = wait_for(lambda: self.recorder.all_reached(task_ids, "TASK_RUNNING"), 120,
                        f"{count} tasks RUNNING", interval=0.005)
        return task_ids, last - sent

    def kill(self, task_ids: list[str]) -> None:
        for task_id in task_ids:
            self.driver.killTask({"value": task_id})
        wait_for(lambda: self.recorder.all_reached(task_ids, "TASK_KILLED"), 60, "every task KILLED")

    def executor_pid(self, app: dict) -> int:
        shared = shared_executor(app, ExecutorSettings())
        assert shared is not None
        key = (self.recorder.framework_id, shared.executor_id)
        run = wait_for(lambda: self.cluster.agents[0].agent.executors.get(key), 10, "the executor")
        return run.process.pid


def app_of(version: str, executor: str = "") -> dict:
    return normalize_app({"id": "/bench", "cmd": "exec sleep 600", "cpus": 0.01, "mem": 8, "instances": 1,
                          "portDefinitions": [], "executor": executor, "version": version})


def later_and_rest(bench: Bench, app: dict, tasks: int, later: int) -> tuple[list[str], dict]:
    """`later` single launches of `app`, then the rest up to `tasks` (less one) in one ACCEPT: the ids, and the
    figures."""
    ids: list[str] = []
    seconds = []
    for _ in range(later):
        launched, elapsed = bench.running(app, 1)
        ids += launched
        seconds.append(elapsed)
    rest = tasks - 1 - later
    rest_ids, rest_seconds = bench.running(app, rest) if rest > 0 else ([], 0.0)
    return ids + rest_ids, {"later_seconds": [round(s, 3) for s in seconds], "rest": rest,
                            "rest_seconds": round(rest_seconds, 3),
                            "rest_tasks_per_second": round(rest / rest_seconds, 1) if rest else None}


def one_run(bench: Bench, tasks: int, later: int) -> dict:
    app = app_of(now_ts())
    first_ids, first = bench.running(app, 1)
    pid = bench.executor_pid(app)
    with_one = settled_memory(pid)
    more_ids, figures = later_and_rest(bench, app, tasks, later)
    with_all = settled_memory(pid)
    task_pids = children(pid)
    tasks_rss = sum(process_memory(child)["rss"] for child in task_pids)
    bench.kill(first_ids + more_ids)
    wait_gone(pid, 30)  # the executor leaves by itself after its last task
    return {"executor_pid": pid, "first_seconds": round(first, 3), **figures,
            "executor_at_1_task": rounded(with_one), f"executor_at_{tasks}_tasks": rounded(with_all),
            "task_processes": len(task_pids), "task_processes_rss_mb": round(tasks_rss, 1),
            "growth_mb": {key: round(with_all[key] - with_one[key], 1) for key in ("rss", "pss", "uss")
                          if key in with_all and key in with_one},
            "cpu_ms_per_later_task": round(1000 * (with_all["cpu_seconds"] - with_one["cpu_seconds"]) / (tasks - 1), 2)}


def command_executor_run(bench: Bench, tasks: int, later: int) -> dict:
    """The same launches as one run (less the first), with `"executor": "//cmd"`."""
    ids, figures = later_and_rest(bench, app_of(now_ts(), executor="//cmd"), tasks, later)
    bench.kill(ids)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100, help="tasks in the executor at the second reading")
    parser.add_argument("--later", type=int, default=10, help="single launches into the running executor per run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    home = Path(tempfile.mkdtemp(prefix="bench-executor-"))
    cluster = LocalCluster(agents=1, agent_resources="cpus:64;mem:65536;disk:100000;ports:[31000-32000]",
                           work_dir=home / "mesos", allocation_interval=0.2)
    driver: MesosSchedulerDriver | None = None
    try:
        cluster.start()
        recorder = Recorder()
        driver = MesosSchedulerDriver(recorder, {"user": "root", "name": "bench-executor", "hostname": "localhost",
                                                 "capabilities": [{"type": "TASK_KILLING_STATE"}]},
                                      cluster.master_url)
        driver.start()
        wait_for(lambda: recorder.framework_id, 15, "framework registration")
        bench = Bench(cluster, driver, recorder)
        runs, commands = [], []
        for index in range(args.runs):
            runs.append(one_run(bench, args.tasks, args.later))
            log.warning("run %d: %s", index + 1, json.dumps(runs[-1]))
            commands.append(command_executor_run(bench, args.tasks, args.later))
            log.warning("run %d, //cmd: %s", index + 1, json.dumps(commands[-1]))
    finally:
        if driver is not None:
            driver.stop()
            driver.join()
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)
    key = f"executor_at_{args.tasks}_tasks"
    result = {
        "tasks": args.tasks, "later": args.later, "runs": runs, "command_executor_runs": commands,
        "load_average": os.getloadavg(),
        "summary": {
            "first_task_seconds": spread([r["first_seconds"] for r in runs]),
            "later_task_seconds": spread([s for r in runs for s in r["later_seconds"]]),
            f"rest_{args.tasks - 1 - args.later}_tasks_seconds": spread([r["rest_seconds"] for r in runs]),
            "command_executor_later_task_seconds": spread([s for r in commands for s in r["later_seconds"]]),
            f"command_executor_rest_{args.tasks - 1 - args.later}_tasks_seconds":
                spread([r["rest_seconds"] for r in commands]),
            "executor_cpu_seconds_to_first_task": spread([r["executor_at_1_task"]["cpu_seconds"] for r in runs]),
            "executor_cpu_ms_per_later_task": spread([r["cpu_ms_per_later_task"] for r in runs]),
            "executor_rss_mb_1_task": spread([r["executor_at_1_task"]["rss"] for r in runs]),
            f"executor_rss_mb_{args.tasks}_tasks": spread([r[key]["rss"] for r in runs]),
            f"executor_pss_mb_{args.tasks}_tasks": spread([r[key].get("pss", 0.0) for r in runs]),
            f"executor_uss_mb_{args.tasks}_tasks": spread([r[key].get("uss", 0.0) for r in runs]),
            f"executor_peak_rss_mb_{args.tasks}_tasks": spread([r[key]["peak_rss"] for r in runs]),
        },
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
