"""Task records: created at launch, moved through Mesos states by status updates. Pure functions.

Stored records carry ISO timestamps (what the API shows); the deciding functions in framework.deploy
take seconds, so `decision_view` converts once per record change.

Health: Mesos runs one native check per task (framework.taskinfo sends the app's first one) and reports
it as `healthy` on TASK_RUNNING updates. `healthCheckResults` keeps Marathon's per-check result for
that check, as a one-entry list parallel to the app's `healthChecks`: `alive`, `consecutiveFailures`,
`firstSuccess`, `lastSuccess`, `lastFailure`, `lastFailureCause`, `instanceId`. Only updates whose
reason is REASON_TASK_HEALTH_CHECK_STATUS_UPDATED count as a check result (Mesos sends one per counted
failure and one per first success); `healthy` on any other update (a reconciliation answer, a
restarted agent) refreshes `alive` without counting a failure twice.

Draining (framework.model.drain): a task an edge may route to is first marked TASK_KILLING with
`drainUntil` (ISO, ours: the api leaves it out of Marathon's task JSON) and the message
"draining: killed at <drainUntil>"; the kill goes to Mesos at `drainUntil`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework.deploy.taskstate import KILLING, RUNNING, STAGING, TERMINAL_STATES, UNREACHABLE, is_terminal_state
from framework.model.drain import drain_seconds
from framework.timeutil import format_ts, parse_ts

HEALTH_REASON = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"
_TIME_FIELDS = ("stagedAt", "startedAt", "unreachableSince", "updatedAt")
# Ends that count as an app's lastTaskFailure, as in Marathon: not FINISHED nor KILLED (asked for).
FAILURE_STATES = TERMINAL_STATES - {"TASK_FINISHED", "TASK_KILLED"}
RECONCILIATION = "REASON_RECONCILIATION"


def new_record(app: Mapping[str, Any], task_id: str, *, agent_id: str, host: str, ports: tuple[int, ...],
               service_ports: list[int], now: float) -> dict:
    """The record written (before the launch is sent) for a task of `app` placed on an agent."""
    staged = format_ts(now)
    return {
        "id": task_id, "appId": app["id"], "version": app.get("version"), "agentId": agent_id, "host": host,
        "ports": list(ports), "servicePorts": list(service_ports), "state": STAGING, "stagedAt": staged,
        "startedAt": None, "healthy": None, "ipAddresses": [], "updatedAt": staged, "unreachableSince": None,
        "message": None,
    }


def _ip_addresses(status: Mapping[str, Any]) -> list[dict]:
    infos = (status.get("container_status") or {}).get("network_infos") or []
    return [{"ipAddress": address["ip_address"], "protocol": address.get("protocol", "IPv4")}
            for info in infos for address in info.get("ip_addresses", []) if "ip_address" in address]


def apply_status(record: Mapping[str, Any], status: Mapping[str, Any], *, now: float,
                 kill_requested: bool = False) -> dict:
    """The record after a Mesos TaskStatus.

    A task we asked to kill stays TASK_KILLING until it ends, so that a late RUNNING update (a health
    result, a reconciliation answer) cannot make it count as an instance again.
    """
    state = status["state"]
    if kill_requested and not is_terminal_state(state):
        state = KILLING
    updated = dict(record)
    updated["state"] = state
    updated["updatedAt"] = format_ts(now)
    if state == RUNNING and record.get("startedAt") is None:
        updated["startedAt"] = format_ts(status.get("timestamp", now))
    if "healthy" in status:
        updated["healthy"] = bool(status["healthy"])
        updated["healthCheckResults"] = [health_result(record, status, now=now)]
    addresses = _ip_addresses(status)
    if addresses:
        updated["ipAddresses"] = addresses
    if state == UNREACHABLE:
        # kept when the task returns: a returned task that was already replaced is the first to go
        updated["unreachableSince"] = record.get("unreachableSince") or format_ts(now)
    if status.get("reason") == RECONCILIATION:  # "Latest task state": no news, the record's message stands
        updated["message"] = record.get("message")
    else:
        updated["message"] = status.get("message") or (record.get("message") if is_draining(updated) else None)
    return updated


def changes_anything(record: Mapping[str, Any], updated: Mapping[str, Any]) -> bool:
    """Whether `apply_status` changed more than `updatedAt`. A reconciliation answer usually repeats what the
    record holds; storing it anyway rewrote every record at each explicit and implicit reconciliation
    (100,000 writes, each re-read by every api mirror)."""
    return any(updated.get(key) != record.get(key) for key in updated.keys() | record.keys() if key != "updatedAt")


def health_result(record: Mapping[str, Any], status: Mapping[str, Any], *, now: float) -> dict:
    """The task's health check result after an update carrying `healthy` (Marathon's field names)."""
    previous = (record.get("healthCheckResults") or [{}])[0]
    result = {"alive": bool(status["healthy"]), "consecutiveFailures": previous.get("consecutiveFailures", 0),
              "firstSuccess": previous.get("firstSuccess"), "lastSuccess": previous.get("lastSuccess"),
              "lastFailure": previous.get("lastFailure"), "lastFailureCause": previous.get("lastFailureCause"),
              "instanceId": record["id"]}
    if status.get("reason") != HEALTH_REASON:
        return result
    at = format_ts(status.get("timestamp", now))
    if status["healthy"]:
        result.update(consecutiveFailures=0, lastSuccess=at, firstSuccess=result["firstSuccess"] or at)
    else:
        result.update(consecutiveFailures=result["consecutiveFailures"] + 1, lastFailure=at,
                      lastFailureCause=status.get("message") or "health check failed")
    return result


def killing(record: Mapping[str, Any], *, now: float) -> dict:
    """The record once a kill was sent: it no longer counts as an instance."""
    return {**record, "state": KILLING, "updatedAt": format_ts(now)}


def drain_time(record: Mapping[str, Any], app: Mapping[str, Any] | None) -> float:
    """Seconds to drain this task before its kill is sent; 0 to kill it at once.

    Draining only helps a task an edge may be routing to: a running one whose app still exists (a
    deleted app's tasks are no longer routed) and is not known unhealthy (an edge skips those)."""
    if app is None or record.get("state") != RUNNING or record.get("healthy") is False:
        return 0.0
    return drain_seconds(app)


def draining(record: Mapping[str, Any], *, now: float, until: float) -> dict:
    """The record of a task marked draining: it no longer counts as an instance, but its kill is only
    sent at `until` (the api and lb/ see TASK_KILLING at once and stop routing to it)."""
    drain_until = format_ts(until)
    return {**record, "state": KILLING, "updatedAt": format_ts(now), "drainUntil": drain_until,
            "message": f"draining: killed at {drain_until}"}


def is_draining(record: Mapping[str, Any]) -> bool:
    """True for a TASK_KILLING record that went through a drain (its kill may or may not be sent yet)."""
    return record.get("state") == KILLING and record.get("drainUntil") is not None


def drain_deadline(record: Mapping[str, Any]) -> float | None:
    """Epoch seconds of the record's `drainUntil`, or None when it has none (or an unreadable one)."""
    if not is_draining(record):
        return None
    try:
        return parse_ts(record["drainUntil"])
    except ValueError:
        return None


def decision_view(record: Mapping[str, Any]) -> dict:
    """The record with timestamps in seconds, as framework.deploy's functions read them."""
    view = dict(record)
    for field in _TIME_FIELDS:
        if isinstance(view.get(field), str):
            view[field] = parse_ts(view[field])
    return view


def status_update_event(record: Mapping[str, Any], status: Mapping[str, Any], timestamp: str) -> dict:
    """Marathon's status_update_event for the API's event stream."""
    return {
        "eventType": "status_update_event", "timestamp": timestamp, "slaveId": record.get("agentId"),
        "taskId": record["id"], "taskStatus": status["state"], "message": status.get("message", ""),
        "appId": record["appId"], "host": record.get("host"), "ipAddresses": record.get("ipAddresses", []),
        "ports": record.get("ports", []), "version": record.get("version"),
    }


def is_failure_state(state: str) -> bool:
    return state in FAILURE_STATES


def task_failure(record: Mapping[str, Any], status: Mapping[str, Any], *, now: float) -> dict:
    """Marathon's lastTaskFailure for a task that ended in a failure state (stored per app by the leader).
    `timestamp` is when Mesos saw the end (the status's own timestamp), else `now`."""
    return {
        "appId": record["appId"], "host": record.get("host"), "message": status.get("message") or "",
        "state": status["state"], "taskId": record["id"], "timestamp": format_ts(status.get("timestamp", now)),
        "version": record.get("version"), "slaveId": record.get("agentId"),
    }
