"""Marathon's task, health and scheduler events, built from task records and app definitions.

Each function returns one event in Marathon's shape (its members and nothing else: strict clients such as
the PyPI ``marathon`` client reject or mis-read members Marathon does not send), without ``timestamp``:
the event log stamps what it records. Our task ids double as Marathon's instance ids (one task per
instance, and the id already has Marathon's legacy ``<app>.<uuid>`` form). Pure: data in, dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Record = Mapping[str, Any]

# Marathon's instance conditions (instance_changed_event's `condition`) for the Mesos states we keep.
# A TASK_LOST we still receive means the task is gone (we are partition-aware: a partition is UNREACHABLE).
CONDITIONS = {
    "TASK_STAGING": "Staging", "TASK_STARTING": "Starting", "TASK_RUNNING": "Running",
    "TASK_KILLING": "Killing", "TASK_KILLED": "Killed", "TASK_FINISHED": "Finished", "TASK_FAILED": "Failed",
    "TASK_ERROR": "Error", "TASK_DROPPED": "Dropped", "TASK_GONE": "Gone", "TASK_GONE_BY_OPERATOR": "Gone",
    "TASK_LOST": "Gone", "TASK_UNREACHABLE": "Unreachable", "TASK_UNKNOWN": "Unknown",
}


def condition(state: str) -> str:
    """Marathon's condition for a Mesos task state (``Unknown`` for one it does not name)."""
    return CONDITIONS.get(state, "Unknown")


def instance_changed(record: Record, state: str) -> dict:
    """``instance_changed_event``: the instance's task moved to ``state``."""
    return {"instanceId": record["id"], "condition": condition(state), "runSpecId": record["appId"],
            "agentId": record.get("agentId"), "host": record.get("host"),
            "runSpecVersion": record.get("version"), "eventType": "instance_changed_event"}


def health_status_changed(record: Record, alive: bool) -> dict:
    """``health_status_changed_event``: what marathon-lb and its kind listen to."""
    return {"appId": record["appId"], "instanceId": record["id"], "version": record.get("version"),
            "alive": alive, "eventType": "health_status_changed_event"}


def instance_health_changed(record: Record, healthy: bool | None) -> dict:
    """``instance_health_changed_event``: Marathon's instance-level twin of health_status_changed_event."""
    return {"instanceId": record["id"], "runSpecId": record["appId"], "healthy": healthy,
            "runSpecVersion": record.get("version"), "eventType": "instance_health_changed_event"}


def failed_health_check(record: Record, check: Mapping[str, Any]) -> dict:
    """``failed_health_check_event``: one failed run of ``check``. Marathon names the instance ``taskId`` here."""
    return {"appId": record["appId"], "taskId": record["id"], "healthCheck": dict(check),
            "eventType": "failed_health_check_event"}


def unhealthy_kill(record: Record, reason: str) -> list[dict]:
    """The events of a kill for failed health checks: ``unhealthy_task_kill_event`` (Marathon up to 1.3; what
    older listeners subscribe to) and ``unhealthy_instance_kill_event`` (its name since, with ``instanceId``).
    ``slaveId`` is left out when unknown, as Marathon does."""
    where = {"version": record.get("version"), "reason": reason, "host": record.get("host")}
    if record.get("agentId"):
        where["slaveId"] = record["agentId"]
    ids = {"appId": record["appId"], "taskId": record["id"]}
    return [{**ids, **where, "eventType": "unhealthy_task_kill_event"},
            {**ids, "instanceId": record["id"], **where, "eventType": "unhealthy_instance_kill_event"}]


def unhealthy_reason(record: Record) -> str:
    """Why a health kill happened: the check's last failure cause, as Marathon reports it."""
    results = record.get("healthCheckResults") or [{}]
    cause = results[0].get("lastFailureCause") if isinstance(results[0], Mapping) else None
    return str(cause or "health check failed")


def app_terminated(app_id: str) -> dict:
    """``app_terminated_event``: a stopped app's tasks are all gone."""
    return {"appId": app_id, "eventType": "app_terminated_event"}


def add_health_check(app_id: str, version: str, check: Mapping[str, Any]) -> dict:
    """``add_health_check_event``: ``check`` of the app's ``version`` is now watched."""
    return {"appId": app_id, "healthCheck": dict(check), "version": version, "eventType": "add_health_check_event"}


def remove_health_check(app_id: str) -> dict:
    """``remove_health_check_event``: one check of an app version no longer running is dropped (Marathon
    names only the app)."""
    return {"appId": app_id, "eventType": "remove_health_check_event"}


def scheduler_registered(framework_id: str, master: str) -> dict:
    """``scheduler_registered_event``: a new connection subscribed (``master``: the master's host name)."""
    return {"frameworkId": framework_id, "master": master, "eventType": "scheduler_registered_event"}


def scheduler_reregistered(master: str) -> dict:
    """``scheduler_reregistered_event``: the same connection subscribed again (a master failover)."""
    return {"master": master, "eventType": "scheduler_reregistered_event"}


def scheduler_disconnected() -> dict:
    """``scheduler_disconnected_event``: the subscription to the master was lost."""
    return {"eventType": "scheduler_disconnected_event"}
