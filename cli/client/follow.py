"""Following a deployment until it ends: instances started and healthy, old ones drained and stopped.

How the end is known: /v2/events is subscribed to *before* the write (so a quick deployment's end is not
missed), and its `deployment_success` / `deployment_failed` (with the scheduler's `reason`) for the
deployment id decide. Meanwhile /v2/deployments and each affected app (with its tasks) are polled for the
progress shown, and to find the rollback a failed deployment may start (a plan whose `rollbackOf` is ours).
Without events (a stream that broke, or an API that has none) the end is read from the polls: the plan
left /v2/deployments and the apps are at their target, or a rollback of it runs.

The progress counted from the polls is `cli.client.progress`; `decide` (the outcome) is pure too;
`Follower` does the polling and the printing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.live import Live
from rich.text import Text

from cli.client import render
from cli.client.context import Context, Exit
from cli.client.http import Answer, EventStream, Refused, Unreachable
from cli.client.progress import AppProgress, Tracker, progress_table, progress_text, step_text

Json = Mapping[str, Any]

POLL_SECONDS = 0.5
# After the plan left /v2/deployments, how long its outcome event may take before the polls decide.
QUIET_SECONDS = 5.0
# After a deployment_failed event, how long a rollback plan may take to show in /v2/deployments.
ROLLBACK_SECONDS = 2.0
TERMINAL_EVENTS = ("deployment_success", "deployment_failed")
# deployment_info too: a rollback plan is announced by it, and may finish before a poll lists it
FOLLOWED_EVENTS = (*TERMINAL_EVENTS, "deployment_info")


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
        self.rollback_plan: Json | None = None  # announced by a deployment_info after our deployment failed

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
        if self.events is not None:
            for event in self.events.take():
                self.note(event)
        try:
            plans = self.ctx.api.get("/v2/deployments") or []
            self.plan = next((p for p in plans if p.get("id") == self.deployment_id), None)
            rollback = next((p for p in plans if p.get("rollbackOf") == self.deployment_id), self.rollback_plan)
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

    def note(self, event: Json) -> None:
        """Keeps the deployment's terminal event and, once it failed, the plan of the next deployment_info on
        its apps: the rollback the scheduler starts at once (a rollback of a new app is one quick step that
        can come and go between two polls of /v2/deployments)."""
        kind = event.get("eventType")
        if self.event is None:
            if kind in TERMINAL_EVENTS and event.get("id") == self.deployment_id:
                self.event = event
            return
        plan = event.get("plan") or {}
        if (kind == "deployment_info" and self.event.get("eventType") == "deployment_failed"
                and self.rollback_plan is None and plan.get("id") != self.deployment_id
                and set(self.app_ids) & {action.get("app") for step in plan.get("steps") or []
                                         for action in step.get("actions") or []}):
            self.rollback_plan = plan

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
    with ctx.api.events(FOLLOWED_EVENTS) as events:
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
