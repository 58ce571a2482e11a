"""Drain before kill, end to end (real ZooKeeper, mesoslocal and scheduler processes).

A task an edge routes to (its app has HAPROXY_GROUP) goes TASK_KILLING with `drainUntil` and a
status_update_event at once, keeps running (and answering) for the app's drain time, and only then is
killed. Whether the kill came late enough is measured on the task's own port: the process must still
have answered after the drain time had passed.
"""

from __future__ import annotations

import signal
import time

import pytest
import requests

from framework.model import DRAIN_LABEL
from framework.timeutil import parse_ts
from tests.fixtures.mesoslocal import private_ports_resources
from tests.framework.scheduler.harness import SchedulerCluster, deployed
from tests.waiting import wait_for

EDGE = {"HAPROXY_GROUP": "external"}
# Seconds of slack in "no earlier than": the probes' interval, and the millisecond rounding of timestamps.
TOLERANCE = 0.3
CHECK = {"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 3, "intervalSeconds": 1,
         "timeoutSeconds": 1, "delaySeconds": 0, "maxConsecutiveFailures": 3}


@pytest.fixture
def mesos_cluster(mesos_cluster_factory):
    """Agents whose ports nothing else on this machine listens on (the apps here serve HTTP on them)."""
    return mesos_cluster_factory(agent_resources=private_ports_resources())


@pytest.fixture
def leader(schedulers: SchedulerCluster) -> SchedulerCluster:
    return schedulers.start_leader()


def web(app_id: str, instances: int, labels: dict, **fields) -> dict:
    """A command app serving HTTP on $PORT0 of its agent's address."""
    return {"id": app_id, "cmd": "exec python3 -m http.server $PORT0 --bind $HOST", "cpus": 0.1, "mem": 32,
            "instances": instances, "portDefinitions": [{"port": 0}], "labels": labels, **fields}


def answers(task: dict) -> bool:
    try:
        return requests.get(f"http://{task['host']}:{task['ports'][0]}/", timeout=0.5).ok
    except requests.RequestException:
        return False


def serving(cluster: SchedulerCluster, app_id: str, count: int) -> list[dict]:
    tasks = cluster.wait_running(app_id, count)
    wait_for(lambda: all(answers(t) for t in tasks), 20, f"every task of {app_id} to answer HTTP")
    return tasks


def draining_task(cluster: SchedulerCluster, app_id: str) -> dict:
    def found() -> dict | None:
        return next((t for t in cluster.tasks(app_id, "TASK_KILLING") if t.get("drainUntil")), None)
    return wait_for(found, 10, f"a draining task of {app_id}")


def last_answer_before_end(cluster: SchedulerCluster, task: dict, timeout: float) -> float:
    """Probes the task's port until its record is deleted; returns when it last answered (epoch seconds:
    the time the answered request was sent, so a lower bound of when the process was still alive)."""
    answered = [0.0]

    def gone() -> bool:
        sent = time.time()
        if answers(task):
            answered.append(sent)
        return task["id"] not in {t["id"] for t in cluster.tasks(task["appId"], None)}

    wait_for(gone, timeout, f"task {task['id']} to end", interval=0.1)
    return max(answered)


def status_event(cluster: SchedulerCluster, task_id: str, state: str) -> dict:
    def found() -> dict | None:  # events are appended without waiting: one may lag the record
        return next((e for e in cluster.events("status_update_event")
                     if e["taskId"] == task_id and e["taskStatus"] == state), None)
    return wait_for(found, 10, f"a {state} status_update_event of {task_id}")


def test_a_scale_down_drains_the_removed_task_then_kills_it(leader: SchedulerCluster) -> None:
    drain = 3.0
    both = serving(leader, leader.put_app(web("/drained", 2, {**EDGE, DRAIN_LABEL: f"{drain:g}"}))["id"], 2)
    leader.scale("/drained", 1)
    victim = draining_task(leader, "/drained")
    assert victim["message"] == f"draining: killed at {victim['drainUntil']}"
    killing = status_event(leader, victim["id"], "TASK_KILLING")
    assert killing["message"] == victim["message"]

    last_answer = last_answer_before_end(leader, victim, timeout=drain + 20)
    assert last_answer - parse_ts(killing["timestamp"]) >= drain - TOLERANCE, "killed before its drain time"
    assert last_answer >= parse_ts(victim["drainUntil"]) - TOLERANCE
    killed = status_event(leader, victim["id"], "TASK_KILLED")
    assert parse_ts(killed["timestamp"]) >= parse_ts(victim["drainUntil"])

    (survivor,) = [t for t in both if t["id"] != victim["id"]]
    assert [t["id"] for t in leader.wait_running("/drained", 1)] == [survivor["id"]]
    assert answers(survivor)


