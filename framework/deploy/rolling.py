"""What one deployment step should do next: how many tasks to launch, which to kill, whether it is done.

Level-triggered: each call looks at all tasks of the app (every version) and answers from scratch, so
the scheduler calls it after every status update, launch or timer and applies the answer. Nothing is
remembered between calls; a new leader continues from the task records alone.

Rolling restart rules (Marathon's upgradeStrategy), with n = target ``instances``,
m = ``minimumHealthCapacity`` and o = ``maximumOverCapacity``:

* ``min_healthy = ceil(n·m)`` and ``max_total = floor(n·(1+o))``, computed with a 1e-9 tolerance so that
  float noise (10 × 0.7 = 7.000000000000001) does not move a bound by a whole instance.
* **One over**: when n > 0 and the two bounds coincide (m = 1, o = 0, or rounding such as n=3, m=0.9,
  o=0.1), no instance could ever be replaced (launching exceeds the maximum, killing drops below the
  minimum), so ``max_total`` is raised by one, as Marathon does. A resident app (local persistent
  volumes) cannot start a task beyond its reservations, so for it ``min_healthy`` is lowered by one
  instead ("one under").
* Instances counted against ``max_total``: every live task of any version, KILLING ones included (they
  hold resources until Mesos confirms), unreachable ones until they become inactive, plus ``pending``
  launches (queued, no task record yet). A launch is only returned while that total is below the bound.
* Healthy: a new task that ``is_serving`` (running, healthy if the app has health checks, ready if it
  has readiness checks); an old task that is running and not known unhealthy (``is_serving_old``).
* Kills of old tasks: those that serve nobody (staging, starting, unreachable, unhealthy) at once, since
  that cannot lower the healthy count; the others, in killSelection order, only while the healthy count
  stays at or above ``min_healthy`` -- that is, as new tasks become healthy.
* The step is done when exactly n live tasks remain, all of the target version and serving, with no
  pending launch and no task still being killed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from framework.deploy.taskstate import (
    UNREACHABLE,
    App,
    Task,
    by_kill_selection,
    is_current,
    is_killing,
    is_live,
    is_serving,
    is_serving_old,
    is_terminal,
    task_ids,
    victim_order,
)
from framework.model.container import is_resident

START = "StartApplication"
SCALE = "ScaleApplication"
RESTART = "RestartApplication"
STOP = "StopApplication"

_EPSILON = 1e-9


@dataclass(frozen=True)
class Actions:
    """The next moves of one step. ``unqueue``: queued launches (``pending``) to withdraw."""

    launch: int = 0
    kill: tuple[str, ...] = ()
    unqueue: int = 0
    step_done: bool = False


@dataclass(frozen=True)
class Bounds:
    """Capacity bounds of a rolling restart; ``relaxed`` tells which one was moved so progress is possible."""

    min_healthy: int
    max_total: int
    relaxed: str | None = None  # "one over" (max_total + 1), "one under" (min_healthy - 1) or None


def capacity_bounds(app: App) -> Bounds:
    """The minimumHealthCapacity / maximumOverCapacity bounds for the app's target instance count."""
    n = int(app["instances"])
    strategy = app.get("upgradeStrategy") or {}
    m = float(strategy.get("minimumHealthCapacity", 1.0))
    o = float(strategy.get("maximumOverCapacity", 1.0))
    min_healthy = math.ceil(n * m - _EPSILON)
    max_total = math.floor(n * (1 + o) + _EPSILON)
    if n == 0 or min_healthy < max_total:
        return Bounds(min_healthy, max_total)
    container = app.get("container")
    if isinstance(container, dict) and container.get("volumes") and is_resident(container):
        return Bounds(min_healthy - 1, max_total, "one under")
    return Bounds(min_healthy, max_total + 1, "one over")


