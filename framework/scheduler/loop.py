"""The leader's loop: the only thread that mutates scheduler state.

Mesos callbacks, store watches and readiness probes only put events on `events`; `run` drains them,
applies timers (reconciliation, launch timeouts, backoff), decides with the pure functions of
framework.deploy and framework.scheduler.launching, and then does the I/O: store writes first, Mesos calls
after. `Scheduler` composes the components that own the rest of the state, each in its own module:

* `KnownTasks` (known_tasks): the task records, their decision views and their writes;
* `TaskKiller` (kills): the kills sent and the drains under way; every kill goes through it;
* `LaunchQueue` (launch_queue): the launches waiting for offers, backoffs, /v2/queue;
* `DeploymentExecutor` (deployment_executor): plans carried out, readiness, health kills;
* `EventLog` (event_log) and `TaskFailures` (failures): what the leader records for the api (the event
  log also trims `events/` to the newest events, from the tick).

The Scheduler itself keeps the Mesos connection, the framework id, reconciliation and offer interest.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from framework.deploy.instances import reconcile_instances
from framework.deploy.taskstate import KILLING, STAGING, STARTING, is_terminal_state
from framework.executors import ExecutorSettings
from framework.mesos import events as mesos
from framework.scheduler import events as marathon_events
from framework.scheduler import records
from framework.scheduler.deployment_executor import DeploymentExecutor
from framework.scheduler.event_log import EventLog
from framework.scheduler.failures import TaskFailures
from framework.scheduler.health_checks import WatchedHealthChecks
from framework.scheduler.kills import TaskKiller
from framework.scheduler.known_tasks import KnownTasks
from framework.scheduler.launch_queue import LaunchQueue
from framework.scheduler.launching import agent_attributes, placements, plan_launches
from framework.scheduler.metrics import SchedulerMetrics
from framework.scheduler.readiness import ReadinessProber, ReadinessResult
from framework.scheduler.reconciliation import Reconciliation
from framework.scheduler.settled import SWEEP_SECONDS, SettledApps
from framework.store import Store
from framework.timeutil import format_ts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerConfig:
    name: str = "balalaika"
    role: str = "*"
    user: str = "root"
    hostname: str = "127.0.0.1"
    failover_timeout: float = 7 * 24 * 3600.0
    launch_timeout: float = 300.0
    kill_retry: float = 10.0
    reconcile_timeout: float = 15.0  # per batch, since its latest answer (framework.scheduler.reconciliation)
    reconcile_interval: float = 600.0
    decline_seconds: float = 120.0
    pending_refuse_seconds: float = 5.0
    tick_interval: float = 0.5
    change_spacing: float = 0.05  # the least time between two ticks made early by a change of desired state
    webui_url: str = ""
    executors: ExecutorSettings = ExecutorSettings()


@dataclass(frozen=True)
class StoreChanged:
    """The mirror saw a change in desired state: apps, deployments or requests; `app_id` names the app whose
    definition changed (None for any other change)."""

    app_id: str | None = None


@dataclass(frozen=True)
class Wake:
    """Nothing to do but look at `keep_running` now (a stop asked from another thread)."""


def framework_info(config: SchedulerConfig, framework_id: str | None) -> dict:
    info = {
        "user": config.user, "name": config.name, "role": config.role, "hostname": config.hostname,
        "failover_timeout": config.failover_timeout, "checkpoint": True,
        "capabilities": [{"type": "PARTITION_AWARE"}, {"type": "TASK_KILLING_STATE"}],
    }
    if config.webui_url:
        info["webui_url"] = config.webui_url
    if framework_id:
        info["id"] = {"value": framework_id}
    return info


class Scheduler:
    """Runs while this process leads; `run` returns when `keep_running()` turns False."""

    def __init__(self, store: Store, mirror: Any, connect: Callable[[dict, Callable[[object], None]], Any],
                 config: SchedulerConfig, clock: Callable[[], float] = time.time,
                 metrics: SchedulerMetrics | None = None) -> None:
        self.store = store
        self.mirror = mirror
        self.connect = connect
        self.config = config
        self.clock = clock
        self.metrics = metrics or SchedulerMetrics()  # counted here and by the deployment executor
        self.events: queue.Queue = queue.Queue()
        self.desired_changed = False  # the mirror reported a change of apps, plans or failures
        self.changed_apps: set[str] = set()  # apps whose definition changed since the last tick
        self.act_on_all = False  # the next tick looks at every app at once (reconciliation just ended)
        self.connection: Any = None
        self.framework_id: str | None = None
        self.agents: dict[str, dict[str, str]] = {}  # agent id -> attributes, learnt from offers
        self.reconciliation = Reconciliation()
        self.offers_wanted = True  # a new subscription is not suppressed
        self.last_reconcile = 0.0
        self.registered = False  # the current connection subscribed once (a later SUBSCRIBED re-registers)
        self.event_log = EventLog(store.events)
        self.health_checks = WatchedHealthChecks()
        self.failures = TaskFailures(store.failures)
        self.tasks = KnownTasks(store.tasks)
        self.settled = SettledApps()  # apps a full tick need not converge again
        self.next_sweep = 0.0  # when a full tick next converges every app, settled or not
        self.launches = LaunchQueue(store.queue)
        self.killer = TaskKiller(self.tasks, lambda: self.mirror.snapshot().apps, self.event_log.record,
                                 lambda task_id: self.connection.kill(task_id), config.kill_retry)
        self.deployments = DeploymentExecutor(store.deployments, store.apps, self.tasks, self.launches,
                                              kill=self.killer.kill, record_event=self.event_log.record,
                                              prober=ReadinessProber(self.events.put), metrics=self.metrics)

    # --- lifecycle -------------------------------------------------------------------------------

    def run(self, keep_running: Callable[[], bool]) -> None:
        self.framework_id = self.store.get_framework_id()
        for record in self.store.tasks.all():
            self.tasks.remember(record)
            if record["state"] == KILLING:
                self.killer.resume(record, self.clock())
        log.info("leading with framework id %s and %d known tasks", self.framework_id, len(self.tasks))
        self.mirror.subscribe(lambda change: self.events.put(StoreChanged(change.id if change.kind == "app" else None)))
        self._open_connection()
        next_tick, last_tick = 0.0, -self.config.change_spacing
        try:
            while keep_running():
                # a new app or plan is acted on now, by a tick of the changed apps only, not at the next tick
                # (which looks at every app); under a stream of writes such ticks are spaced a little, each
                # taking all the changes seen since the one before
                due = min(next_tick, last_tick + self.config.change_spacing) if self.desired_changed else next_tick
                self._drain(timeout=max(0.0, min(self.config.tick_interval, due - self.clock())))
                self._flush()
                now = self.clock()
                full = self.act_on_all or now >= next_tick
                if full or (self.desired_changed and now >= last_tick + self.config.change_spacing):
                    self.desired_changed = self.act_on_all = False
                    self.tick(now, full=full)
                    self._flush()
                    last_tick = now
                    if full:
                        next_tick = self.clock() + self.config.tick_interval
        finally:
            self.event_log.flush()
            self.deployments.stop()
            if self.connection is not None:
                self.connection.stop(teardown=False)

    def _open_connection(self) -> None:
        if self.connection is not None:
            self.connection.stop(teardown=False)
        self.reconciliation = Reconciliation()
        self.registered = False
        self.connection = self.connect(framework_info(self.config, self.framework_id), self.events.put)
        self.connection.start()

    def wake(self) -> None:
        """Makes `run` check `keep_running` at once instead of after its current wait (up to a tick)."""
        self.events.put(Wake())

    def _drain(self, timeout: float) -> None:
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            return
        for _ in range(10_000):
            self.handle(event)
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return

    def _flush(self) -> None:
        """Writes the task records the batch changed, acknowledging their updates once written, and the
        batch's events; nothing waits for these writes."""
        self.tasks.flush(self.connection)
        self.event_log.flush()

    # --- events ----------------------------------------------------------------------------------

    def handle(self, event: object) -> None:
        now = self.clock()
        match event:
            case StoreChanged(app_id=app_id):
                self._act_soon(app_id)
            case mesos.Subscribed(framework_id=framework_id, master=master):
                self._record_registration(framework_id, master, now)
                self._on_subscribed(framework_id, now)
            case mesos.Offers(offers=offers):
                self._on_offers(list(offers), now)
            case mesos.StatusUpdate():
                self._on_status(event, now)
            case ReadinessResult():
                self.deployments.on_readiness(event)
            case mesos.MesosError(message=message):
                log.error("Mesos error: %s", message)
                if "removed" in message:  # torn down or timed out: only a new framework id can subscribe
                    self.framework_id = None
                    self._open_connection()
            case mesos.DriverAborted(error=error):
                log.error("Mesos driver aborted (%s); reconnecting", error)
                self._open_connection()
            case mesos.Disconnected():
                log.warning("disconnected from the Mesos master")
                self.event_log.record(marathon_events.scheduler_disconnected(), now)
            case mesos.AgentLost(agent_id=agent_id):
                log.warning("agent %s lost", agent_id)
            case mesos.ExecutorLost(executor_id=executor_id, agent_id=agent_id):
                log.warning("executor %s on agent %s lost", executor_id, agent_id)
            case _:
                pass

    def _act_soon(self, app_id: str | None) -> None:
        """An early tick looks at `app_id` (and the plans): its definition changed, or a task of it changed
        state or health (to replace it, or kill it for its health, now rather than at the next full tick)."""
        self.desired_changed = True
        if app_id is not None:
            self.changed_apps.add(app_id)

    def _record_registration(self, framework_id: str, master: str, now: float) -> None:
        """Marathon's driver says `registered` for a connection's first subscription, `reregistered` after."""
        if self.registered:
            self.event_log.record(marathon_events.scheduler_reregistered(master), now)
        else:
            self.event_log.record(marathon_events.scheduler_registered(framework_id, master), now)
        self.registered = True

    def _on_subscribed(self, framework_id: str, now: float) -> None:
        if framework_id != self.framework_id:
            self.framework_id = framework_id
            self.store.set_framework_id(framework_id)
        log.info("subscribed as framework %s; reconciling %d tasks", framework_id, len(self.tasks))
        self.offers_wanted = True
        known = [record["id"] for record in self.tasks.records() if not is_terminal_state(record["state"])]
        self.reconciliation = Reconciliation.asking(known, self.config.reconcile_timeout)
        self._reconcile_step(now)

    def _reconcile_step(self, now: float) -> None:
        """Unless the current batch is still being answered: its unanswered tasks are lost, the next batch is
        asked about, or, after the last, reconciliation is done (framework.scheduler.reconciliation)."""
        reconciliation = self.reconciliation
        if reconciliation.waiting(now):
            return
        for task_id in reconciliation.give_up():
            log.warning("task %s unanswered by reconciliation: considered lost", task_id)
            self._end_task(task_id, {"state": "TASK_LOST", "message": "unanswered by reconciliation"}, now)
        batch = reconciliation.next_batch(now)
        if batch:
            self.connection.reconcile(batch)
        else:
            self._finish_reconciliation(now)

    def _finish_reconciliation(self, now: float) -> None:
        self.reconciliation.done = True
        self.last_reconcile = now
        self.connection.reconcile([])  # implicit: tells us of tasks we do not know, which we then kill
        self.act_on_all = True  # launch and kill what reconciliation showed is missing now, not at a tick
        log.info("reconciliation done")

    def _on_status(self, update: mesos.StatusUpdate, now: float) -> None:
        self.metrics.status_update(update.state)
        self._apply_status(update, now)
        if self.reconciliation.in_progress() and not self.reconciliation.awaiting:
            self._reconcile_step(now)  # the batch's last answer: the next batch, or act now, not at the next tick

    def _apply_status(self, update: mesos.StatusUpdate, now: float) -> None:
        status = update.status
        task_id = update.task_id
        self.reconciliation.answered(task_id, now)
        record = self.tasks.get(task_id)
        if record is None:
            if not is_terminal_state(update.state):
                log.warning("killing unknown task %s (%s)", task_id, update.state)
                self.connection.kill(task_id)
            self._ack_now(update)
            return
        if is_terminal_state(update.state):
            self._end_task(task_id, status, now, ack=update)
            return
        updated = records.apply_status(record, status, now=now, kill_requested=self.killer.requested(task_id))
        self._record_health(record, updated, status, now)
        if updated["state"] != record["state"] or updated.get("healthy") != record.get("healthy"):
            self._act_soon(record["appId"])
        if not records.changes_anything(record, updated):  # typically a reconciliation answer: nothing to store
            self._ack_now(update)
            return
        self.tasks.update(updated, ack=update)
        if updated.get("healthy") is False:
            self._kill_if_failing(record["appId"], now)
        if updated["state"] != record["state"]:
            self.event_log.record(records.status_update_event(updated, status, format_ts(now)), now)
            self.event_log.record(marathon_events.instance_changed(updated, updated["state"]), now)

    def _kill_if_failing(self, app_id: str, now: float) -> None:
        """A task past its app's health-check failure limit is killed (and replaced) as soon as Mesos says so:
        an executor running Mesos health checks kills such a task itself right after reporting it, and the
        kill should be ours, with Marathon's unhealthy_task_kill_event, not an unexplained TASK_KILLED."""
        app = self.mirror.snapshot().apps.get(app_id)
        if app is not None:
            self.deployments.kill_unhealthy({app_id: app}, now)

    def _record_health(self, record: Mapping[str, Any], updated: Mapping[str, Any], status: Mapping[str, Any],
                       now: float) -> None:
        """Every update reporting the check failed is a failed_health_check_event (Marathon sends one per
        failed run); a change of health is both health_status_changed_event and instance_health_changed_event."""
        if "healthy" in status and not status["healthy"]:
            app = self.mirror.snapshot().apps.get(record["appId"]) or {}
            if app.get("healthChecks"):
                self.event_log.record(marathon_events.failed_health_check(updated, app["healthChecks"][0]), now)
        if updated.get("healthy") != record.get("healthy") and updated.get("healthy") is not None:
            self.event_log.record(marathon_events.health_status_changed(updated, updated["healthy"]), now)
            self.event_log.record(marathon_events.instance_health_changed(updated, updated["healthy"]), now)

    def _end_task(self, task_id: str, status: Mapping[str, Any], now: float,
                  ack: mesos.StatusUpdate | None = None) -> None:
        record = self.tasks.get(task_id)
        requested = self.killer.forget(task_id)
        app_id = record["appId"]
        log.info("task %s of %s ended: %s %s", task_id, app_id, status["state"], status.get("message") or "")
        app = self.mirror.snapshot().apps.get(app_id)
        if (not requested and status["state"] != "TASK_KILLED" and app is not None
                and app.get("version") == record.get("version")):
            self.launches.failed(app, now)
        if app is not None and records.is_failure_state(status["state"]):
            self.failures.record(records.task_failure(record, status, now=now))
        self.tasks.end(task_id, ack=ack)
        self.event_log.record(records.status_update_event(record, status, format_ts(now)), now)
        self.event_log.record(marathon_events.instance_changed(record, status["state"]), now)
        if not requested:
            self._act_soon(app_id)  # it ended on its own: its replacement is launched now

    def _ack_now(self, update: mesos.StatusUpdate) -> None:
        if update.needs_ack:
            self.connection.acknowledge(update.status)

    # --- offers ----------------------------------------------------------------------------------

    def _on_offers(self, offers: list[dict], now: float) -> None:
        log.debug("%d offers", len(offers))
        self.agents.update(agent_attributes(offers))
        offer_ids = [offer["id"]["value"] for offer in offers]
        demands = self.launches.demands(self.mirror.snapshot().apps, now)
        if not self.reconciliation.done or not demands:
            self.connection.decline(offer_ids, self.config.decline_seconds)
            self.metrics.offers(len(offers), declined=len(offers), used=0)
            self.offers_wanted = False  # the long filters must be lifted by a REVIVE once demand appears
            return
        current = placements(self.tasks.records(), self.agents)
        batch = plan_launches(demands, offers, current, now=now, framework_id=self.framework_id,
                              executors=self.config.executors)
        self.launches.record_reasons(batch.reasons)
        written = self.tasks.write_new(batch.records)
        used = launched = 0
        for offer_id, task_infos in batch.task_infos_by_offer.items():
            ready = [info for info in task_infos if info["task_id"]["value"] in written]
            if ready:
                self.connection.accept(offer_id, ready, self.config.pending_refuse_seconds)
                used, launched = used + 1, launched + len(ready)
            else:
                self.connection.decline([offer_id], self.config.pending_refuse_seconds)
        self.launches.launched(batch.launched)
        self.metrics.offers(len(offers), declined=len(offers) - used, used=used)
        self.metrics.launched(launched)
        if batch.unused_offer_ids:
            self.connection.decline(batch.unused_offer_ids, self.config.pending_refuse_seconds)

    # --- timers and decisions --------------------------------------------------------------------

    def tick(self, now: float, full: bool = True) -> None:
        """Advances the plans and converges apps to their instances. A full tick (every tick_interval) looks at
        every app not settled or touched since the last (framework.scheduler.settled; at a sweep, at every app)
        and runs the timers (drains, overdue launches, health-check bookkeeping, reconciliation); an early one
        only at the apps whose definition changed since the last tick, so that its cost follows the writes,
        not the number of apps."""
        self.event_log.trim(now)  # ZooKeeper only, so also while Mesos is away; never waits
        if self.connection is None or not self.connection.connected:
            return
        if not self.reconciliation.done:
            if self.reconciliation.in_progress():
                self._reconcile_step(now)
            return
        self._take_requests(now)
        snapshot = self.mirror.snapshot()
        steps = self.deployments.advance(snapshot, now)
        self.settled.forget(steps)  # governed apps are looked at again once a plan lets them go
        changed, self.changed_apps = self.changed_apps, set()
        for app_id in self._to_converge(snapshot.apps, changed, now) if full else changed:
            if app_id not in steps and (app := snapshot.apps.get(app_id)) is not None:
                self._converge(app, now)
        gone = (self.tasks.app_ids() - snapshot.apps.keys() if full
                else {app_id for app_id in changed if app_id not in snapshot.apps})
        for app_id in gone - set(steps):
            self._stop_orphans(app_id, now)
        if full:
            self.settled.keep_only(snapshot.apps)
            self._run_timers(snapshot, now)
        self._update_offer_interest()
        self.launches.publish(snapshot.apps, now)

    def _to_converge(self, apps: Mapping[str, Any], changed: set[str], now: float) -> Iterable[str]:
        """The apps a full tick converges: every one at a sweep, else those unsettled or touched since the last."""
        touched = self.tasks.take_touched() | self.launches.take_touched()
        if now >= self.next_sweep:
            self.next_sweep = now + SWEEP_SECONDS
            return apps
        return self.settled.unsettled(apps) | touched | changed

    def _run_timers(self, snapshot: Any, now: float) -> None:
        self.failures.forget_stale(snapshot, now)
        apps = snapshot.apps  # only an app with tasks has any to kill
        self.deployments.kill_unhealthy({app_id: apps[app_id] for app_id in self.tasks.app_ids() if app_id in apps},
                                        now)
        running = {(view["appId"], str(view.get("version"))) for view in self.tasks.views()}
        for event in self.health_checks.update(snapshot.apps, running):
            self.event_log.record(event, now)
        self.deployments.forget_ended_tasks()
        self._kill_overdue_launches(now)
        self.killer.end_drains(now)
        self.killer.retry(now)
        if now - self.last_reconcile >= self.config.reconcile_interval:
            self.last_reconcile = now
            self.connection.reconcile([])

    def _converge(self, app: Mapping[str, Any], now: float) -> None:
        app_id = app["id"]
        revision, queued = self.tasks.revision_of(app_id), self.launches.counts.get(app_id, 0)
        if self.settled.unchanged(app, revision, queued):
            return
        views = self.tasks.views_of(app_id)
        actions = reconcile_instances(app, views, now=now, pending=queued)
        self.settled.note(app, revision, queued, actions, views)
        count = self.launches.adjust(app_id, launch=actions.launch, unqueue=actions.unqueue)
        if actions.launch or actions.unqueue:
            log.info("app %s: %d launches queued (%+d)", app_id, count, actions.launch - actions.unqueue)
        for task_id in actions.kill:
            self.killer.kill(task_id, now)
        for task_id in actions.expunge:
            # forgotten, not killed: if an expunged task comes back, its update names a task we do not
            # know, and unknown tasks are killed on sight (_on_status)
            if task_id in self.tasks:
                self._end_task(task_id, {"state": "TASK_GONE", "message": "expunged"}, now)

    def _stop_orphans(self, app_id: str, now: float) -> None:
        """Tasks of an app that no longer exists (deleted outside a deployment) are killed."""
        self.launches.drop(app_id)
        for view in self.tasks.views_of(app_id):
            self.killer.kill(view["id"], now)

    def _kill_overdue_launches(self, now: float) -> None:
        for view in list(self.tasks.views()):
            if view["state"] in (STAGING, STARTING) and now - view["stagedAt"] > self.config.launch_timeout:
                log.warning("task %s did not start within %.0fs", view["id"], self.config.launch_timeout)
                self.killer.kill(view["id"], now)

    def _take_requests(self, now: float) -> None:
        for path, request in self.store.requests.take():
            kind = request.get("type")
            if kind == "kill":
                for task_id in request.get("taskIds", []):
                    self.killer.kill(task_id, now)
            elif kind == "reset-delay":
                self.launches.reset_delay(request.get("appId"))
            self.store.requests.done(path)

    def _update_offer_interest(self) -> None:
        """REVIVE when launches become pending (it also lifts the long decline filters), SUPPRESS when none are."""
        wanted = self.launches.wanted()
        if wanted and not self.offers_wanted:
            self.connection.revive()
        elif not wanted and self.offers_wanted:
            self.connection.suppress()
        self.offers_wanted = wanted
