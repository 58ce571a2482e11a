"""Deployments end to end: rolling restarts within the capacity bounds, deadlines with automatic rollback,
leader failover mid-deployment, forced replacement and rollback (real ZooKeeper, mesoslocal, processes).

A sampler thread reads the app's task records from ZooKeeper throughout each deployment; the bounds are
asserted over every sample, not only at the end.
"""

from __future__ import annotations

import math
import signal
import threading
from dataclasses import dataclass, field

import pytest

from framework.deploy.deadline import AUTO_ROLLBACK_LABEL, DEADLINE_LABEL
from framework.deploy.rolling import capacity_bounds
from framework.model import normalize_app
from tests.fixtures.mesoslocal import private_ports_resources
from tests.framework.scheduler.harness import SchedulerCluster, deployed
from tests.waiting import wait_for

CHECK = {"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 3, "intervalSeconds": 1,
         "timeoutSeconds": 1, "delaySeconds": 0, "maxConsecutiveFailures": 3}


def web(app_id: str, tag: str, *, instances: int, m: float = 1.0, o: float = 0.0, serves: bool = True,
        labels: dict | None = None) -> dict:
    """A command app answering HTTP on $PORT0 (`serves=False`: nothing listens, its check never passes)."""
    cmd = "exec python3 -m http.server $PORT0 --bind 0.0.0.0" if serves else "exec sleep 600"
    return {"id": app_id, "cmd": cmd, "cpus": 0.1, "mem": 32, "instances": instances,
            "portDefinitions": [{"port": 0}], "env": {"TAG": tag}, "healthChecks": [CHECK],
            "upgradeStrategy": {"minimumHealthCapacity": m, "maximumOverCapacity": o}, "labels": labels or {}}


@pytest.fixture
def mesos_cluster(mesos_cluster_factory):
    """Three agents whose ports lie outside mesoslocal's default [31000-32000]: the apps here listen on
    every interface, and other clusters on this machine (concurrent test runs) take ports from the default
    range, which made a task fail to bind and a sample look like a bound violation."""
    return mesos_cluster_factory(agent_resources=private_ports_resources())


@dataclass
class Sample:
    total: int  # live task records (any version, KILLING included: they still hold resources)
    healthy: int  # running and healthy
    healthy_ids: frozenset[str]
    states: tuple[tuple[str, str, object], ...] = ()  # (task id, state, healthy), for failure messages


@dataclass
class Sampler:
    """Reads the app's task records from ZooKeeper every 50 ms on a background thread."""

    cluster: SchedulerCluster
    app_id: str
    samples: list[Sample] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(10)

    def _run(self) -> None:
        while not self.stopped.wait(0.05):
            tasks = self.cluster.store.tasks.all(self.app_id)
            healthy = {t["id"] for t in tasks if t["state"] == "TASK_RUNNING" and t.get("healthy") is True}
            states = tuple(sorted((t["id"][-8:], t["state"], t.get("healthy")) for t in tasks))
            self.samples.append(Sample(len(tasks), len(healthy), frozenset(healthy), states))


@pytest.fixture
def leader(schedulers: SchedulerCluster) -> SchedulerCluster:
    schedulers.start_scheduler()
    wait_for(schedulers.leader, 30, "an elected scheduler")
    wait_for(lambda: schedulers.store.get_framework_id(), 30, "the framework id to be persisted")
    return schedulers


def assert_within_bounds(samples: list[Sample], app: dict) -> None:
    n = app["instances"]
    strategy = app["upgradeStrategy"]
    bounds = capacity_bounds(normalize_app(app))
    most = math.floor(n * (1 + strategy["maximumOverCapacity"]) + 1e-9) + (1 if bounds.relaxed == "one over" else 0)
    least = math.ceil(n * strategy["minimumHealthCapacity"] - 1e-9)
    assert samples, "the sampler saw nothing"
    over = [s.states for s in samples if s.total > most]
    assert not over, f"more than {most} tasks at once: {over[:3]}"
    under = [s.states for s in samples if s.healthy < least]
    assert not under, f"fewer than {least} healthy tasks at once: {under[:3]}"


@pytest.mark.parametrize(("m", "o"), [(1.0, 0.0), (0.6, 0.4), (0.0, 0.0)], ids=["1-0", "0.6-0.4", "0-0"])
def test_rolling_restart_stays_within_the_capacity_bounds(leader: SchedulerCluster, m: float, o: float) -> None:
    leader.deploy(web("/roll", "v1", instances=5, m=m, o=o))
    before = {t["id"] for t in deployed(leader, "/roll", 5)}
    target = web("/roll", "v2", instances=5, m=m, o=o)
    with Sampler(leader, "/roll") as sampler:
        plan = leader.deploy(target)
        after = {t["id"] for t in deployed(leader, "/roll", 5, timeout=60)}
    assert not before & after, "every instance must have been replaced"
    assert_within_bounds(sampler.samples, target)

    def kinds() -> list[str] | None:  # events are appended without waiting: the last may lag the plan's removal
        found = [e["eventType"] for e in leader.events()
                 if (e.get("plan") or {}).get("id") == plan["id"] or e.get("id") == plan["id"]]
        return found if found and found[-1] == "deployment_success" else None

    recorded = wait_for(kinds, 10, "the deployment's events")
    assert recorded[0] == "deployment_info" and "deployment_step_success" in recorded