def test_a_task_no_edge_routes_to_is_killed_at_once(leader: SchedulerCluster) -> None:
    both = serving(leader, leader.put_app(web("/plain", 2, {}))["id"], 2)
    seen: list[dict] = []

    def one_left() -> bool:
        records = leader.tasks("/plain", None)
        seen.extend(records)
        return len(records) == 1

    leader.scale("/plain", 1)
    wait_for(one_left, 10, "the surplus task of /plain to end")
    assert not [r for r in seen if "drainUntil" in r], "a task nobody routes to must not drain"
    events = [e for e in leader.events("status_update_event") if e["taskId"] in {t["id"] for t in both}]
    assert not [e for e in events if (e.get("message") or "").startswith("draining")]


def test_a_kill_request_through_the_store_drains_too(leader: SchedulerCluster) -> None:
    drain = 2.0
    both = serving(leader, leader.put_app(web("/asked", 2, {**EDGE, DRAIN_LABEL: f"{drain:g}"}))["id"], 2)
    leader.store.requests.submit({"type": "kill", "taskIds": [both[0]["id"]], "scale": False, "wipe": False})
    victim = draining_task(leader, "/asked")
    assert victim["id"] == both[0]["id"]
    last_answer = last_answer_before_end(leader, victim, timeout=drain + 20)
    assert last_answer >= parse_ts(victim["drainUntil"]) - TOLERANCE, "killed before its drain time"
    after = leader.wait_running("/asked", 2)
    assert both[1]["id"] in {t["id"] for t in after}, "the other task must be untouched"


def test_a_new_leader_resumes_a_drain_and_kills_no_earlier(schedulers: SchedulerCluster) -> None:
    drain = 15.0
    for _ in range(2):
        schedulers.start_scheduler("--zk-session-timeout", "4")
    first = wait_for(schedulers.leader, 30, "an elected scheduler")
    wait_for(schedulers.store.get_framework_id, 30, "the framework id to be persisted")
    serving(schedulers, schedulers.put_app(web("/handover", 2, {**EDGE, DRAIN_LABEL: f"{drain:g}"}))["id"], 2)
    schedulers.scale("/handover", 1)
    victim = draining_task(schedulers, "/handover")
    until = parse_ts(victim["drainUntil"])

    schedulers.schedulers[int(first["host"].removeprefix("scheduler"))].stop(signal.SIGKILL)
    wait_for(lambda: (schedulers.leader() or first)["host"] != first["host"], 30, "a new leader")
    assert time.time() < until - 2, "the new leader came after the drain's end: this test would prove nothing"

    last_answer = last_answer_before_end(schedulers, victim, timeout=until - time.time() + 30)
    assert last_answer >= until - TOLERANCE, "the new leader killed the task before its drain ended"
    assert len(schedulers.wait_running("/handover", 1)) == 1


def test_a_rolling_restart_drains_each_old_task_once_a_new_one_is_healthy(leader: SchedulerCluster) -> None:
    labels = {**EDGE, DRAIN_LABEL: "2"}
    strategy = {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 0.0}
    leader.deploy(web("/rolling", 2, labels, healthChecks=[CHECK], upgradeStrategy=strategy, env={"TAG": "v1"}))
    old = {t["id"] for t in deployed(leader, "/rolling", 2)}
    samples: list[list[dict]] = []
    leader.deploy(web("/rolling", 2, labels, healthChecks=[CHECK], upgradeStrategy=strategy, env={"TAG": "v2"}))
    new = {t["id"] for t in deployed(leader, "/rolling", 2, timeout=60,
                                     sample=lambda: samples.append(leader.tasks("/rolling", None)))}
    assert not old & new

    drains = [s for s in samples if any(t["id"] in old and t["state"] == "TASK_KILLING" for t in s)]
    assert {t["id"] for s in drains for t in s if t["id"] in old and t.get("drainUntil")} == old
    assert all(any(t["id"] not in old and t["state"] == "TASK_RUNNING" and t.get("healthy") for t in s)
               for s in drains), "an old task drained while no new one was healthy"
    for task_id in old:
        drained = next(t for s in drains for t in s if t["id"] == task_id and t.get("drainUntil"))
        killed = status_event(leader, task_id, "TASK_KILLED")
        assert parse_ts(killed["timestamp"]) >= parse_ts(drained["drainUntil"])

