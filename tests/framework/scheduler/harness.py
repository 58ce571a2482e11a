"""Scheduler processes against mesoslocal and a real ZooKeeper, with desired state written as the API does."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from cli.stack.process import Daemon
from framework.model import normalize_app
from framework.store import Store, connect
from framework.timeutil import now_ts
from tests.waiting import wait_for

SCHEDULER = str(Path(sys.executable).parent / "balalaika-scheduler")


class SchedulerCluster:
    """Starts `balalaika-scheduler` processes and reads/writes Balalaika's state directly."""

    def __init__(self, zk_hosts: str, master: str, home: Path) -> None:
        self.zk_hosts = zk_hosts
        self.master = master
        self.home = home
        self.client = connect(zk_hosts)
        self.store = Store(self.client)
        self.store.ensure_layout()
        self.schedulers: list[Daemon] = []

    def start_scheduler(self, *extra: str) -> Daemon:
        index = len(self.schedulers)
        argv = [SCHEDULER, "--master", self.master, "--zk", self.zk_hosts, "--hostname", f"scheduler{index}",
                "--launch-timeout", "60", "--log-level", "DEBUG", *extra]
        daemon = Daemon(argv, self.home / f"scheduler{index}.log").start()
        self.schedulers.append(daemon)
        return daemon

    def leader(self) -> dict | None:
        from framework.store import current_leader
        return current_leader(self.client)

    def put_app(self, raw: dict) -> dict:
        app = normalize_app({**raw, "version": now_ts()})
        existing = self.store.get_app(app["id"])
        self.store.put_app(app, expected_version=existing[1] if existing else None)
        return app

    def scale(self, app_id: str, instances: int) -> dict:
        app, version = self.store.get_app(app_id)
        scaled = {**app, "instances": instances}
        self.store.put_app(scaled, expected_version=version)
        return scaled

    def tasks(self, app_id: str, state: str | None = "TASK_RUNNING") -> list[dict]:
        return [t for t in self.store.list_tasks(app_id) if state is None or t["state"] == state]

    def wait_running(self, app_id: str, count: int, timeout: float = 30.0) -> list[dict]:
        def exactly() -> list[dict] | None:
            running = self.tasks(app_id)
            every = self.tasks(app_id, None)
            return running if len(running) == count and len(every) == count else None
        return wait_for(exactly, timeout, f"exactly {count} running tasks of {app_id}")

    def queue_entry(self, app_id: str) -> dict | None:
        found = self.client.exists(self.store.layout.queue_entry(app_id))
        return json.loads(self.client.get(self.store.layout.queue_entry(app_id))[0]) if found else None

    def logs(self) -> str:
        return "\n".join(f"--- scheduler {i} ---\n{d.log_tail(40)}" for i, d in enumerate(self.schedulers))

    def stop(self) -> None:
        for daemon in self.schedulers:
            daemon.stop()
        self.client.stop()
        self.client.close()


def kill_task_process(task_id: str) -> int:
    """SIGKILLs the process running `task_id`, found by the MESOS_TASK_ID Marathon puts in its environment."""
    marker = f"MESOS_TASK_ID={task_id}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if marker in environ.read().split(b"\0"):
                    os.kill(int(entry), signal.SIGKILL)
                    return int(entry)
        except OSError:
            continue
    raise LookupError(f"no process runs task {task_id}")
