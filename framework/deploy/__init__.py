"""Deployment planning and instance-lifecycle decisions, as pure functions.

The rule of this package: **no I/O and no clock reads**. Every function takes plain data (normalized app
dicts in Marathon's AppDefinition shape, task records in Marathon's task shape, deployment plan dicts)
and the current time ``now`` (float seconds since the epoch) as inputs, and returns a result: a plan
dict or a frozen dataclass of actions. Nothing here imports pymesos, kazoo, Flask or the store, reads
``time.time()``, logs, or mutates its arguments. The scheduler loop applies the results (launches,
kills, store writes) and calls again: the functions are level-triggered, so calling them twice with the
same inputs gives the same answer, and a new leader can resume from stored state alone.

Modules:

* ``versions``  -- is a save a new configuration or only a scaling; Marathon's version stamps.
* ``plan``      -- diff original/target definitions into a Marathon-shaped deployment plan.
* ``progress``  -- what to do with the running plans on this tick: step moves, advance, fail, roll back.
* ``rolling``   -- what one step (start, scale, restart, stop) should launch and kill next.
* ``health``    -- which failing tasks to kill for health, rate-limited per app.
* ``deadline``  -- Balalaika's progress deadline and automatic rollback (app labels).
* ``instances`` -- steady-state convergence without a deployment (replacements, unreachable tasks).
* ``taskstate`` -- the shared vocabulary: task states (the one set of terminal ones), which task counts,
  serves, or is the next victim.

Task records passed in are expected to reflect kills already asked for: when the caller asks Mesos to
kill a task it records ``state: TASK_KILLING`` for it, so a later call does not count it again.
"""

from framework.deploy.rolling import Actions, capacity_bounds, next_actions

__all__ = ["Actions", "capacity_bounds", "next_actions"]
