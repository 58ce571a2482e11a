"""The executor's loop on real processes, with the agent link replaced by a recorder of status updates."""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path

from executor.loop import Executor, Launch, Registered, Settings
from executor.tasks import LogLimits
from tests.waiting import wait_for


def task_info(task_id: str, cmd: str, *, health_check: dict | None = None, grace: float | None = None) -> dict:
    command = {"shell": True, "value": cmd, "environment": {"variables": [{"name": "MESOS_TASK_ID", "value": task_id}]}}
    info = {"task_id": {"value": task_id}, "data": base64.b64encode(json.dumps(command).encode()).decode()}
    if health_check:
        info["health_check"] = health_check
    if grace is not None:
        info["kill_policy"] = {"grace_period": {"nanoseconds": int(grace * 1e9)}}
    return info


class RunningExecutor:
    def __init__(self, sandbox: Path, log_max_bytes: int = 1 << 20) -> None:
        self.statuses: list[dict] = []
        self.lock = threading.Lock()
        settings = Settings(sandbox=sandbox, logs=LogLimits(log_max_bytes, 1), idle_exit=3600)
        self.executor = Executor(self._record, settings)
        self.executor.events.put(Registered(killing_state=True))
        self.thread = threading.Thread(target=self.executor.run, daemon=True)
        self.thread.start()

    def _record(self, status: dict) -> None:
        with self.lock:
            self.statuses.append(status)

    def launch(self, info: dict) -> None:
        self.executor.events.put(Launch(info))

    def states(self, task_id: str) -> list[str]:
        with self.lock:
            return [s["state"] for s in self.statuses if s["task_id"]["value"] == task_id]

    def last(self, task_id: str) -> dict:
        with self.lock:
            return [s for s in self.statuses if s["task_id"]["value"] == task_id][-1]

    def wait_state(self, task_id: str, state: str, timeout: float = 15) -> dict:
        wait_for(lambda: state in self.states(task_id), timeout, f"{task_id} to reach {state} ({self.states(task_id)})")
        return next(s for s in self.statuses if s["task_id"]["value"] == task_id and s["state"] == state)

    def pid(self, task_id: str) -> int:
        return self.executor.tasks[task_id].process.pid


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
