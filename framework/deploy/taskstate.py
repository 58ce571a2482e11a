"""The vocabulary shared by the deciding functions: which task is alive, current, serving, or a victim.

Kept in one place so that a rolling restart, a scale step and steady-state reconciliation agree on what
"an instance" is. All functions are pure; time-dependent ones take ``now``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

App = Mapping[str, Any]
Task = Mapping[str, Any]

STAGING = "TASK_STAGING"  # ours and the master's until the first update; Mesos never sends it
STARTING = "TASK_STARTING"
RUNNING = "TASK_RUNNING"
KILLING = "TASK_KILLING"
UNREACHABLE = "TASK_UNREACHABLE"

# The states after which the scheduler stops waiting for a task to run again: its record is forgotten and,
# if the app still wants it, a replacement is launched. The one definition in framework/.
# * Mesos's terminal states (../shared/docs/mesos-v1-notes.md C6): FINISHED, FAILED, KILLED, ERROR, DROPPED,
#   GONE, GONE_BY_OPERATOR and LOST. We are partition-aware, so Mesos reports a partition as UNREACHABLE
#   (not terminal); a LOST we still receive means the task is gone.
# * TASK_UNKNOWN, although Mesos never puts a task in it: it is the master's answer to reconciling a task it
#   does not know (always so through pymesos, which sends no agent id), and such a task will not run again.
#   mesoslocal keeps Mesos's own set (mesoslocal/updates.py), which leaves it out.
TERMINAL_STATES = frozenset(
    {
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
        "TASK_LOST",
        "TASK_UNKNOWN",
    }
)


def is_terminal_state(state: str | None) -> bool:
    """True for a state after which the task never runs again (``TERMINAL_STATES``)."""
    return state in TERMINAL_STATES


def is_terminal(task: Task) -> bool:
    """True for a task that will never run again (its record only waits to be forgotten)."""
    return is_terminal_state(task.get("state"))


def is_killing(task: Task) -> bool:
    """True once a kill was asked for: the task still occupies resources but no longer counts."""
    return task.get("state") == KILLING


def _unreachable_strategy(app: App) -> tuple[float, float] | None:
    """(inactiveAfterSeconds, expungeAfterSeconds), or None when the strategy is "disabled"."""
    strategy = app.get("unreachableStrategy")
    if not isinstance(strategy, Mapping):
        return None  # Marathon's "disabled": an unreachable task is waited for forever
    return float(strategy.get("inactiveAfterSeconds", 0)), float(strategy.get("expungeAfterSeconds", 0))


def unreachable_for(task: Task, now: float) -> float | None:
    """Seconds the task has been unreachable, or None when it is not (or the time is unknown)."""
    since = task.get("unreachableSince")
    if task.get("state") != UNREACHABLE or since is None:
        return None
    return max(0.0, now - float(since))


def is_inactive(app: App, task: Task, now: float) -> bool:
    """An unreachable task past inactiveAfterSeconds: it no longer counts, a replacement is due."""
    strategy = _unreachable_strategy(app)
    elapsed = unreachable_for(task, now)
    return strategy is not None and elapsed is not None and elapsed >= strategy[0]


def is_expired(app: App, task: Task, now: float) -> bool:
    """An unreachable task past expungeAfterSeconds: forget it (it is killed if it ever returns)."""
    strategy = _unreachable_strategy(app)
    elapsed = unreachable_for(task, now)
    return strategy is not None and elapsed is not None and elapsed >= strategy[1]


def is_live(app: App, task: Task, now: float) -> bool:
    """A task that occupies a slot: not terminal and not an inactive unreachable one.

    KILLING tasks are live (they still hold resources, so they count against maximumOverCapacity).
    """
    return not is_terminal(task) and not is_inactive(app, task, now)


def is_current(app: App, task: Task) -> bool:
    """True when the task runs the app's current configuration.

    A scale changes ``version`` but not ``versionInfo.lastConfigChangeAt``, so a task launched at any
    version from the last config change up to now runs the current configuration. Versions are ISO-8601
    timestamps in one format, so string order is time order.
    """
    version = task.get("version")
    if version is None:
        return False
    if version == app.get("version"):
        return True
    changed = (app.get("versionInfo") or {}).get("lastConfigChangeAt")
    return bool(changed) and changed <= version <= str(app.get("version", ""))


def is_serving(app: App, task: Task, ready: Collection[str] = ()) -> bool:
    """A current-version task that counts as healthy: running, passing health and readiness checks.

    ``ready`` holds the ids of tasks whose readiness checks passed (readiness is only known to the
    caller that runs the checks; Mesos status updates carry health, not readiness).
    """
    if task.get("state") != RUNNING:
        return False
    if app.get("healthChecks") and task.get("healthy") is not True:
        return False
    return not app.get("readinessChecks") or task.get("id") in ready


def is_serving_old(task: Task) -> bool:
    """An old-version task that counts as healthy: running and not known unhealthy.

    We do not hold the old version's health checks here, so ``healthy: None`` (no checks, or no result
    yet) counts as serving. That is the safe side for killing: such a task is killed only within the
    minimumHealthCapacity budget, never as a free kill.
    """
    return task.get("state") == RUNNING and task.get("healthy") is not False


def launched_at(task: Task) -> float:
    """When the task started (staged if not yet started); unknown sorts as the youngest."""
    for key in ("startedAt", "stagedAt"):
        value = task.get(key)
        if value is not None:
            return float(value)
    return math.inf


def by_kill_selection(app: App, tasks: Iterable[Task]) -> list[Task]:
    """Order tasks as the app's killSelection says (YOUNGEST_FIRST is Marathon's default)."""
    youngest_first = app.get("killSelection", "YOUNGEST_FIRST") != "OLDEST_FIRST"
    ordered = sorted(tasks, key=lambda t: str(t.get("id")))
    return sorted(ordered, key=launched_at, reverse=youngest_first)


def victim_order(app: App, tasks: Iterable[Task], ready: Collection[str] = ()) -> list[Task]:
    """Order tasks for scale-down: the least useful first, killSelection as the tie-breaker.

    1. tasks that came back from an unreachable spell (``unreachableSince`` kept after they returned):
       they were most likely replaced already;
    2. still unreachable tasks; 3. not yet running (staging, starting); 4. known unhealthy;
    5. old configuration; then killSelection.
    """

    def rank(task: Task) -> int:
        state = task.get("state")
        if state != UNREACHABLE and task.get("unreachableSince") is not None:
            return 0
        if state == UNREACHABLE:
            return 1
        if state != RUNNING:
            return 2
        if task.get("healthy") is False:
            return 3
        if not is_current(app, task):
            return 4
        return 5

    return sorted(by_kill_selection(app, tasks), key=rank)  # sorted() is stable: keeps killSelection


def task_ids(tasks: Iterable[Task]) -> tuple[str, ...]:
    return tuple(str(t["id"]) for t in tasks)
