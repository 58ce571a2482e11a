"""The deployment executor on its own: a plan carried out step by step, a cancelled plan, a rollback, health
kills.

Its collaborators are real (known tasks, launch queue; neither writes here) and its plans and apps in memory
(or in a real ZooKeeper, for the rollback's transaction); kills and events are recorded, and a killed task
turns TASK_KILLING as the task killer does it. The end-to-end behaviour against mesoslocal is in
test_deployments.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kazoo.client import KazooClient

from framework.deploy.deadline import AUTO_ROLLBACK_LABEL, DEADLINE_LABEL
from framework.deploy.plan import make_plan
from framework.model import normalize_app
from framework.scheduler import records
from framework.scheduler.deployment_executor import HOLD_SECONDS, DeploymentExecutor
from framework.scheduler.known_tasks import KnownTasks
from framework.scheduler.launch_queue import LaunchQueue
from framework.store import AppChange, Conflict, NotFound, PlanNode, Store
from framework.timeutil import format_ts

NOW = 1_795_000_000.0
CHECK = {"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 0,
         "maxConsecutiveFailures": 3}


@dataclass
class Snapshot:
    apps: dict = field(default_factory=dict)
    deployments: dict = field(default_factory=dict)
    plan_nodes: dict = field(default_factory=dict)


class PlanStore:
    """The DeploymentStore methods the executor uses, in memory (versions count the writes; a compare-and-set
    over another version raises Conflict, as ZooKeeper's)."""

    def __init__(self) -> None:
        self.stored: dict[str, tuple[dict, int]] = {}

    def put(self, plan: dict, expected_version: int | None = None) -> int:
        current = self.stored.get(plan["id"])
        if expected_version is not None and (current is None or current[1] != expected_version):
            raise Conflict(plan["id"]) if current else NotFound(plan["id"])
        version = current[1] + 1 if current else 0
        self.stored[plan["id"]] = (plan, version)
        return version

    def delete(self, plan_id: str, *, version: int = -1, split: bool = True) -> None:
        current = self.stored.get(plan_id)
        if current is None:
            raise NotFound(plan_id)
        if version != -1 and current[1] != version:
            raise Conflict(plan_id)
        del self.stored[plan_id]


class AppStore:
    """The AppStore methods the executor uses, in memory: each `commit` is one all-or-nothing transaction over
    the apps (versions count the writes) and the plans, recorded in `commits`; `refuse` fails the next ones."""

    def __init__(self, plans: PlanStore) -> None:
        self.plans = plans
        self.stored: dict[str, tuple[dict, int]] = {}
        self.commits: list[tuple[list[AppChange], dict | None, list[str]]] = []
        self.refuse: list[Exception] = []

    def get(self, app_id: str) -> tuple[dict, int] | None:
        return self.stored.get(app_id)

    def commit(self, changes: Sequence[AppChange], *, deployment: dict | None = None,
               cancel: Iterable[str] = ()) -> None:
        cancel = list(cancel)
        if self.refuse:
            raise self.refuse.pop(0)
        for change in changes:
            current = self.stored.get(change.app_id)
            if (current[1] if current else None) != change.expected_version:
                raise Conflict(f"app {change.app_id}")
        if missing := [plan_id for plan_id in cancel if plan_id not in self.plans.stored]:
            raise NotFound(f"deployment {missing[0]}")
        self.commits.append((list(changes), deployment, cancel))
        for change in changes:
            if change.app is None:
                del self.stored[change.app_id]
            else:
                current = self.stored.get(change.app_id)
                self.stored[change.app_id] = (change.app, current[1] + 1 if current else 0)
        if deployment is not None:
            self.plans.put(deployment)
        for plan_id in cancel:
            self.plans.delete(plan_id)

    def settle(self, plan_id: str) -> bool:
        return False  # every commit here is complete at once: nothing is ever left applying

    def sweep_staged(self, now: float) -> int:
        return 0


class Harness:
    def __init__(self, plans=None, apps=None) -> None:
        self.plans = plans or PlanStore()
        self.apps = apps or AppStore(self.plans)
        self.tasks = KnownTasks(None)
        self.launches = LaunchQueue(None)
        self.kills: list[str] = []
        self.events: list[dict] = []
        self.executor = DeploymentExecutor(plans=self.plans, apps=self.apps, tasks=self.tasks, launches=self.launches,
                                           kill=self.kill, record_event=lambda event, now: self.events.append(event),
                                           prober=None)

    def kill(self, task_id: str, now: float) -> None:
        """What the task killer does to a record, without Mesos: TASK_KILLING at once."""
        self.kills.append(task_id)
        self.tasks.remember(records.killing(self.tasks.get(task_id), now=now))

    def snapshot(self, apps: dict) -> Snapshot:
        """What the mirror shows once it has read every plan as stored."""
        return Snapshot(apps, {plan_id: plan for plan_id, (plan, _) in self.plans.stored.items()},
                        {plan_id: PlanNode(version, False) for plan_id, (_, version) in self.plans.stored.items()})

    def event_types(self) -> list[str]:
        return [event["eventType"] for event in self.events]


def app(**fields) -> dict:
    return normalize_app({"id": "/web", "cmd": "serve", "instances": 1, "version": format_ts(NOW - 60), **fields})


def failing_two_app_deployment() -> tuple[dict, dict, dict, dict]:
    """/web updated and /api created by plan p1, which has a 60 s deadline and asks for rollback:
    (the original /web, the new /web, /api, the plan)."""
    labels = {DEADLINE_LABEL: "60", AUTO_ROLLBACK_LABEL: "true"}
    before = app()
    after = app(cmd="serve v2", version=format_ts(NOW), labels=labels)
    api = app(id="/api", version=format_ts(NOW), labels=labels)
    plan = make_plan({"/web": before}, {"/web": after, "/api": api}, deployment_id="p1", now=NOW)
    return before, after, api, plan


def running(task_id: str, version: str, **fields) -> dict:
    return {"id": task_id, "appId": "/web", "version": version, "state": "TASK_RUNNING", "healthy": None,
            "stagedAt": format_ts(NOW - 30), "startedAt": format_ts(NOW - 29), **fields}


def test_a_new_app_is_started_scaled_and_its_plan_finished() -> None:
    h = Harness()
    web = app()
    plan = make_plan({}, {"/web": web}, deployment_id="p1", now=NOW)
    h.plans.put(plan)

    assert h.executor.advance(h.snapshot({"/web": web}), NOW) == {"/web"}
    assert h.event_types() == ["deployment_info", "deployment_step_success"]  # StartApplication is done at once
    assert h.plans.stored["p1"][0]["currentStep"] == 2

    h.executor.advance(h.snapshot({"/web": web}), NOW + 1)
    assert h.launches.counts == {"/web": 1} and h.events[-1]["eventType"] == "deployment_info"

    h.launches.launched({"/web": 1})
    h.tasks.remember(running("web.1", web["version"]))
    h.executor.advance(h.snapshot({"/web": web}), NOW + 2)
    assert h.event_types()[-2:] == ["deployment_step_success", "deployment_success"]
    assert "p1" not in h.plans.stored and h.kills == []
    assert h.executor.advance(h.snapshot({"/web": web}), NOW + 3) == set()


def test_a_mirror_behind_the_leaders_own_advance_neither_repeats_nor_skips_a_step() -> None:
    h = Harness()
    web = app()
    h.plans.put(make_plan({}, {"/web": web}, deployment_id="p1", now=NOW))
    behind = h.snapshot({"/web": web})  # step 1 of 2 (StartApplication), done at once

    h.executor.advance(behind, NOW)
    assert h.plans.stored["p1"][0]["currentStep"] == 2 and h.event_types().count("deployment_step_success") == 1
    h.executor.advance(behind, NOW + 0.05)  # the mirror has not read the advance back yet
    assert h.plans.stored["p1"][0]["currentStep"] == 2 and h.event_types().count("deployment_step_success") == 1
    assert "deployment_success" not in h.event_types()


def test_a_cancelled_plan_is_reported_and_its_apps_held_for_a_while() -> None:
    h = Harness()
    before, after = app(), app(cmd="serve v2", version=format_ts(NOW))
    h.tasks.remember(running("web.1", before["version"]))
    h.plans.put(make_plan({"/web": before}, {"/web": after}, deployment_id="p1", now=NOW))
    assert h.executor.advance(h.snapshot({"/web": after}), NOW) == {"/web"}
    assert h.launches.counts == {"/web": 1}  # one over: a new instance before the old one goes

    h.plans.delete("p1")
    assert h.executor.advance(h.snapshot({"/web": after}), NOW + 1) == {"/web"}
    cancelled = h.events[-1]
    assert (cancelled["eventType"], cancelled["id"], cancelled["reason"]) == ("deployment_failed", "p1", "cancelled")
    assert cancelled["plan"]["steps"] == [{"actions": [{"action": "RestartApplication", "app": "/web"}]}]
    assert h.executor.advance(h.snapshot({"/web": after}), NOW + 1 + HOLD_SECONDS) == set()
    assert h.event_types().count("deployment_failed") == 1


def test_a_two_app_rollback_is_one_commit() -> None:
    h = Harness()
    before, after, api, plan = failing_two_app_deployment()
    h.apps.stored = {"/web": (after, 1), "/api": (api, 0)}
    h.plans.put(plan)
    h.apps.refuse.append(Conflict("app /web: changed since it was read"))

    h.executor.advance(h.snapshot({"/web": after, "/api": api}), NOW + 61)  # past the deadline: the commit fails
    assert h.apps.commits == [] and set(h.plans.stored) == {"p1"} and h.apps.stored["/web"] == (after, 1)
    assert "deployment_failed" not in h.event_types()

    h.executor.advance(h.snapshot({"/web": after, "/api": api}), NOW + 62)  # decided again: rolled back
    [(changes, rollback, cancel)] = h.apps.commits
    assert changes == [AppChange("/api", None, 0), AppChange("/web", before, 1)]
    assert rollback["rollbackOf"] == "p1" and rollback["affectedApps"] == ["/api", "/web"] and cancel == ["p1"]
    assert set(h.plans.stored) == {rollback["id"]} and h.apps.stored == {"/web": (before, 2)}
    assert h.event_types()[-2:] == ["deployment_step_failure", "deployment_failed"]


def test_a_rollback_is_one_zookeeper_transaction(kazoo_client: KazooClient) -> None:
    store = Store(kazoo_client)
    store.ensure_layout()
    h = Harness(plans=store.deployments, apps=store.apps)
    before, after, api, plan = failing_two_app_deployment()
    store.apps.put(before, expected_version=None)
    store.apps.commit([AppChange("/web", after, 0), AppChange("/api", api, None)], deployment=plan)
    snapshot = Snapshot({"/web": after, "/api": api}, {"p1": plan}, {"p1": PlanNode(0, False)})

    store.deployments.delete("p1")  # cancelled, but the mirror still shows it: nothing at all is written
    h.executor.advance(snapshot, NOW + 61)
    assert store.apps.get("/web") == (after, 1) and store.apps.get("/api") == (api, 0)
    assert store.deployments.all() == {}

    store.deployments.put(plan)
    h.executor.advance(snapshot, NOW + 62)
    assert store.apps.get("/web") == (before, 2) and store.apps.get("/api") is None
    [rollback] = store.deployments.all().values()
    assert rollback["rollbackOf"] == "p1" and rollback["target"] == {"/web": before}


def test_health_kills_are_rate_limited_per_app() -> None:
    h = Harness()
    web = app(instances=10, healthChecks=[CHECK])
    failing = [{"alive": False, "consecutiveFailures": 3, "firstSuccess": None}]
    for name in ("web.1", "web.2"):
        h.tasks.remember(running(name, web["version"], healthy=False, healthCheckResults=failing))
    h.executor.kill_unhealthy({"/web": web}, NOW)
    h.executor.kill_unhealthy({"/web": web}, NOW + 30)
    assert len(h.kills) == 1  # one per 60 s window for ten instances
    h.executor.kill_unhealthy({"/web": web}, NOW + 61)
    assert sorted(h.kills) == ["web.1", "web.2"]
