"""JSON of apps and tasks as Marathon's responses show them.

Pure functions from the canonical app and the stored task records to Marathon's shapes (field names and
order as in its API examples), so that every endpoint renders the same object the same way. A plan's
Marathon shape is framework.deploy.plan's ``to_marathon_json``, which knows the members it keeps.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping

from framework.model import defaults, marathon_view, service_ports
from framework.timeutil import parse_ts

RUNNING = "TASK_RUNNING"
STAGED = ("TASK_STAGING", "TASK_STARTING")
EMBEDS = ("apps.tasks", "apps.counts", "apps.deployments", "apps.readiness", "apps.lastTaskFailure",
          "apps.failures", "apps.taskStats")


def task_json(task: Mapping, app: Mapping | None) -> dict:
    """A stored task record in Marathon's task shape (``agentId`` becomes ``slaveId``)."""
    out = {
        "id": task["id"],
        "appId": task.get("appId"),
        "host": task.get("host"),
        "ports": list(task.get("ports") or []),
        "servicePorts": list(task.get("servicePorts") or (service_ports(app) if app else [])),
        "ipAddresses": list(task.get("ipAddresses") or []),
        "slaveId": task.get("agentId", task.get("slaveId")),
        "stagedAt": task.get("stagedAt"),
        "startedAt": task.get("startedAt"),
        "state": task.get("state", "TASK_STAGING"),
        "version": task.get("version"),
        "healthCheckResults": health_results(task, app),
        "localVolumes": [],
        "role": task.get("role") or (app or {}).get("role", defaults.ROLE),
    }
    # Only Marathon's members: the record's `message` and `drainUntil` stay out, since Marathon clients
    # build their task objects from every member and refuse one they do not know (the PyPI `marathon`
    # client's MarathonTask raises TypeError). The message is in the task's status_update_event.
    for key in ("region", "zone"):
        if task.get(key) is not None:
            out[key] = task[key]
    return out


def health_results(task: Mapping, app: Mapping | None) -> list[dict]:
    """Marathon's per-check results; we know one verdict per task, so one result per health check."""
    if task.get("healthCheckResults") is not None:
        return list(task["healthCheckResults"])
    healthy = task.get("healthy")
    if healthy is None or not (app or {}).get("healthChecks"):
        return []
    result = {
        "alive": bool(healthy),
        "consecutiveFailures": int(task.get("consecutiveFailures", 0 if healthy else 1)),
        "firstSuccess": task.get("firstSuccess"),
        "lastFailure": task.get("lastFailure"),
        "lastSuccess": task.get("lastSuccess"),
        "lastFailureCause": task.get("lastFailureCause"),
        "instanceId": task["id"],
    }
    return [dict(result) for _ in app["healthChecks"]]


def counts(tasks: Iterable[Mapping]) -> dict:
    """tasksStaged/Running/Healthy/Unhealthy as Marathon counts them (health only of running tasks)."""
    staged = running = healthy = unhealthy = 0
    for task in tasks:
        state = task.get("state")
        if state in STAGED:
            staged += 1
        elif state == RUNNING:
            running += 1
            if task.get("healthy") is True:
                healthy += 1
            elif task.get("healthy") is False:
                unhealthy += 1
    return {"tasksStaged": staged, "tasksRunning": running, "tasksHealthy": healthy,
            "tasksUnhealthy": unhealthy}


def app_json(app: Mapping, tasks: Mapping[str, Mapping] | None, deployment_ids: list[str],
             embed: Iterable[str], *, now: float, last_failure: Mapping | None = None) -> dict:
    """An app as GET /v2/apps shows it; counts and deployments are always there, as in Marathon 1.x."""
    embed = set(embed)
    task_list = list((tasks or {}).values())
    out = marathon_view(dict(app))
    if "versionInfo" not in out and "version" in out:
        out["versionInfo"] = {"lastScalingAt": out["version"], "lastConfigChangeAt": out["version"]}
    out.update(counts(task_list))
    out["deployments"] = [{"id": deployment_id} for deployment_id in deployment_ids]
    if "apps.readiness" in embed:
        out["readinessCheckResults"] = []
    if "apps.tasks" in embed:
        out["tasks"] = [task_json(task, app) for task in sorted(task_list, key=lambda t: t["id"])]
    if ("apps.lastTaskFailure" in embed or "apps.failures" in embed) and last_failure:
        out["lastTaskFailure"] = dict(last_failure)
    if "apps.taskStats" in embed:
        out["taskStats"] = task_stats(app, task_list, now)
    return out


def task_stats(app: Mapping, tasks: Iterable[Mapping], now: float) -> dict:
    """Marathon's taskStats of an app's current (non-terminal) task records at epoch seconds ``now``.

    Tasks are grouped by the app version they were launched with (a task record's ``version``), against
    the app's ``versionInfo``: ``startedAfterLastScaling`` (version >= lastScalingAt), ``withLatestConfig``
    (>= lastConfigChangeAt), ``withOutdatedConfig`` (older) and ``totalSummary`` (all). Each group is
    ``{"stats": {"counts": {staged, running, healthy, unhealthy}, "lifeTime": {averageSeconds,
    medianSeconds}}}``; an empty group is left out, and so is ``lifeTime`` when no task of the group has
    started yet (life time counts from ``startedAt``). Without a ``versionInfo`` the app's ``version``
    stands for both timestamps.
    """
    tasks = list(tasks)
    info = app.get("versionInfo") or {}
    config_at = info.get("lastConfigChangeAt") or app.get("version")
    scaling_at = info.get("lastScalingAt") or app.get("version")
    groups = {
        "startedAfterLastScaling": [t for t in tasks if _not_before(t.get("version"), scaling_at)],
        "withLatestConfig": [t for t in tasks if _not_before(t.get("version"), config_at)],
        "withOutdatedConfig": [t for t in tasks if not _not_before(t.get("version"), config_at)],
        "totalSummary": tasks,
    }
    return {name: {"stats": _stats(members, now)} for name, members in groups.items() if members}


def _stats(tasks: list[Mapping], now: float) -> dict:
    c = counts(tasks)
    lives = []
    for task in tasks:
        started = task.get("startedAt")
        if not isinstance(started, str):
            continue
        try:
            lives.append(max(0.0, now - parse_ts(started)))
        except ValueError:
            continue
    stats: dict = {"counts": {"staged": c["tasksStaged"], "running": c["tasksRunning"],
                              "healthy": c["tasksHealthy"], "unhealthy": c["tasksUnhealthy"]}}
    if lives:
        stats["lifeTime"] = {"averageSeconds": sum(lives) / len(lives), "medianSeconds": statistics.median(lives)}
    return stats


def _not_before(stamp: str | None, reference: str | None) -> bool:
    """``stamp >= reference`` for Marathon timestamps (same fixed format, so text order is time order)."""
    if reference is None:
        return True
    return stamp is not None and stamp >= reference

