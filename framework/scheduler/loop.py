"""The leader's loop: the only code that mutates scheduler state.

Mesos callbacks and store watches only put events on `events`; `run` drains them, applies timers
(reconciliation, launch timeouts, backoff), decides with the pure functions of framework.deploy and
framework.scheduler.launching, and then does the I/O: store writes first, Mesos calls after.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import queue
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from framework.backoff import Backoff
from framework.deploy.instances import reconcile_instances
from framework.deploy.taskstate import is_terminal_state
from framework.matching.match import Demand
from framework.mesos import events as mesos
from framework.scheduler import records
from framework.scheduler.deploying import DeploymentsMixin
from framework.scheduler.launching import agent_attributes, placements, plan_launches
from framework.scheduler.readiness import ReadinessProber, ReadinessResult
from framework.timeutil import format_ts

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 15.0
FAILURE_DELETE_RETRY = 5.0  # seconds before deleting a stale failure again if the mirror still shows it


@dataclass(frozen=True)
class SchedulerConfig:
    name: str = "balalaika"
    role: str = "*"
    user: str = "root"
    hostname: str = "127.0.0.1"
    failover_timeout: float = 7 * 24 * 3600.0
    launch_timeout: float = 300.0
    kill_retry: float = 10.0
    reconcile_timeout: float = 15.0
    reconcile_interval: float = 600.0
    decline_seconds: float = 120.0
    pending_refuse_seconds: float = 5.0
    tick_interval: float = 0.5
    webui_url: str = ""


@dataclass(frozen=True)
class StoreChanged:
    """The mirror saw a change in desired state: apps, deployments or requests."""


@dataclass
class _Reconciliation:
    awaiting: set[str] = field(default_factory=set)
    deadline: float = 0.0
    done: bool = False


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


def _acknowledge_when_written(connection: Any, statuses: list[dict], result: Any) -> None:
    """Completion of a task record's write (on kazoo's thread): acknowledges the updates it persisted."""
    try:
        result.get()
    except Exception as error:
        log.error("could not persist task %s: %s", statuses[0]["task_id"]["value"], error)
        return
    for status in statuses:
        connection.acknowledge(status)


class Scheduler(DeploymentsMixin):
    """Runs while this process leads; `run` returns when `keep_running()` turns False.

    Deployments, readiness and health kills live in framework.scheduler.deploying (same thread)."""

    def __init__(self, store: Any, mirror: Any, connect: Callable[[dict, Callable[[object], None]], Any],
                 config: SchedulerConfig, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.mirror = mirror
        self.connect = connect
        self.config = config
        self.clock = clock
        self.events: queue.Queue = queue.Queue()
        self.desired_changed = False  # the mirror reported a change of apps, plans or failures
        self.connection: Any = None
        self.framework_id: str | None = None
        self.tasks: dict[str, dict] = {}
        self.views: dict[str, dict] = {}
        self.pending: dict[str, int] = {}
        self.backoffs: dict[str, tuple[str | None, Backoff]] = {}  # app id -> (app version, backoff)
        self.kill_sent: dict[str, float] = {}  # task id -> when its kill was (last) sent to Mesos
        self.draining: dict[str, float] = {}  # task id -> when its drain ends and the kill is sent
        self.agents: dict[str, dict[str, str]] = {}
        self.queue_entries: dict[str, dict] = {}
        self.reconciliation = _Reconciliation()
        self.offers_wanted = True  # a new subscription is not suppressed
        self.last_reconcile = 0.0
        self.acks: list[dict] = []  # statuses to acknowledge at the next flush (their record is deleted)
        self.unwritten: dict[str, list[dict]] = {}  # task id -> statuses to acknowledge once it is written
        self.writing: dict[str, Any] = {}  # task id -> future of its record's write, possibly still in flight
        self.unsent_events: list[dict] = []  # appended by _event, written by _flush_events
        self.failures_deleted: dict[str, float] = {}  # app id -> when its stale failure was deleted
        self._init_deployments(ReadinessProber(self.events.put))

    # --- lifecycle -------------------------------------------------------------------------------

    def run(self, keep_running: Callable[[], bool]) -> None:
        self.framework_id = self.store.get_framework_id()
        for record in self.store.list_tasks():
            self._remember(record)
            if record["state"] == records.KILLING:
                self._resume_kill(record, self.clock())
        log.info("leading with framework id %s and %d known tasks", self.framework_id, len(self.tasks))
        self.mirror.subscribe(lambda *change: self.events.put(StoreChanged()))
        self._open_connection()
        next_tick = 0.0
        try:
            while keep_running():
                self._drain(timeout=max(0.0, min(self.config.tick_interval, next_tick - self.clock())))
                self._flush_acks()
                if self.desired_changed or self.clock() >= next_tick:
                    self.desired_changed = False  # act on a new app or plan now, not at the next tick
                    self.tick(self.clock())
                    self._flush_acks()
                    next_tick = self.clock() + self.config.tick_interval
        finally:
            self._flush_events()
            self.prober.stop()
            if self.connection is not None:
                self.connection.stop(teardown=False)

    def _resume_kill(self, record: dict, now: float) -> None:
        """A predecessor asked for this kill: the drain it started goes on until its end; otherwise the
        kill is asked again (at once, through the retry timer), since it may never have reached Mesos."""
        until = records.drain_deadline(record)
        if until is not None and until > now:
            log.info("task %s of %s drains until %s", record["id"], record["appId"], record["drainUntil"])
            self.draining[record["id"]] = until
        else:
            self.kill_sent[record["id"]] = 0.0

    def _open_connection(self) -> None:
        if self.connection is not None:
            self.connection.stop(teardown=False)
        self.reconciliation = _Reconciliation()
        self.connection = self.connect(framework_info(self.config, self.framework_id), self.events.put)
        self.connection.start()

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

    # --- events ----------------------------------------------------------------------------------

    def handle(self, event: object) -> None:
        now = self.clock()
        match event:
            case StoreChanged():
                self.desired_changed = True
            case mesos.Subscribed(framework_id=framework_id):
                self._on_subscribed(framework_id, now)
            case mesos.Offers(offers=offers):
                self._on_offers(list(offers), now)
            case mesos.StatusUpdate():
                self._on_status(event, now)
            case ReadinessResult():
                self._on_readiness(event)
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
            case mesos.AgentLost(agent_id=agent_id):
                log.warning("agent %s lost", agent_id)
            case mesos.ExecutorLost(executor_id=executor_id, agent_id=agent_id):
                log.warning("executor %s on agent %s lost", executor_id, agent_id)
            case _:
                pass

    def _on_subscribed(self, framework_id: str, now: float) -> None:
        if framework_id != self.framework_id:
            self.framework_id = framework_id
            self.store.set_framework_id(framework_id)
        log.info("subscribed as framework %s; reconciling %d tasks", framework_id, len(self.tasks))
        self.offers_wanted = True
        known = [task_id for task_id, task in self.tasks.items() if not is_terminal_state(task["state"])]
        self.reconciliation = _Reconciliation(set(known), now + self.config.reconcile_timeout)
        if known:
            self.connection.reconcile(known)
        else:
            self._finish_reconciliation(now)

    def _finish_reconciliation(self, now: float) -> None:
        for task_id in sorted(self.reconciliation.awaiting):
            log.warning("task %s unanswered by reconciliation: considered lost", task_id)
            self._end_task(task_id, {"state": "TASK_LOST", "message": "unanswered by reconciliation"}, now)
        self.reconciliation.awaiting.clear()
        self.reconciliation.done = True
        self.last_reconcile = now
        self.connection.reconcile([])  # implicit: tells us of tasks we do not know, which we then kill
        log.info("reconciliation done")

    def _on_status(self, update: mesos.StatusUpdate, now: float) -> None:
        status = update.status
        task_id = update.task_id
        self.reconciliation.awaiting.discard(task_id)
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
        updated = records.apply_status(record, status, now=now, kill_requested=self._kill_requested(task_id))
        if updated.get("healthy") != record.get("healthy") and updated.get("healthy") is not None:
            self._event({"eventType": "health_status_changed_event", "appId": record["appId"],
                         "taskId": task_id, "instanceId": task_id, "version": record.get("version"),
                         "alive": updated["healthy"]}, now)
        self._remember(updated)
        self._persist(updated, ack=update)
        if updated["state"] != record["state"]:
            self._event(records.status_update_event(updated, status, format_ts(now)), now)

    def _end_task(self, task_id: str, status: Mapping[str, Any], now: float,
                  ack: mesos.StatusUpdate | None = None) -> None:
        record = self.tasks.pop(task_id)
        self.views.pop(task_id, None)
        drained = self.draining.pop(task_id, None) is not None  # ended by itself while draining
        requested = self.kill_sent.pop(task_id, None) is not None or drained
        app_id = record["appId"]
        log.info("task %s of %s ended: %s %s", task_id, app_id, status["state"], status.get("message") or "")
        app = self.mirror.snapshot().apps.get(app_id)
        if (not requested and status["state"] != "TASK_KILLED" and app is not None
                and app.get("version") == record.get("version")):
            self.backoffs[app_id] = (app.get("version"), self._backoff(app).on_failure(app, now))
        if app is not None and records.is_failure_state(status["state"]):
            self._record_failure(records.task_failure(record, status, now=now))
        self._settle([task_id])
        self.store.delete_task(app_id, task_id)
        self.acks += self.unwritten.pop(task_id, [])
        if ack is not None:
            self.acks.append(ack.status)
        self._event(records.status_update_event(record, status, format_ts(now)), now)

    def _record_failure(self, failure: dict) -> None:
        """Stores the app's lastTaskFailure without waiting (a crash loop must not pace the loop)."""

        def written(result: Any) -> None:
            try:
                result.get()
            except Exception as error:
                log.warning("could not record the last task failure of %s: %s", failure["appId"], error)

        try:
            self.store.put_failure(failure).rawlink(written)
        except Exception as error:
            log.warning("could not record the last task failure of %s: %s", failure["appId"], error)

    def _forget_failures(self, snapshot: Any, now: float) -> None:
        """Removes the last task failures of apps that no longer exist. The store's app deletion removes
        them already; this catches a failure written while its app was being deleted."""
        stale = set(snapshot.failures) - set(snapshot.apps)
        self.failures_deleted = {app_id: at for app_id, at in self.failures_deleted.items() if app_id in stale}
        for app_id in stale:
            if now - self.failures_deleted.get(app_id, -math.inf) >= FAILURE_DELETE_RETRY:
                self.failures_deleted[app_id] = now  # until the mirror shows the deletion
                self.store.delete_failure(app_id)

    def _remember(self, record: dict) -> None:
        self.tasks[record["id"]] = record
        self.views[record["id"]] = records.decision_view(record)

    def _persist(self, record: dict, ack: mesos.StatusUpdate | None = None) -> None:
        """Marks the task's record for writing at the end of the drain: one batch of transactions for all
        the updates handled, instead of one round trip each (which paced a 1,000-task launch)."""
        statuses = self.unwritten.setdefault(record["id"], [])
        if ack is not None and ack.needs_ack:
            statuses.append(ack.status)

    def _ack_now(self, update: mesos.StatusUpdate) -> None:
        if update.needs_ack:
            self.connection.acknowledge(update.status)

    def _flush_acks(self) -> None:
        """Writes the records marked by `_persist` (their latest state) and the events of the batch, and
        acknowledges each update once its record is in ZooKeeper (else Mesos resends it).

        The loop does not wait for the writes: the acknowledgements go from the writes' completion (kazoo's
        thread), so the loop handles the next updates meanwhile; waiting here paced a 1,000-task launch."""
        unwritten, self.unwritten = self.unwritten, {}
        task_ids = [task_id for task_id in unwritten if task_id in self.tasks]
        self.writing = {task_id: future for task_id, future in self.writing.items() if not future.ready()}
        self._settle(task_ids)
        futures = self.store.put_tasks([self.tasks[task_id] for task_id in task_ids]) if task_ids else []
        self._flush_events()  # in flight together with the task writes; nothing waits for them
        connection = self.connection
        for task_id, future in zip(task_ids, futures, strict=True):
            self.writing[task_id] = future
            if unwritten[task_id]:
                future.rawlink(functools.partial(_acknowledge_when_written, connection, unwritten[task_id]))
        acks, self.acks = self.acks, []
        for status in acks:
            if "uuid" in status and "agent_id" in status:
                connection.acknowledge(status)

    def _settle(self, task_ids: Iterable[str]) -> None:
        """Waits for writes of these tasks still in flight (rarely any: a task's next update comes only once
        the previous one is acknowledged), so that a task's writes never overlap: a batch that fails falls
        back to record-by-record writes, which must not land after a newer write of the same record."""
        for task_id in task_ids:
            future = self.writing.pop(task_id, None)
            if future is not None:
                with contextlib.suppress(Exception):  # its failure is reported by its own callback
                    future.get(timeout=WRITE_TIMEOUT)

    def _event(self, event: dict, now: float) -> None:
        """Queues an event; `_flush_events` writes the queue at the end of the batch, in order."""
        event.setdefault("timestamp", format_ts(now))
        self.unsent_events.append(event)

    def _flush_events(self) -> None:
        """Appends the queued events in a few transactions instead of one create each (which paced a
        1,000-task launch: two events per task). Best-effort, as the event stream is: failures are logged."""
        events, self.unsent_events = self.unsent_events, []
        if not events:
            return

        def written(result: Any) -> None:
            try:
                failed = [outcome for outcome in result.get() if isinstance(outcome, Exception)]
            except Exception as error:
                failed = [error]
            if failed:
                log.warning("could not record events: %s", failed[0])

        try:
            futures = self.store.append_events(events)
        except Exception:  # one too large for a node: nothing was sent, so send them one by one
            futures = []
            for event in events:
                try:
                    self.store.append_event(event)
                except Exception as error:
                    log.warning("could not record event %s: %s", event.get("eventType"), error)
        for future in futures:
            future.rawlink(written)

    # --- offers ----------------------------------------------------------------------------------

    def _on_offers(self, offers: list[dict], now: float) -> None:
        log.debug("%d offers", len(offers))
        self.agents.update(agent_attributes(offers))
        offer_ids = [offer["id"]["value"] for offer in offers]
        apps = self.mirror.snapshot().apps
        demands = [Demand(apps[app_id], count) for app_id, count in self.pending.items()
                   if count > 0 and app_id in apps and self._backoff(apps[app_id]).ready(now)]
        if not self.reconciliation.done or not demands:
            self.connection.decline(offer_ids, self.config.decline_seconds)
            self.offers_wanted = False  # the long filters must be lifted by a REVIVE once demand appears
            return
        current = placements(self.tasks.values(), self.agents)
        batch = plan_launches(demands, offers, current, now=now, framework_id=self.framework_id)
        self._record_reasons(batch.reasons)
        written = self._write_before_launch(batch.records)
        for offer_id, task_infos in batch.task_infos_by_offer.items():
            ready = [info for info in task_infos if info["task_id"]["value"] in written]
            if ready:
                self.connection.accept(offer_id, ready, self.config.pending_refuse_seconds)
            else:
                self.connection.decline([offer_id], self.config.pending_refuse_seconds)
        for app_id, count in batch.launched.items():
            self.pending[app_id] = max(0, self.pending.get(app_id, 0) - count)
        if batch.unused_offer_ids:
            self.connection.decline(batch.unused_offer_ids, self.config.pending_refuse_seconds)

    def _write_before_launch(self, new_records: list[dict]) -> set[str]:
        """Persists the records of tasks about to launch; returns the ids that made it."""
        written = set()
        futures = self.store.put_tasks(new_records, new=True)
        for record, future in zip(new_records, futures, strict=True):
            try:
                future.get(timeout=WRITE_TIMEOUT)
            except Exception as error:
                log.error("not launching %s: its record could not be written (%s)", record["id"], error)
                continue
            written.add(record["id"])
            self._remember(record)
            log.info("launching task %s of %s on %s", record["id"], record["appId"], record["host"])
        return written

    def _backoff(self, app: Mapping[str, Any]) -> Backoff:
        """The app's backoff; a new version starts without one (its predecessor's failures say nothing)."""
        version, backoff = self.backoffs.get(app["id"], (None, Backoff()))
        return backoff if version == app.get("version") else Backoff()

    def _record_reasons(self, reasons: Mapping[str, Any]) -> None:
        for app_id, counter in reasons.items():
            entry = self.queue_entries.get(app_id)
            if entry is not None:
                entry["processedOffersSummary"] = {str(reason): count for reason, count in counter.items()}

    # --- timers and decisions --------------------------------------------------------------------

    def tick(self, now: float) -> None:
        if self.connection is None or not self.connection.connected:
            return
        if not self.reconciliation.done:
            if not self.reconciliation.awaiting or now >= self.reconciliation.deadline:
                self._finish_reconciliation(now)
            return
        self._take_requests(now)
        snapshot = self.mirror.snapshot()
        steps = self._advance_deployments(snapshot, now)
        for app_id, app in snapshot.apps.items():
            if app_id not in steps:
                self._converge(app, now)
        for app_id in {t["appId"] for t in self.tasks.values()} - set(snapshot.apps) - set(steps):
            self._stop_orphans(app_id, now)
        self._forget_failures(snapshot, now)
        self._kill_unhealthy(snapshot.apps, now)
        self._forget_readiness()
        self._kill_overdue_launches(now)
        self._end_drains(now)
        self._retry_kills(now)
        self._update_offer_interest()
        self._publish_queue(snapshot.apps, now)
        if now - self.last_reconcile >= self.config.reconcile_interval:
            self.last_reconcile = now
            self.connection.reconcile([])

    def _app_views(self, app_id: str) -> list[dict]:
        return [view for view in self.views.values() if view["appId"] == app_id]

    def _converge(self, app: Mapping[str, Any], now: float) -> None:
        app_id = app["id"]
        actions = reconcile_instances(app, self._app_views(app_id), now=now, pending=self.pending.get(app_id, 0))
        self.pending[app_id] = self.pending.get(app_id, 0) - actions.unqueue + actions.launch
        if actions.launch or actions.unqueue:
            log.info("app %s: %d launches queued (%+d)", app_id, self.pending[app_id], actions.launch - actions.unqueue)
        for task_id in actions.kill:
            self.kill(task_id, now)
        for task_id in actions.expunge:
            # forgotten, not killed: if an expunged task comes back, its update names a task we do not
            # know, and unknown tasks are killed on sight (_on_status)
            if task_id in self.tasks:
                self._end_task(task_id, {"state": "TASK_GONE", "message": "expunged"}, now)

    def _stop_orphans(self, app_id: str, now: float) -> None:
        """Tasks of an app that no longer exists (deleted outside a deployment) are killed."""
        self.pending.pop(app_id, None)
        for view in self._app_views(app_id):
            if view["id"] not in self.kill_sent:
                self.kill(view["id"], now)

    def kill(self, task_id: str, now: float) -> None:
        """The one way every kill goes (scale-down, deployments, API requests, health, overdue launches,
        orphans). A task an edge may be routing to drains first (ARCHITECTURE.md "Drain before kill"):
        it turns TASK_KILLING at once, so it no longer counts and its replacement may start, and the kill
        reaches Mesos at the end of its app's drain time (`_end_drains`). Idempotent."""
        record = self.tasks.get(task_id)
        if record is None or self._kill_requested(task_id):
            return
        seconds = records.drain_time(record, self.mirror.snapshot().apps.get(record["appId"]))
        if seconds > 0:
            self._start_drain(record, now + seconds, now)
            return
        log.info("killing task %s of %s", task_id, record["appId"])
        self._write_now(records.killing(record, now=now))
        self._send_kill(task_id, now)

    def _kill_requested(self, task_id: str) -> bool:
        """True once kill() took the task: its kill was sent, or it drains toward it."""
        return task_id in self.kill_sent or task_id in self.draining

    def _start_drain(self, record: dict, until: float, now: float) -> None:
        """Marks the task draining: TASK_KILLING with `drainUntil`, written and announced at once (the
        edges act on Marathon's status_update_event; a new event type would break Marathon clients)."""
        self.draining[record["id"]] = until
        updated = records.draining(record, now=now, until=until)
        log.info("task %s of %s drains until %s", record["id"], record["appId"], updated["drainUntil"])
        self._write_now(updated)
        status = {"state": records.KILLING, "message": updated["message"]}
        self._event(records.status_update_event(updated, status, format_ts(now)), now)

    def _end_drains(self, now: float) -> None:
        """Sends the kills of the drains that are over; the records stay TASK_KILLING as written."""
        for task_id, until in list(self.draining.items()):
            if task_id not in self.tasks:
                del self.draining[task_id]
            elif now >= until:
                del self.draining[task_id]
                log.info("task %s drained: killing it", task_id)
                self._send_kill(task_id, now)

    def _send_kill(self, task_id: str, now: float) -> None:
        self.kill_sent[task_id] = now  # `_retry_kills` asks again until Mesos reports the end
        self.connection.kill(task_id)

    def _write_now(self, record: dict) -> None:
        """Writes the record at once rather than in the end-of-batch flush (which writes the records that
        status updates changed), after any earlier write of it, so that the two never overlap."""
        self._remember(record)
        self._settle([record["id"]])
        self.writing[record["id"]] = self.store.put_tasks([record])[0]

    def _retry_kills(self, now: float) -> None:
        for task_id, sent in list(self.kill_sent.items()):
            if task_id not in self.tasks:
                self.kill_sent.pop(task_id)
            elif now - sent >= self.config.kill_retry:
                self.kill_sent[task_id] = now
                self.connection.kill(task_id)

    def _kill_overdue_launches(self, now: float) -> None:
        for task_id, view in list(self.views.items()):
            starting = view["state"] in ("TASK_STAGING", "TASK_STARTING")
            if starting and now - view["stagedAt"] > self.config.launch_timeout:
                log.warning("task %s did not start within %.0fs", task_id, self.config.launch_timeout)
                self.kill(task_id, now)

    def _take_requests(self, now: float) -> None:
        for path, request in self.store.take_requests():
            kind = request.get("type")
            if kind == "kill":
                for task_id in request.get("taskIds", []):
                    self.kill(task_id, now)
            elif kind == "reset-delay":
                self.backoffs.pop(request.get("appId"), None)
            self.store.done_request(path)

    def _update_offer_interest(self) -> None:
        """REVIVE when launches become pending (it also lifts the long decline filters), SUPPRESS when none are."""
        wanted = any(count > 0 for count in self.pending.values())
        if wanted and not self.offers_wanted:
            self.connection.revive()
        elif not wanted and self.offers_wanted:
            self.connection.suppress()
        self.offers_wanted = wanted

    def _publish_queue(self, apps: Mapping[str, Any], now: float) -> None:
        """Writes /v2/queue's view (pending count and backoff delay) when it changes."""
        for app_id, count in list(self.pending.items()):
            if count <= 0 or app_id not in apps:
                self.pending.pop(app_id, None)
                if self.queue_entries.pop(app_id, None) is not None:
                    self.store.delete_queue_entry(app_id)
                continue
            left = self._backoff(apps[app_id]).remaining(now)
            entry = {"count": count, "delay": {"timeLeftSeconds": round(left), "overdue": left <= 0}}
            previous = self.queue_entries.get(app_id)
            if previous is None or previous["count"] != count or previous["delay"] != entry["delay"]:
                entry["since"] = (previous or {}).get("since") or format_ts(now)
                entry["processedOffersSummary"] = (previous or {}).get("processedOffersSummary", {})
                self.queue_entries[app_id] = entry
                self.store.put_queue_entry(app_id, entry)
