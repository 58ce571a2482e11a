"""Steady-state convergence of one app's instances, when no deployment is running for it.

``reconcile_instances`` keeps exactly ``instances`` tasks alive:

* an ended (terminal) task no longer counts and its record is forgotten (``expunge``); its replacement
  is part of ``launch`` (the launch queue applies the backoff);
* a task being killed (TASK_KILLING) no longer counts: its replacement is launched at once;
* an unreachable task counts until ``unreachableStrategy.inactiveAfterSeconds``, then a replacement is
  launched; after ``expungeAfterSeconds`` its record is forgotten. With the strategy ``"disabled"`` an
  unreachable task counts forever;
* queued launches without a task record yet (``pending``) count, so a replacement is not asked twice;
* too many counted tasks -- a scale-down, or a replaced task coming back -- are killed least useful
  first (``taskstate.victim_order``: a task that returned after its replacement leads, provided the
  caller keeps ``unreachableSince`` on a record when the task comes back), killSelection breaking ties;
  surplus queued launches are withdrawn (``unqueue``) before anyone is killed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from framework.deploy.taskstate import (
    App,
    Task,
    is_expired,
    is_inactive,
    is_killing,
    is_terminal,
    task_ids,
    victim_order,
)


@dataclass(frozen=True)
class InstanceActions:
    """``launch``: tasks to queue; ``kill``/``expunge``: task ids; ``unqueue``: queued launches to drop."""

    launch: int = 0
    kill: tuple[str, ...] = ()
    expunge: tuple[str, ...] = ()
    unqueue: int = 0


def reconcile_instances(app: App, tasks: Iterable[Task], *, now: float, pending: int = 0) -> InstanceActions:
    """What to launch, kill and forget so that ``app`` runs exactly ``instances`` tasks."""
    tasks = list(tasks)
    n = int(app["instances"])
    expunge = [t for t in tasks if is_terminal(t) or is_expired(app, t, now)]
    counted = [
        t for t in tasks if not is_terminal(t) and not is_killing(t) and not is_inactive(app, t, now)
    ]
    unqueue = min(pending, max(0, len(counted) + pending - n))
    pending -= unqueue
    surplus = max(0, len(counted) + pending - n)
    return InstanceActions(
        launch=max(0, n - len(counted) - pending),
        kill=task_ids(victim_order(app, counted)[:surplus]) if surplus else (),
        expunge=task_ids(expunge),
        unqueue=unqueue,
    )
