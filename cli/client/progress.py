"""One deployment's progress, counted from the polls of its apps: new instances started and healthy, old
ones drained and stopped, and why launches wait. Pure: the JSON of GET /v2/apps/<id> (with its tasks) and
/v2/queue in, counts and text out; `Tracker` keeps what it saw between polls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cli.client import render

Json = Mapping[str, Any]

PROGRESS_COLUMNS = ("APP", "STARTED", "HEALTHY", "OLD RUNNING", "DRAINING", "STOPPED", "FAILED")
KILLING = "TASK_KILLING"
RUNNING = "TASK_RUNNING"
STARTING = ("TASK_STAGING", "TASK_STARTING")


@dataclass(frozen=True)
class AppProgress:
    """One app's progress toward its target. New tasks run the current configuration (version at or
    after the app's lastConfigChangeAt); old ones an earlier one."""

    app_id: str
    target: int | None  # None: the app is gone (deleted)
    started: int = 0  # new tasks running
    starting: int = 0  # new tasks staging or starting
    healthy: int = 0  # new tasks running and healthy
    checked: bool = False  # the app has health checks
    old: int = 0  # old tasks still running
    draining: int = 0  # tasks being killed (TASK_KILLING: drained first when the app asks for it)
    stopped: int = 0  # tasks seen while following that are gone: old ones, killed ones, a scale-down's
    failed: int = 0  # new tasks seen while following that are gone otherwise (died, or killed as unhealthy)
    health_cause: str | None = None  # the last health check failure of a new task
    waiting: str | None = None  # why launches wait, from /v2/queue (offers, or a backoff delay)

    @property
    def settled(self) -> bool:
        """At its target: as many new tasks running (and healthy, with checks) as wanted, no old or
        draining one left."""
        if self.target is None:
            return True
        return (self.started == self.target and self.old == 0 and self.draining == 0
                and (not self.checked or self.healthy == self.target))


def is_healthy(task: Json) -> bool:
    results = task.get("healthCheckResults") or []
    return bool(results) and all(result.get("alive") for result in results)


def is_new(task: Json, app: Json) -> bool:
    """The task runs the app's current configuration (Marathon's timestamps compare as text)."""
    changed = (app.get("versionInfo") or {}).get("lastConfigChangeAt") or app.get("version") or ""
    return str(task.get("version") or "") >= changed


@dataclass
class Tracker:
    """Counts one app's tasks across polls. No I/O: `observe` takes GET /v2/apps/<id>'s `app` (None once
    the app is gone).

    A task that vanished between two polls is counted once, by what it was when last seen: an old task, or
    one being killed while healthy (or of unknown health), stopped; a new task beyond what the app now
    wants (a scale-down) stopped too; any other new task failed (it died, or was killed for failing its
    health check)."""

    app_id: str
    seen: dict[str, str] = field(default_factory=dict)  # task id -> "new", "old", "killing" or "unhealthy"
    active: int = 0  # new tasks running or starting at the last poll
    stopped: int = 0
    failed: int = 0
    health_cause: str | None = None

    def observe(self, app: Json | None, queue_entry: Json | None = None) -> AppProgress:
        """The app's progress now; `queue_entry` is its /v2/queue entry, when it has one."""
        tasks = (app or {}).get("tasks") or []
        target = None if app is None else int(app.get("instances") or 0)
        self._count_gone({task["id"] for task in tasks}, target or 0)
        if app is None:
            return AppProgress(self.app_id, None, stopped=self.stopped, failed=self.failed,
                               health_cause=self.health_cause)
        counts = {"started": 0, "starting": 0, "healthy": 0, "old": 0, "draining": 0}
        for task in tasks:
            kind = self._kind(task, app)
            self.seen[task["id"]] = kind
            state = task.get("state")
            if state == KILLING:
                counts["draining"] += 1
            elif kind == "old":
                counts["old"] += state in (RUNNING, *STARTING)
            elif state == RUNNING:
                counts["started"] += 1
                counts["healthy"] += is_healthy(task)
            elif state in STARTING:
                counts["starting"] += 1
        self.active = counts["started"] + counts["starting"]
        return AppProgress(self.app_id, target, checked=bool(app.get("healthChecks")), stopped=self.stopped,
                           failed=self.failed, health_cause=self.health_cause, waiting=waiting(queue_entry),
                           **counts)

    def _kind(self, task: Json, app: Json) -> str:
        if not is_new(task, app):
            return "old"
        results = task.get("healthCheckResults") or []
        failing = [r for r in results if not r.get("alive")]
        for result in failing:
            self.health_cause = str(result.get("lastFailureCause") or "health check failed")
        if failing:
            return "unhealthy"
        return "killing" if task.get("state") == KILLING else "new"

    def _count_gone(self, present: set[str], target: int) -> None:
        gone = [kind for task_id, kind in self.seen.items() if task_id not in present]
        self.seen = {task_id: kind for task_id, kind in self.seen.items() if task_id in present}
        new = gone.count("new")
        surplus = min(new, max(0, self.active - target))
        self.stopped += gone.count("old") + gone.count("killing") + surplus
        self.failed += gone.count("unhealthy") + new - surplus


