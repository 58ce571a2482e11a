"""Task, health and scheduler events in Marathon's shapes, read back by the PyPI `marathon` client, and which
health checks are announced (add/remove_health_check_event) as app versions come and go."""

from __future__ import annotations

from marathon.models.events import EventFactory

from framework.scheduler import events
from framework.scheduler.health_checks import changes

TASK = {"id": "web.1", "appId": "/web", "version": "2026-11-26T20:00:00.000Z", "agentId": "a-S0",
        "host": "h1", "state": "TASK_RUNNING",
        "healthCheckResults": [{"alive": False, "lastFailureCause": "500 Internal Server Error"}]}
CHECK = {"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0, "gracePeriodSeconds": 5}
STAMP = {"timestamp": "2026-11-26T20:00:01.000Z"}


def read(event: dict):
    return EventFactory().process({**event, **STAMP})


def test_instance_events_name_marathons_condition_and_run_spec() -> None:
    changed = events.instance_changed(TASK, "TASK_KILLED")
    assert changed == {"instanceId": "web.1", "condition": "Killed", "runSpecId": "/web", "agentId": "a-S0",
                       "host": "h1", "runSpecVersion": TASK["version"], "eventType": "instance_changed_event"}
    assert read(changed).run_spec_id == "/web"
    assert events.condition("TASK_LOST") == "Gone" and events.condition("TASK_UNREACHABLE") == "Unreachable"
    health = events.instance_health_changed(TASK, False)
    assert read(health).instance_id == "web.1" and health["healthy"] is False


def test_health_events_have_marathons_members() -> None:
    status = events.health_status_changed(TASK, True)
    assert set(status) == {"appId", "instanceId", "version", "alive", "eventType"}
    failed = events.failed_health_check(TASK, CHECK)
    assert set(failed) == {"appId", "taskId", "healthCheck", "eventType"}
    assert read(failed).health_check.path == "/health"


def test_an_unhealthy_kill_is_announced_under_both_of_marathons_names() -> None:
    old, new = events.unhealthy_kill(TASK, events.unhealthy_reason(TASK))
    assert old == {"appId": "/web", "taskId": "web.1", "version": TASK["version"],
                   "reason": "500 Internal Server Error", "host": "h1", "slaveId": "a-S0",
                   "eventType": "unhealthy_task_kill_event"}
    assert new["eventType"] == "unhealthy_instance_kill_event" and new["instanceId"] == "web.1"
    assert read(old).reason == read(new).reason == "500 Internal Server Error"
    assert "slaveId" not in events.unhealthy_kill({**TASK, "agentId": None}, "x")[0]
    assert events.unhealthy_reason({"healthCheckResults": []}) == "health check failed"


def test_scheduler_and_app_events() -> None:
    assert events.scheduler_registered("fw-1", "m1") == {
        "frameworkId": "fw-1", "master": "m1", "eventType": "scheduler_registered_event"}
    assert events.scheduler_reregistered("m1") == {"master": "m1", "eventType": "scheduler_reregistered_event"}
    assert events.scheduler_disconnected() == {"eventType": "scheduler_disconnected_event"}
    assert read(events.app_terminated("/web")).app_id == "/web"


def test_checks_are_added_with_a_version_and_removed_once_it_is_neither_current_nor_running() -> None:
    v1 = {"id": "/web", "version": "v1", "healthChecks": [CHECK]}
    active, added = changes({}, {"/web": v1}, running=[])
    assert added == [events.add_health_check("/web", "v1", CHECK)]
    assert read(added[0]).version == "v1"
    active, again = changes(active, {"/web": v1}, running=[("/web", "v1")])
    assert again == []
    v2 = {**v1, "version": "v2"}
    active, rolling = changes(active, {"/web": v2}, running=[("/web", "v1")])
    assert rolling == [events.add_health_check("/web", "v2", CHECK)]  # v1 still has tasks: kept
    active, done = changes(active, {"/web": v2}, running=[("/web", "v2")])
    assert done == [{"appId": "/web", "eventType": "remove_health_check_event"}]
    active, deleted = changes(active, {}, running=[])
    assert deleted == [events.remove_health_check("/web")] and active == {}
    assert changes({}, {"/plain": {"id": "/plain", "version": "v1"}}, running=[]) == ({}, [])
