"""An app's one-word status, as operators of Marathon know the words; pure (``now`` is an input).

Order matters: a backoff delay explains everything else, a launch that waits for offers longer than
``WAITING_AFTER`` explains a deployment that does not finish, and health is worth saying only about an app
that is otherwise where it should be.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

RUNNING, DEPLOYING, SUSPENDED, WAITING, DELAYED, UNHEALTHY = (
    "Running", "Deploying", "Suspended", "Waiting", "Delayed", "Unhealthy")
# seconds a queued launch may wait for an offer before the app counts as Waiting (rather than Deploying)
WAITING_AFTER = 10.0
# a group shows its most alarming member's status: worst first
SEVERITY = (DELAYED, WAITING, UNHEALTHY, DEPLOYING, RUNNING, SUSPENDED)


def epoch(stamp: str | None) -> float | None:
    """Seconds since the epoch of an ISO-8601 timestamp (``...Z``), None when absent or unreadable."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def app_status(app: Mapping, queue_entry: Mapping | None, now: float) -> str:
    """Status of an app as GET /v2/apps renders it (counts and deployments), given its /v2/queue entry."""
    if queue_entry:
        delay = queue_entry.get("delay") or {}
        if delay.get("timeLeftSeconds", 0) > 0 and not delay.get("overdue", True):
            return DELAYED
        since = epoch(queue_entry.get("since"))
        if queue_entry.get("count", 0) > 0 and since is not None and now - since >= WAITING_AFTER:
            return WAITING
    if app.get("deployments"):
        return DEPLOYING
    if app.get("instances", 0) == 0 and app.get("tasksRunning", 0) == 0:
        return SUSPENDED
    if app.get("tasksUnhealthy", 0) > 0:
        return UNHEALTHY
    return RUNNING


def group_status(statuses: Iterable[str]) -> str | None:
    """The most alarming of the members' statuses; None for a group without apps."""
    found = set(statuses)
    return next((status for status in SEVERITY if status in found), None)