def waiting(queue_entry: Json | None) -> str | None:
    """`Waiting for offers (InsufficientCpus x3)`, `Delayed 12s (backoff after failures)`, or None."""
    if not queue_entry:
        return None
    offers = render.unused_offers(queue_entry.get("processedOffersSummary"))
    return render.queue_status(queue_entry) + (f" ({offers})" if offers != render.NONE else "")


def progress_table(progress: Sequence[AppProgress]) -> Any:
    """The live view's table; a WAITING column only while some app waits in /v2/queue."""
    queued = any(p.waiting for p in progress)
    columns = PROGRESS_COLUMNS + (("WAITING",) if queued else ())
    rows = [progress_row(p) + ((p.waiting or render.NONE,) if queued else ()) for p in progress]
    return render.table(columns, rows)


def progress_row(progress: AppProgress) -> tuple[str, ...]:
    if progress.target is None:
        return (progress.app_id, "removed", render.NONE, render.NONE, str(progress.draining), str(progress.stopped),
                str(progress.failed))
    started = f"{progress.started}/{progress.target}" + (f" (+{progress.starting} starting)"
                                                          if progress.starting else "")
    healthy = f"{progress.healthy}/{progress.target}" if progress.checked else render.NONE
    return (progress.app_id, started, healthy, str(progress.old), str(progress.draining), str(progress.stopped),
            str(progress.failed))


def progress_text(progress: AppProgress) -> str:
    """One line for logs and pipes: `/web: 2/2 started, 1/2 healthy; 1 old running, 1 draining, 1 stopped`."""
    if progress.target is None:
        parts = ["removed"]
    else:
        parts = [f"{progress.started}/{progress.target} started"]
        if progress.starting:
            parts.append(f"{progress.starting} starting")
        if progress.checked:
            parts.append(f"{progress.healthy}/{progress.target} healthy")
    going = [f"{count} {what}" for count, what in ((progress.old, "old running"), (progress.draining, "draining"),
                                                   (progress.stopped, "stopped"), (progress.failed, "failed")) if count]
    text = f"{progress.app_id}: " + ", ".join(parts) + (f"; {', '.join(going)}" if going else "")
    return text + (f"; {progress.waiting}" if progress.waiting else "")


def step_text(plan: Json | None, listed_before: bool = True) -> str:
    """The plan's current step and its actions; without the plan, whether it is still to show or ended."""
    if plan is None:
        return "finishing" if listed_before else "waiting for the scheduler"
    return f"step {plan.get('currentStep', 0)}/{plan.get('totalSteps', 0)}: " + render.actions_text(
        plan.get("currentActions") or [])
