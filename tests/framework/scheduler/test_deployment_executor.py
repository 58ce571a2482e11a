"""The deployment executor on its own: a plan carried out step by step, a cancelled plan, health kills.

Its collaborators are real (known tasks, launch queue; neither writes here) and its plans in memory; kills and
events are recorded, and a killed task turns TASK_KILLING as the task killer does it. The end-to-end behaviour
against mesoslocal is in test_deployments.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from framework.deploy.plan import make_plan
from framework.model import normalize_app
from framework.scheduler import records
from framework.scheduler.deployment_executor import HOLD_SECONDS, DeploymentExecutor
from framework.scheduler.known_tasks import KnownTasks
from framework.scheduler.launch_queue import LaunchQueue
from framework.store import NotFound
from framework.timeutil import format_ts

NOW = 1_795_000_000.0
CHECK = {"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 0,
         "maxConsecutiveFailures": 3}


@dataclass
class Snapshot:
    apps: dict = field(default_factory=dict)
    deployments: dict = field(default_factory=dict)


class PlanStore:
    """The DeploymentStore methods the executor uses, in memory (versions count the writes)."""

    def __init__(self) -> None:
        self.stored: dict[str, tuple[dict, int]] = {}

    def get(self, plan_id: str) -> tuple[dict, int] | None:
        return self.stored.get(plan_id)

    def put(self, plan: dict, expected_version: int | None = None) -> int:
        version = self.stored[plan["id"]][1] + 1 if plan["id"] in self.stored else 0
        self.stored[plan["id"]] = (plan, version)
        return version

    def delete(self, plan_id: str) -> None:
        if self.stored.pop(plan_id, None) is None:
            raise NotFound(plan_id)


class Harness:
    def __init__(self) -> None:
        self.plans = PlanStore()
        self.tasks = KnownTasks(None)
        self.launches = LaunchQueue(None)
        self.kills: list[str] = []
        self.events: list[dict] = []
        self.executor = DeploymentExecutor(plans=self.plans, apps=None, tasks=self.tasks, launches=self.launches,
                                           kill=self.kill, record_event=lambda event, now: self.events.append(event),
                                           prober=None)

    def kill(self, task_id: str, now: float) -> None:
        """What the task killer does to a record, without Mesos: TASK_KILLING at once."""
        self.kills.append(task_id)
        self.tasks.remember(records.killing(self.tasks.get(task_id), now=now))

    def snapshot(self, apps: dict) -> Snapshot:
        return Snapshot(apps, {plan_id: plan for plan_id, (plan, _) in self.plans.stored.items()})

    def event_types(self) -> list[str]:
        return [event["eventType"] for event in self.events]


def app(**fields) -> dict:
    return normalize_app({"id": "/web", "cmd": "serve", "instances": 1, "version": format_ts(NOW - 60), **fields})


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


def test_a_cancelled_plan_is_reported_and_its_apps_held_for_a_while() -> None:
    h = Harness()
    before, after = app(), app(cmd="serve v2", version=format_ts(NOW))
    h.tasks.remember(running("web.1", before["version"]))
    h.plans.put(make_plan({"/web": before}, {"/web": after}, deployment_id="p1", now=NOW))
    assert h.executor.advance(h.snapshot({"/web": after}), NOW) == {"/web"}
    assert h.launches.counts == {"/web": 1}  # one over: a new instance before the old one goes

    h.plans.delete("p1")
    assert h.executor.advance(h.snapshot({"/web": after}), NOW + 1) == {"/web"}
    assert h.events[-1] == {"eventType": "deployment_failed", "id": "p1", "reason": "cancelled"}
    assert h.executor.advance(h.snapshot({"/web": after}), NOW + 1 + HOLD_SECONDS) == set()
    assert h.event_types().count("deployment_failed") == 1


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