def test_a_version_that_never_gets_healthy_fails_at_its_deadline_and_rolls_back(leader: SchedulerCluster) -> None:
    leader.deploy(web("/deadline", "v1", instances=3))
    old = frozenset(t["id"] for t in deployed(leader, "/deadline", 3))
    v1 = leader.store.apps.get("/deadline")[0]
    labels = {DEADLINE_LABEL: "8", AUTO_ROLLBACK_LABEL: "true"}
    with Sampler(leader, "/deadline") as sampler:
        plan = leader.deploy(web("/deadline", "v2", instances=3, serves=False, labels=labels))
        failed = wait_for(lambda: next((e for e in leader.events("deployment_failed") if e["id"] == plan["id"]), None),
                          30, "the deployment to fail at its deadline")
        final = {t["id"] for t in deployed(leader, "/deadline", 3, timeout=30)}
    assert "did not finish within 8 seconds" in failed["reason"]
    missing = [(i, sorted(old - s.healthy_ids)) for i, s in enumerate(sampler.samples) if not old <= s.healthy_ids]
    assert not missing, f"the old instances must serve throughout: {missing[:5]}\n{leader.logs()}"
    assert final == old, "the rollback keeps the old instances and only removes the new ones"
    assert leader.store.apps.get("/deadline")[0]["version"] == v1["version"]
    rollbacks = [e["plan"] for e in leader.events("deployment_info") if e["plan"]["id"] != plan["id"]
                 and [a["version"] for a in e["plan"]["target"]["apps"]] == [v1["version"]]]
    assert rollbacks, "a rollback deployment back to v1 was announced"


def test_a_new_leader_finishes_a_deployment_within_the_bounds(schedulers: SchedulerCluster) -> None:
    for _ in range(2):
        schedulers.start_scheduler()
    first = wait_for(schedulers.leader, 30, "an elected scheduler")
    schedulers.deploy(web("/failover", "v1", instances=4))
    deployed(schedulers, "/failover", 4)
    v1 = schedulers.store.apps.get("/failover")[0]["version"]
    target = web("/failover", "v2", instances=4)
    with Sampler(schedulers, "/failover") as sampler:
        schedulers.deploy(target)

        def halfway() -> bool:
            versions = [t["version"] for t in schedulers.tasks("/failover") if t.get("healthy") is True]
            return v1 in versions and any(v != v1 for v in versions)

        wait_for(halfway, 40, "a new instance healthy beside old ones")
        schedulers.schedulers[int(first["host"].removeprefix("scheduler"))].stop(signal.SIGKILL)
        wait_for(lambda: (schedulers.leader() or first)["host"] != first["host"], 40, "a new leader")
        deployed(schedulers, "/failover", 4, timeout=90)
    assert_within_bounds(sampler.samples, target)


def test_forcing_a_new_deployment_cancels_the_running_one(leader: SchedulerCluster) -> None:
    leader.deploy(web("/forced", "v1", instances=2))
    deployed(leader, "/forced", 2)
    stuck = leader.deploy(web("/forced", "broken", instances=2, serves=False))
    wait_for(lambda: any(t["version"] == stuck["target"]["/forced"]["version"] for t in leader.tasks("/forced", None)),
             20, "the stuck deployment to start a task")
    with pytest.raises(RuntimeError, match="locked"):
        leader.deploy(web("/forced", "v3", instances=2))
    replacing = leader.deploy(web("/forced", "v3", instances=2), force=True)
    final = deployed(leader, "/forced", 2, timeout=60)
    assert {t["version"] for t in final} == {replacing["target"]["/forced"]["version"]}
    cancelled = [e for e in leader.events("deployment_failed") if e["id"] == stuck["id"]]
    assert cancelled and cancelled[0]["reason"] == "cancelled"


def test_rolling_back_a_finished_deployment_restores_the_previous_version(leader: SchedulerCluster) -> None:
    leader.deploy(web("/back", "v1", instances=2))
    deployed(leader, "/back", 2)
    previous = leader.store.apps.get("/back")[0]
    leader.deploy(web("/back", "v2", instances=2))
    deployed(leader, "/back", 2)
    plan = leader.deploy(previous, kind="rollback")
    assert plan["kind"] == "rollback"
    final = deployed(leader, "/back", 2)
    assert {t["version"] for t in final} == {previous["version"]}


def test_a_restart_waits_for_readiness_checks_the_scheduler_runs(leader: SchedulerCluster) -> None:
    def ready_app(tag: str, path: str) -> dict:
        app = web("/ready", tag, instances=2)
        app["portDefinitions"] = [{"port": 0, "name": "http"}]
        app["readinessChecks"] = [{"portName": "http", "path": path, "intervalSeconds": 2, "timeoutSeconds": 1}]
        return app

    leader.deploy(ready_app("v1", "/"))
    deployed(leader, "/ready", 2)
    never = leader.deploy(ready_app("v2", "/missing"))  # http.server answers 404: healthy, never ready
    wait_for(lambda: any(t.get("healthy") and t["version"] == never["target"]["/ready"]["version"]
                         for t in leader.tasks("/ready")), 20, "a healthy new task")
    wait_for(lambda: len(leader.tasks("/ready")) == 3, 5, "the new task beside the old ones")
    assert never["id"] in leader.deployments(), "a task that is not ready must not finish the step"
    leader.deploy(ready_app("v3", "/"), force=True)
    deployed(leader, "/ready", 2, timeout=40)
