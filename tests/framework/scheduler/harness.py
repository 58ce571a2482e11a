"""Scheduler processes against mesoslocal and a real ZooKeeper, with desired state written as the API does."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kazoo.exceptions import NoNodeError

from framework.deploy.plan import make_plan
from framework.deploy.taskstate import is_terminal_state
from framework.deploy.versions import stamped
from framework.model import normalize_app
from framework.store import AppChange, Store, connect
from framework.timeutil import now_ts
from launchers.process import Daemon
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

    def start_leader(self, *extra: str) -> SchedulerCluster:
        """Starts a scheduler and waits until it leads and its framework id is persisted."""
        self.start_scheduler(*extra)
        wait_for(self.leader, 30, "an elected scheduler")
        wait_for(self.store.get_framework_id, 30, "the framework id to be persisted")
        return self

    def leader(self) -> dict | None:
        from framework.store import current_leader
        return current_leader(self.client)

    def put_app(self, raw: dict) -> dict:
        app = normalize_app({**raw, "version": now_ts()})
        existing = self.store.apps.get(app["id"])
        self.store.apps.put(app, expected_version=existing[1] if existing else None)
        return app

    def deploy(self, raw: dict, kind: str | None = None, force: bool = False) -> dict:
        """Writes the app with its deployment plan as the API does; returns the plan.

        `kind="rollback"` keeps the given (normalized) definition's version, like the API's rollback
        to an original definition. `force` cancels the running plans of the app in the same transaction."""
        now = time.time()
        app = normalize_app(dict(raw))
        existing = self.store.apps.get(app["id"])
        before = existing[0] if existing else None
        if not (kind == "rollback" and app.get("version")):
            app = stamped(app, before, now, restart=kind == "restart")
        plan = make_plan({app["id"]: before} if before else {}, {app["id"]: app}, deployment_id=str(uuid.uuid4()),
                         now=now, kind=kind)
        running = [p for p in self.store.deployments.all().values() if app["id"] in p["affectedApps"]]
        if running and not force:
            raise RuntimeError(f"{app['id']} is locked by deployments {[p['id'] for p in running]}")
        self.store.apps.commit([AppChange(app["id"], app, existing[1] if existing else None)],
                               deployment=plan if plan["steps"] else None, cancel=[p["id"] for p in running])
        return plan

    def deployments(self) -> dict[str, dict]:
        return self.store.deployments.all()

    def events(self, event_type: str | None = None) -> list[dict]:
        directory = self.store.nodes.layout.events_dir
        found = []
        for name in sorted(self.client.get_children(directory)):
            try:
                found.append(json.loads(self.client.get(f"{directory}/{name}")[0]))
            except NoNodeError:  # trimmed meanwhile
                continue
        return [e for e in found if event_type is None or e.get("eventType") == event_type]

    def scale(self, app_id: str, instances: int) -> dict:
        app, version = self.store.apps.get(app_id)
        scaled = {**app, "instances": instances}
        self.store.apps.put(scaled, expected_version=version)
        return scaled

    def tasks(self, app_id: str, state: str | None = "TASK_RUNNING") -> list[dict]:
        return [t for t in self.store.tasks.all(app_id) if state is None or t["state"] == state]

    def wait_running(self, app_id: str, count: int, timeout: float = 30.0) -> list[dict]:
        def exactly() -> list[dict] | None:
            running = self.tasks(app_id)
            every = self.tasks(app_id, None)
            return running if len(running) == count and len(every) == count else None
        return wait_for(exactly, timeout, f"exactly {count} running tasks of {app_id}")

    def queue_entry(self, app_id: str) -> dict | None:
        found = self.client.exists(self.store.nodes.layout.queue_entry(app_id))
        return json.loads(self.client.get(self.store.nodes.layout.queue_entry(app_id))[0]) if found else None

    def logs(self) -> str:
        return "\n".join(f"--- scheduler {i} ---\n{d.log_tail(40)}" for i, d in enumerate(self.schedulers))

    def stop(self) -> None:
        for daemon in self.schedulers:
            daemon.stop()
        self.client.stop()
        self.client.close()


def tasks_in_master(mesos_cluster, framework_id: str) -> dict[str, str]:
    """Task id -> state of the framework's tasks that the master reports and that have not ended."""
    frameworks = {f["id"]: f for f in mesos_cluster.state()["frameworks"]}
    return {t["id"]: t["state"] for t in frameworks.get(framework_id, {}).get("tasks", [])
            if not is_terminal_state(t["state"])}


def deployed(cluster: SchedulerCluster, app_id: str, count: int, timeout: float = 40.0,
             sample: Callable[[], object] | None = None) -> list[dict]:
    """Waits until no plan touches the app and exactly `count` healthy tasks of its current version run.
    `sample` is called on every poll (to watch the records while the deployment runs)."""
    def done() -> list[dict] | None:
        if sample is not None:
            sample()
        if any(app_id in p["affectedApps"] for p in cluster.deployments().values()):
            return None
        app, _ = cluster.store.apps.get(app_id)
        tasks = cluster.tasks(app_id, None)
        good = [t for t in tasks if t["state"] == "TASK_RUNNING" and t.get("healthy") is True
                and t["version"] == app["version"]]
        return good if len(good) == count == len(tasks) else None
    return wait_for(done, timeout, f"{app_id} deployed with {count} healthy instances")


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
