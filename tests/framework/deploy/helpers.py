"""Builders for normalized apps and task records, with every default the deciding code reads."""

from __future__ import annotations

import copy
from typing import Any

OLD = "2026-11-26T20:00:00.000Z"
NEW = "2026-11-26T21:00:00.000Z"

BASE_APP: dict[str, Any] = {
    "id": "/web",
    "instances": 5,
    "version": NEW,
    "versionInfo": {"lastScalingAt": NEW, "lastConfigChangeAt": NEW},
    "cmd": "sleep 1000",
    "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
    "killSelection": "YOUNGEST_FIRST",
    "healthChecks": [],
    "readinessChecks": [],
    "dependencies": [],
    "backoffSeconds": 1,
    "backoffFactor": 1.15,
    "maxLaunchDelaySeconds": 300,
    "unreachableStrategy": {"inactiveAfterSeconds": 300, "expungeAfterSeconds": 600},
    "labels": {},
}

HEALTH_CHECK = {
    "protocol": "MESOS_HTTP",
    "path": "/health",
    "gracePeriodSeconds": 300,
    "intervalSeconds": 60,
    "timeoutSeconds": 20,
    "maxConsecutiveFailures": 3,
}


def make_app(**overrides: Any) -> dict:
    """A normalized app; ``m``/``o`` set the upgrade strategy."""
    app = copy.deepcopy(BASE_APP)
    m = overrides.pop("m", None)
    o = overrides.pop("o", None)
    if m is not None:
        app["upgradeStrategy"]["minimumHealthCapacity"] = m
    if o is not None:
        app["upgradeStrategy"]["maximumOverCapacity"] = o
    app.update(overrides)
    return app


def make_task(
    task_id: str,
    *,
    version: str = NEW,
    state: str = "TASK_RUNNING",
    started: float | None = 100.0,
    healthy: bool | None = None,
    app_id: str = "/web",
    **extra: Any,
) -> dict:
    task = {
        "id": task_id,
        "appId": app_id,
        "version": version,
        "agentId": "agent-1",
        "host": "10.0.0.1",
        "state": state,
        "stagedAt": None if started is None else started - 1.0,
        "startedAt": started,
        "healthy": healthy,
        "unreachableSince": None,
    }
    task.update(extra)
    return task
