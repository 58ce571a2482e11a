"""Health-driven replacement: which failing tasks to kill now, with a per-app kill rate limit.

A task is *failing* when, for one of the app's health checks, its ``consecutiveFailures`` has reached
that check's ``maxConsecutiveFailures`` (Marathon kills at that count; 0 disables killing for the
check), outside the grace period. Health results come in the task record as Marathon shows them:
``healthCheckResults`` is a list parallel to the app's ``healthChecks``, each entry with at least
``consecutiveFailures`` and ``firstSuccess`` (None until the task first passed).

Grace: failures are ignored until ``gracePeriodSeconds`` after the task started, unless it has passed
once already (Marathon's rule).

Never killed for health: tasks that are not TASK_RUNNING -- unreachable ones above all (their health is
unknown, and a partition is the unreachable strategy's business), staging ones, and ones already being
killed.

Rate limit (a bad check, or a shared dependency going down, must not kill the whole app at once, a
known Marathon failure mode): at most ``max(1, instances // 10)`` health kills per app within any
``KILL_WINDOW_SECONDS`` (60 s) sliding window. The caller passes the times of its recent health kills
for the app; failing tasks beyond the limit wait for the next window, the ones with the most
consecutive failures going first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from framework.deploy.taskstate import RUNNING, App, Task, launched_at

KILL_WINDOW_SECONDS = 60.0


def kill_limit(app: App) -> int:
    """How many health kills one app may have within one window."""
    return max(1, int(app.get("instances", 0)) // 10)


def _worst_failures(app: App, task: Task, now: float) -> int:
    """The highest consecutive-failure count that reached its check's limit, or 0 if none did."""
    worst = 0
    checks = app.get("healthChecks") or []
    for check, result in zip(checks, task.get("healthCheckResults") or [], strict=False):
        if not isinstance(result, Mapping):
            continue
        limit = int(check.get("maxConsecutiveFailures", 3))
        failures = int(result.get("consecutiveFailures") or 0)
        if limit <= 0 or failures < limit or _in_grace(check, task, result, now):
            continue
        worst = max(worst, failures)
    return worst


def _in_grace(check: Mapping[str, Any], task: Task, result: Mapping[str, Any], now: float) -> bool:
    if result.get("firstSuccess") is not None:
        return False
    # An unknown start time sorts as infinitely late: the grace never visibly ends, so no kill.
    return now < launched_at(task) + float(check.get("gracePeriodSeconds", 300))


def failing_tasks(app: App, tasks: Iterable[Task], *, now: float) -> list[str]:
    """Ids of running tasks past their failure limit, most failures first (no rate limit applied)."""
    scored = []
    for task in tasks:
        if task.get("state") != RUNNING:
            continue
        worst = _worst_failures(app, task, now)
        if worst:
            scored.append((-worst, str(task["id"])))
    return [task_id for _, task_id in sorted(scored)]


def unhealthy_kills(
    app: App,
    tasks: Iterable[Task],
    *,
    now: float,
    recent_kills: Sequence[float] = (),
    window: float = KILL_WINDOW_SECONDS,
) -> list[str]:
    """Ids of failing tasks to kill (and so replace) now, within the app's kill rate limit.

    ``recent_kills``: times of this app's earlier health kills; those older than ``window`` no
    longer count.
    """
    in_window = sum(1 for at in recent_kills if now - window < at <= now)
    allowed = max(0, kill_limit(app) - in_window)
    return failing_tasks(app, tasks, now=now)[:allowed]
