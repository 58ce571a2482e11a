"""How long an instance drains before it is killed: the ``BALALAIKA_DRAIN_SECONDS`` label (beyond Marathon).

An HAProxy edge (lb/) stops sending new requests to a task as soon as it sees the task in TASK_KILLING;
the requests it already sent need a moment to finish. So the leader marks a routed task TASK_KILLING
first and sends the kill to Mesos only after the app's drain time (``TaskKiller`` in
framework.scheduler.kills).

* ``BALALAIKA_DRAIN_SECONDS`` -- a number of seconds from 0 (no drain) to ``MAX_DRAIN_SECONDS``.
  App validation rejects anything else at ``/labels/BALALAIKA_DRAIN_SECONDS``; a bad value stored
  before that rule existed is read as if the label were absent, and an out-of-range one is clamped,
  so that the kill path never fails on a label.
* No label: ``DEFAULT_DRAIN_SECONDS`` for an app with a non-empty ``HAPROXY_GROUP`` label (an edge
  routes to it, as Marathon-LB's apps declare), 0 for every other app (nobody routes to it, so
  waiting would only slow scale-downs and restarts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DRAIN_LABEL = "BALALAIKA_DRAIN_SECONDS"
EDGE_GROUP_LABEL = "HAPROXY_GROUP"
DEFAULT_DRAIN_SECONDS = 5.0
MAX_DRAIN_SECONDS = 300.0


def _parsed(raw: Any) -> float | None:
    """The label's value in seconds, or None when it is not a finite number."""
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) else None


def drain_label_problem(labels: Mapping[str, Any]) -> str | None:
    """Why the labels' drain value is invalid (for app validation), or None when it is absent or valid."""
    raw = labels.get(DRAIN_LABEL)
    if raw is None:
        return None
    seconds = _parsed(raw)
    if seconds is None:
        return f"must be a number of seconds, not {raw!r}"
    if not 0 <= seconds <= MAX_DRAIN_SECONDS:
        return f"must be between 0 and {MAX_DRAIN_SECONDS:g} seconds, not {raw!r}"
    return None


def drain_seconds(app: Mapping[str, Any]) -> float:
    """Seconds a task of ``app`` drains before its kill is sent (0: killed at once). Never raises."""
    labels = app.get("labels") or {}
    seconds = _parsed(labels[DRAIN_LABEL]) if labels.get(DRAIN_LABEL) is not None else None
    if seconds is None:
        routed = str(labels.get(EDGE_GROUP_LABEL) or "").strip()
        return DEFAULT_DRAIN_SECONDS if routed else 0.0
    return min(max(seconds, 0.0), MAX_DRAIN_SECONDS)