def next_actions(
    app: App,
    tasks: Iterable[Task],
    *,
    now: float,
    action: str = RESTART,
    pending: int = 0,
    ready: Collection[str] = (),
) -> Actions:
    """Decide the next moves of one deployment step for ``app`` (the step's target definition).

    ``tasks``: every task record of the app id, any version; ``pending``: launches already queued that
    have no task record yet; ``ready``: ids of tasks whose readiness checks passed. For StopApplication
    pass the original definition. Raises ValueError for an unknown action name.
    """
    tasks = list(tasks)
    if action == START:
        return Actions(step_done=True)  # Marathon starts an app with 0 instances; ScaleApplication follows
    if action == SCALE:
        return scale_actions(app, tasks, now=now, pending=pending, ready=ready)
    if action == RESTART:
        return restart_actions(app, tasks, now=now, pending=pending, ready=ready)
    if action == STOP:
        return stop_actions(tasks, pending=pending)
    raise ValueError(f"unknown deployment action {action!r}")


def restart_actions(
    app: App, tasks: Iterable[Task], *, now: float, pending: int = 0, ready: Collection[str] = ()
) -> Actions:
    """One round of a rolling restart toward ``app``'s version, within the capacity bounds."""
    n = int(app["instances"])
    bounds = capacity_bounds(app)
    live = [t for t in tasks if is_live(app, t, now)]
    working = [t for t in live if not is_killing(t)]
    new = [t for t in working if is_current(app, t)]
    old = [t for t in working if not is_current(app, t)]

    kills: list[Task] = [t for t in by_kill_selection(app, old) if not is_serving_old(t)]
    # A restart that also scales down, or a replaced task that came back, leaves surplus new tasks.
    unqueue = min(pending, max(0, len(new) + pending - n))
    surplus_new = victim_order(app, new, ready)[: max(0, len(new) + pending - unqueue - n)]
    kills += [t for t in surplus_new if not is_serving(app, t, ready)]

    serving_old = [t for t in by_kill_selection(app, old) if is_serving_old(t)]
    serving_new = [t for t in new if is_serving(app, t, ready)]
    budget = len(serving_old) + len(serving_new) - bounds.min_healthy
    for task in serving_old + [t for t in surplus_new if is_serving(app, t, ready)]:
        if budget <= 0:
            break
        kills.append(task)
        budget -= 1

    pending_after = pending - unqueue
    missing_new = n - (len(new) + pending_after)
    room = bounds.max_total - (len(live) + pending_after)
    launch = max(0, min(missing_new, room))
    done = (
        not kills
        and pending == 0
        and len(live) == n
        and all(is_current(app, t) and is_serving(app, t, ready) for t in live)
    )
    return Actions(launch=launch, kill=task_ids(kills), unqueue=unqueue, step_done=done)


def scale_actions(
    app: App, tasks: Iterable[Task], *, now: float, pending: int = 0, ready: Collection[str] = ()
) -> Actions:
    """Launch or kill to reach ``instances`` without replacing anyone (no capacity bounds apply).

    Tasks of an older configuration count as instances here (a scale does not upgrade); surplus tasks
    are killed least useful first (``victim_order``). Done when n tasks serve and nothing is in flight.
    """
    n = int(app["instances"])
    live = [t for t in tasks if is_live(app, t, now)]
    working = [t for t in live if not is_killing(t)]
    unqueue = min(pending, max(0, len(working) + pending - n))
    pending_after = pending - unqueue
    surplus = max(0, len(working) + pending_after - n)
    kills = victim_order(app, working, ready)[:surplus]
    launch = max(0, n - len(working) - pending_after)

    def serves(task: Task) -> bool:
        return is_serving(app, task, ready) if is_current(app, task) else is_serving_old(task)

    done = surplus == 0 and pending == 0 and len(live) == n and all(serves(t) for t in live)
    return Actions(launch=launch, kill=task_ids(kills), unqueue=unqueue, step_done=done)


def stop_actions(tasks: Iterable[Task], *, pending: int = 0) -> Actions:
    """Kill every task of the app and withdraw its queued launches.

    Done once every task is terminal or unreachable: an unreachable task cannot confirm its death, so
    the caller forgets its record with the app (Mesos kills it if it comes back under an unknown app).
    """
    tasks = list(tasks)
    kills = [t for t in tasks if not is_terminal(t) and not is_killing(t)]
    remaining = [t for t in tasks if not is_terminal(t) and t.get("state") != UNREACHABLE]
    return Actions(kill=task_ids(kills), unqueue=pending, step_done=not remaining and pending == 0)
