"""Following a deployment until it ends: instances started and healthy, old ones drained and stopped.

How the end is known: /v2/events is subscribed to *before* the write (so a quick deployment's end is not
missed), and its `deployment_success` / `deployment_failed` (with the scheduler's `reason`) for the
deployment id decide. Meanwhile /v2/deployments and each affected app (with its tasks) are polled for the
progress shown, and to find the rollback a failed deployment may start (a plan whose `rollbackOf` is ours).
Without events (a stream that broke, or an API that has none) the end is read from the polls: the plan
left /v2/deployments and the apps are at their target, or a rollback of it runs.

`Tracker`, `progress_row`, `progress_text` and `decide` are pure; `Follower` does the polling and the
printing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.live import Live
from rich.text import Text

from cli.client import render
from cli.client.context import Context, Exit
from cli.client.http import Answer, EventStream, Refused, Unreachable

Json = Mapping[str, Any]

POLL_SECONDS = 0.5
# After the plan left /v2/deployments, how long its outcome event may take before the polls decide.
QUIET_SECONDS = 5.0
# After a deployment_failed event, how long a rollback plan may take to show in /v2/deployments.
ROLLBACK_SECONDS = 2.0
TERMINAL_EVENTS = ("deployment_success", "deployment_failed")
PROGRESS_COLUMNS = ("APP", "STARTED", "HEALTHY", "OLD RUNNING", "DRAINING", "STOPPED", "FAILED")
KILLING = "TASK_KILLING"
RUNNING = "TASK_RUNNING"
STARTING = ("TASK_STAGING", "TASK_STARTING")


# --- pure: progress ----------------------------------------------------------------------------------

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


# --- pure: the outcome -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    code: Exit
    headline: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Observation:
    """What the follower knows after a poll."""

    deployment_id: str
    elapsed: float  # seconds since the write
    event: Json | None  # the deployment's terminal event, if it came
    listed: bool  # the plan is in /v2/deployments
    ever_listed: bool
    gone_for: float  # seconds since the plan was last listed (or since the write, if never)
    stream_alive: bool
    rollback: Json | None  # a plan with rollbackOf == deployment_id
    progress: Sequence[AppProgress]
    failures: Sequence[str] = ()  # lastTaskFailure lines of the affected apps since the deployment began


def decide(seen: Observation) -> Outcome | None:
    """The outcome, or None while the deployment goes on (or its end is not known yet)."""
    event = seen.event
    if event is not None and event.get("eventType") == "deployment_success":
        return Outcome(Exit.OK, f"Deployment {seen.deployment_id} finished in {render.seconds(seen.elapsed)}.",
                       tuple(progress_text(p) for p in seen.progress))
    if event is not None:
        reason = str(event.get("reason") or "no reason given")
        if reason == "cancelled":
            return Outcome(Exit.FAILED, f"Deployment {seen.deployment_id} was cancelled "
                                        "(by `balalaika deployment cancel` or a forced deployment).",
                           tuple(progress_text(p) for p in seen.progress))
        if seen.rollback is None and seen.gone_for < ROLLBACK_SECONDS:
            return None  # a rollback may be on its way
        return failed(seen, reason)
    if seen.listed:
        return None
    if seen.rollback is not None:
        return failed(seen, str(seen.rollback.get("failureReason") or "no reason given"))
    if seen.stream_alive and seen.gone_for < QUIET_SECONDS:
        return None
    if all(p.settled for p in seen.progress):
        how = "finished" if seen.ever_listed else "had nothing to change"
        return Outcome(Exit.OK, f"Deployment {seen.deployment_id} {how} ({render.seconds(seen.elapsed)}).",
                       tuple(progress_text(p) for p in seen.progress))
    return Outcome(Exit.FAILED, f"Deployment {seen.deployment_id} ended without reaching its target "
                                "(its outcome event never came).",
                   (*(progress_text(p) for p in seen.progress), *seen.failures))


def failed(seen: Observation, reason: str) -> Outcome:
    """A failed deployment: the reason, the rollback the scheduler started, and what hints at why (a
    failing health check, the apps' last task failures)."""
    details = [progress_text(p) for p in seen.progress]
    if seen.rollback is not None:
        steps = [action for step in seen.rollback.get("steps") or [] for action in step.get("actions") or []]
        details.insert(0, f"Rolled back by deployment {seen.rollback['id']}: {render.actions_text(steps)} "
                          "(back to the definitions from before).")
    details += [f"{p.app_id}: last health check failure: {p.health_cause}" for p in seen.progress if p.health_cause]
    details += list(seen.failures)
    # The scheduler's reasons name the deployment again ("deployment <id> did not finish ...").
    reason = reason.removeprefix(f"deployment {seen.deployment_id} ")
    return Outcome(Exit.FAILED, f"Deployment {seen.deployment_id} failed: {reason}", tuple(details))


def timed_out(deployment_id: str, elapsed: float, plan: Json | None, seen: Observation | None) -> Outcome:
    """--timeout passed: where the deployment stands, what may hold it up, and how to go on."""
    progress = seen.progress if seen else ()
    return Outcome(Exit.TIMEOUT, f"Deployment {deployment_id} still running after {render.duration(elapsed)} "
                                 f"({step_text(plan)}); it goes on.",
                   (*(progress_text(p) for p in progress),
                    *(f"{p.app_id}: last health check failure: {p.health_cause}" for p in progress if p.health_cause),
                    *(seen.failures if seen else ()),
                    "Watch it with `balalaika deployment list`; stop it with "
                    f"`balalaika deployment cancel {deployment_id}` (add --rollback to undo it)."))


def recent_failures(apps: Mapping[str, Json | None], since: str | None, now: float) -> list[str]:
    """The affected apps' lastTaskFailure at or after `since` (a Marathon timestamp), one line each."""
    lines = []
    for app_id, app in apps.items():
        failure = (app or {}).get("lastTaskFailure")
        if failure and (since is None or str(failure.get("timestamp") or "") >= since):
            lines.append(f"{app_id}: last task failure: {render.failure_text(failure, now)}")
    return lines


# --- the loop ------------------------------------------------------------------------------------------

class Follower:
    """Follows the deployment a write starts: `prime` looks at the apps before the write (so that the
    tasks it stops are counted), `follow` polls until `decide` has an outcome or `timeout` (seconds, None:
    no limit) passes, showing progress live on a terminal, else a line whenever it changes."""

    def __init__(self, ctx: Context, app_ids: Iterable[str], events: EventStream | None, *,
                 timeout: float | None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ctx, self.events, self.timeout, self.sleep = ctx, events, timeout, sleep
        self.app_ids = list(app_ids)
        self.trackers = {app_id: Tracker(app_id) for app_id in self.app_ids}
        self.deployment_id = ""
        self.since: str | None = None
        self.started = self.last_listed = time.monotonic()
        self.ever_listed = False
        self.event: Json | None = None
        self.plan: Json | None = None
        self.trouble: str | None = None  # the last polling error, shown until a poll works again

    def prime(self) -> None:
        """The apps' tasks before the write (an app that does not exist yet has none)."""
        for app_id, tracker in self.trackers.items():
            with contextlib.suppress(Unreachable, Refused):
                tracker.observe(self.app(app_id))

    def follow(self, deployment_id: str, app_ids: Iterable[str], since: str | None) -> int:
        """Follows `deployment_id` (of `app_ids` at least) to its end; returns the exit code. `since` is the
        server's timestamp of the write (the answer's version), to tell this deployment's task failures
        from older ones."""
        self.deployment_id, self.since = deployment_id, since
        self.app_ids = list(dict.fromkeys([*self.app_ids, *app_ids]))
        self.started = self.last_listed = time.monotonic()
        console = self.ctx.human
        live = Live(console=console, auto_refresh=False, transient=False) if console.is_terminal else None
        printed: list[str] = []
        try:
            if live is not None:
                live.start()
            while True:
                observation = self.poll()
                elapsed = time.monotonic() - self.started
                outcome = decide(observation) if observation else None
                if outcome is None and self.timeout is not None and elapsed >= self.timeout:
                    outcome = timed_out(self.deployment_id, elapsed, self.plan, observation)
                self.show(live, printed, observation)
                if outcome is not None:
                    break
                self.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            outcome = Outcome(Exit.INTERRUPTED, f"Stopped following; deployment {self.deployment_id} goes on.")
        finally:
            if live is not None:
                live.stop()
        self.conclude(outcome)
        return outcome.code

    def poll(self) -> Observation | None:
        """One look at the deployment and its apps; None when the API did not answer (tried again). Events
        are taken first, so that the apps read after an outcome event show where the deployment ended."""
        if self.events is not None and self.event is None:
            self.event = next((e for e in self.events.take() if e.get("eventType") in TERMINAL_EVENTS
                               and e.get("id") == self.deployment_id), None)
        try:
            plans = self.ctx.api.get("/v2/deployments") or []
            self.plan = next((p for p in plans if p.get("id") == self.deployment_id), None)
            rollback = next((p for p in plans if p.get("rollbackOf") == self.deployment_id), None)
            if self.plan is not None:
                self.ever_listed = True
                self.last_listed = time.monotonic()
                self.app_ids = list(dict.fromkeys([*self.app_ids, *self.plan.get("affectedApps", [])]))
            apps = {app_id: self.app(app_id) for app_id in self.app_ids}
            queue = render.queue_by_app(self.ctx.api.get("/v2/queue"))
        except Unreachable as error:
            self.trouble = str(error)
            return None
        self.trouble = None
        progress = [self.trackers.setdefault(app_id, Tracker(app_id)).observe(app, queue.get(app_id))
                    for app_id, app in apps.items()]
        now = time.monotonic()
        return Observation(self.deployment_id, now - self.started, self.event, self.plan is not None,
                           self.ever_listed, now - self.last_listed, bool(self.events and self.events.alive),
                           rollback, progress, recent_failures(apps, self.since, self.ctx.now()))

    def app(self, app_id: str) -> Json | None:
        """The app with its tasks and last failure; None once it is gone."""
        try:
            return self.ctx.api.get(f"/v2/apps{app_id}", embed=["app.tasks", "app.lastTaskFailure"])["app"]
        except Refused as error:
            if error.status == 404:
                return None
            raise

    def show(self, live: Live | None, printed: list[str], seen: Observation | None) -> None:
        """The progress: redrawn on a terminal, else one line whenever it changes."""
        step = step_text(self.plan, self.ever_listed)
        if seen is None:  # the API did not answer this time
            lines = [f"{self.trouble}; trying again"]
        else:
            lines = [step] + [progress_text(p) for p in seen.progress]
        if live is not None:
            elapsed = render.duration(time.monotonic() - self.started)
            parts: list[Any] = [Text(f"Deployment {self.deployment_id}: {step} ({elapsed})", style="bold")]
            if seen is not None:
                parts.append(progress_table(seen.progress))
                parts += [Text(line, style="red") for line in seen.failures]
            if self.trouble:
                parts.append(Text(lines[0], style="yellow"))
            live.update(Group(*parts), refresh=True)
            return
        if lines != printed:
            self.ctx.say("  " + " | ".join(lines))
            printed[:] = lines

    def conclude(self, outcome: Outcome) -> None:
        style = {Exit.OK: "bold green", Exit.TIMEOUT: "bold yellow", Exit.INTERRUPTED: "yellow"}
        self.ctx.say(outcome.headline, style=style.get(outcome.code, "bold red"))
        for line in outcome.details:
            self.ctx.say(f"  {line}")


# --- a write that starts a deployment ------------------------------------------------------------------

def deployment_id_of(answer: Answer) -> str | None:
    """The deployment a write started: `deploymentId` (PUT, DELETE, restart), the header, or the created
    app's `deployments` (POST /v2/apps)."""
    body = answer.body if isinstance(answer.body, Mapping) else {}
    found = body.get("deploymentId") or answer.headers.get("Marathon-Deployment-Id")
    if not found and body.get("deployments"):
        found = body["deployments"][0].get("id")
    return found or None


def write_and_follow(ctx: Context, args: Any, write: Callable[[], Answer], app_ids: Iterable[str],
                     what: str) -> int:
    """Sends `write` and follows the deployment it starts (unless --detach). The event stream is attached
    first, so that even a deployment ending at once is seen ending. `what` says what the write does
    (`deploying /web`); `app_ids` are the apps it changes, when known before the answer."""
    if args.detach:
        _started(ctx, write(), what, detached=True)
        return Exit.OK
    timeout = args.timeout if args.timeout and args.timeout > 0 else None
    with ctx.api.events(TERMINAL_EVENTS) as events:
        follower = Follower(ctx, app_ids, events if events.alive else None, timeout=timeout)
        follower.prime()
        answer = write()
        if _started(ctx, answer, what, detached=False):
            return Exit.OK
        body = answer.body if isinstance(answer.body, Mapping) else {}
        created = [body["id"]] if isinstance(body.get("id"), str) else []
        return follower.follow(str(deployment_id_of(answer)), created, body.get("version"))


def _started(ctx: Context, answer: Answer, what: str, *, detached: bool) -> bool:
    """Prints what the write started (the answer itself with --json); True when there is nothing to follow."""
    if ctx.json:
        ctx.emit_json(answer.body)
    deployment_id = deployment_id_of(answer)
    if deployment_id is None:
        ctx.say(f"Done: {what} (no deployment needed).")
        return True
    if detached:
        ctx.say(f"Deployment {deployment_id} started: {what}. Follow it with `balalaika deployment list`.")
        return True
    ctx.say(f"Deployment {deployment_id} started: {what}.")
    return False
