"""Benchmark: a pymesos scheduler launches N `sleep` command tasks across 10 mesos-local agents; time until all
are RUNNING, and the mesos-local process's memory (master and agents share that one process).

    .venv/bin/python bench/bench_mesoslocal.py [--tasks 1000] [--agents 10]
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from pymesos import MesosSchedulerDriver, Scheduler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from launchers.process import free_port  # noqa: E402
from launchers.waiting import wait_for  # noqa: E402


class Launcher(Scheduler):
    """Fills every offer with as many 0.01-cpu / 8 MB `sleep` tasks as are still wanted."""

    def __init__(self, total: int) -> None:
        self.wanted = total
        self.running: set[str] = set()
        self.failed: list[dict] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.first_launch: float | None = None

    def resourceOffers(self, driver, offers) -> None:
        for offer in offers:
            tasks = []
            with self.lock:
                while self.wanted > 0 and len(tasks) < 100:
                    self.wanted -= 1
                    tasks.append({"name": "sleep", "task_id": {"value": f"sleep.{uuid.uuid4()}"},
                                  "agent_id": offer["agent_id"], "command": {"value": "sleep 600"},
                                  "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
                                                {"name": "mem", "type": "SCALAR", "scalar": {"value": 8}}]})
            if tasks:
                self.first_launch = self.first_launch or time.monotonic()
                driver.launchTasks(offer["id"], tasks, {"refuse_seconds": 0})
            else:
                driver.declineOffer(offer["id"], {"refuse_seconds": 60})

    def statusUpdate(self, driver, status) -> None:
        with self.lock:
            if status["state"] == "TASK_RUNNING":
                self.running.add(status["task_id"]["value"])
            elif status["state"] not in ("TASK_STARTING",):
                self.failed.append(status)
            if self.wanted == 0 and len(self.running) + len(self.failed) >= self.target:
                self.done.set()

    target = 0


def rss_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM", "Threads")):
            name, value = line.split(":")
            fields[name] = int(value.split()[0])
    return fields


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    port = free_port()
    work = tempfile.mkdtemp(prefix="bench-mesoslocal-")
    resources = "cpus:16;mem:16384;disk:10000;ports:[31000-32000]"
    server = subprocess.Popen([sys.executable, "-m", "mesoslocal.cli", "--port", str(port), "--agents",
                               str(args.agents), "--agent-resources", resources, "--work-dir", work,
                               "--log-level", "WARNING"], cwd=ROOT)
    try:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/version", timeout=1).ok, 20, "mesos-local")
        idle = rss_kb(server.pid)
        launcher = Launcher(args.tasks)
        launcher.target = args.tasks
        driver = MesosSchedulerDriver(launcher, {"user": "root", "name": "bench"}, f"127.0.0.1:{port}")
        started = time.monotonic()
        driver.start()
        finished = launcher.done.wait(120)
        elapsed = time.monotonic() - started
        busy = rss_kb(server.pid)
        state = requests.get(f"http://127.0.0.1:{port}/master/state", timeout=30).json()
        driver.stop()
        driver.join()
        result = {"tasks": args.tasks, "agents": args.agents, "all_running": finished and not launcher.failed,
                  "running": len(launcher.running), "failed": len(launcher.failed),
                  "seconds_from_driver_start": round(elapsed, 2),
                  "seconds_from_first_launch": round(elapsed - ((launcher.first_launch or started) - started), 2),
                  "rss_idle_mb": round(idle["VmRSS"] / 1024, 1), "rss_busy_mb": round(busy["VmRSS"] / 1024, 1),
                  "rss_peak_mb": round(busy["VmHWM"] / 1024, 1), "threads": busy["Threads"],
                  "state_tasks": sum(len(f["tasks"]) for f in state["frameworks"])}
        logging.getLogger("bench").warning("%s", json.dumps(result))
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return 0 if result["all_running"] else 1
    finally:
        server.terminate()
        server.wait(60)


if __name__ == "__main__":
    sys.exit(main())
