"""The deployment executor: carries out framework.deploy.progress's decisions on the leader's loop thread.

What it does per tick (`advance`):

* announces each plan step it starts acting on (``deployment_info``), runs the step's launches and
  kills, and advances the plan in ZooKeeper with a compare-and-set (``deployment_step_success``; at
  the end the node is deleted and ``deployment_success`` recorded);
* fails a plan past its deadline (``deployment_step_failure`` + ``deployment_failed`` with ``reason``)
  and, when asked, rolls it back in one transaction (``AppStore.commit``): the original definitions go
  back into ``apps/``, the apps the plan created are removed, the rollback plan (``rollbackOf``,
  ``failureReason``) is created and the failed plan deleted. A failed plan found beside its rollback
  (``superseded``: left by a leader that wrote them apart) is deleted;
* a plan that disappears without us finishing it was cancelled (``DELETE /v2/deployments/<id>`` with
  force, or replaced by a forced deployment): we just stop acting on it and record
  ``deployment_failed`` with reason ``cancelled``;
* the apps of a plan that just ended other than by success stay *held* (no steady-state convergence)
  for `HOLD_SECONDS` or until another plan governs them: the rollback plan, or the plan a forced
  deployment wrote in the same transaction, may reach the mirror a moment after the old plan's
  removal, and convergence in between would trim the surplus of a half-done restart blindly;
* readiness probes (framework.scheduler.readiness) for the new tasks of the apps a step acts on.

It also makes the health-driven kills (framework.deploy.health), rate-limited per app, for every app
(`kill_unhealthy`), with Marathon's ``unhealthy_task_kill_event``/``unhealthy_instance_kill_event``, and records
``app_terminated_event`` when a stop step ends. Events have Marathon's shapes (framework.deploy.events,
framework.scheduler.events) and are at-least-once: a new leader announces the steps of the plans it resumes again.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from framework.deploy import events as plan_events
from framework.deploy.health import KILL_WINDOW_SECONDS, unhealthy_kills
from framework.deploy.plan import advance, current_actions, is_finished
from framework.deploy.progress import ROLLBACK_OF, PlanDecision, decide, failed_plan_rollback, step_definition
from framework.deploy.rolling import STOP
from framework.deploy.taskstate import RUNNING, is_current
from framework.scheduler import events as task_events
from framework.scheduler.known_tasks import KnownTasks
from framework.scheduler.launch_queue import LaunchQueue
from framework.scheduler.metrics import SchedulerMetrics
from framework.scheduler.readiness import ReadinessProber, ReadinessResult, readiness_url
from framework.store import AppChange, AppStore, Conflict, DeploymentStore, NotFound, PlanNode, StoreError
from framework.store.staged import SETTLE_AFTER_SECONDS
from framework.timeutil import parse_ts

log = logging.getLogger(__name__)

HOLD_SECONDS = 5.0
SWEEP_SECONDS = 60.0  # how often the leader looks for what dead staged writes left (framework.store.staged)


class DeploymentExecutor:
    """Owns what the leader remembers about deployments between ticks: the step announced per plan, the
    held apps, the plans it closed, the tasks found ready and their prober, and the recent health kills.
    Used on the loop's thread only (the prober's results come back through the loop's queue).

    Handed: the deployment store (plans), the app store (rollbacks), the known tasks (read), the launch
    queue (its counts are read and the steps' launches queued there), ``kill`` and ``record_event`` (the
    loop's), and the readiness prober (None: no readiness probes)."""

    def __init__(self, plans: DeploymentStore, apps: AppStore, tasks: KnownTasks, launches: LaunchQueue, *,
                 kill: Callable[[str, float], None], record_event: Callable[[dict, float], None],
                 prober: ReadinessProber | None, metrics: SchedulerMetrics | None = None) -> None:
        self._plans = plans
        self._apps = apps
        self._tasks = tasks
        self._launches = launches
        self._kill = kill
        self._record_event = record_event
        self._prober = prober
        self._metrics = metrics or SchedulerMetrics()
        self._announced: dict[str, tuple[int, Mapping[str, Any]]] = {}  # plan id -> (announced step, plan)
        self._held: dict[str, float] = {}  # app id -> until when convergence leaves it alone
        self._closed: set[str] = set()  # plans we finished or failed (a stale mirror may still show them)
        self._ready: set[str] = set()  # task ids whose readiness checks passed
        self._health_kills: dict[str, list[float]] = {}  # app id -> times of recent health kills
        self._swept_at = 0.0

    def stop(self) -> None:
        if self._prober is not None:
            self._prober.stop()

    # --- deployments -----------------------------------------------------------------------------

    def advance(self, snapshot: Any, now: float) -> set[str]:
        """Moves every deployment forward; returns the app ids that steady-state convergence must leave
        alone (every app a running plan affects, not only its current step's, and the held ones)."""
        plans = snapshot.deployments
        self._tidy_store(plans, now)
        self._closed &= set(plans)
        self._notice_cancelled(plans, now)
        self._held = {app_id: until for app_id, until in self._held.items() if now < until}
        decisions = decide(plans, snapshot.apps, self._tasks.views_by_app(), pending=self._launches.counts,
                           ready=self._ready, now=now, skip=self._closed)
        for plan_id in decisions.superseded:
            log.info("deployment %s was rolled back already; removing it", plan_id)
            self._close(plan_id, delete=True)
        for decision in decisions.plans:
            self._announce(decision.plan, now)
            if decision.failure is not None:
                self._fail(decision, now)
                continue
            for move in decision.moves:
                self._launches.adjust(move.app_id, launch=move.actions.launch, unqueue=move.actions.unqueue)
                for task_id in move.actions.kill:
                    self._kill(task_id, now)
            if decision.step_done and not decision.plan.get("applying"):
                # a plan whose writer is still writing its apps moves on once they are written
                self._finish_step(decision.plan, snapshot.plan_nodes.get(decision.plan["id"]), now)
            elif decision.step_done:
                continue
            else:
                self._probe_readiness(decision.plan, snapshot.apps, now)
        for app_id in decisions.governed:
            self._held.pop(app_id, None)
        return set(decisions.governed) | set(self._held)

    def _tidy_store(self, plans: Mapping[str, Any], now: float) -> None:
        """Finishes big writes whose writer died after their commit (plans still `applying` a while after
        their start) and, now and then, sweeps what writers that died before it left."""
        for plan_id, plan in plans.items():
            if plan.get("applying") and now - parse_ts(plan["version"]) > SETTLE_AFTER_SECONDS:
                log.warning("deployment %s: its writer did not finish writing its apps; finishing it", plan_id)
                try:
                    self._apps.settle(plan_id)
                except StoreError as error:
                    log.warning("deployment %s: could not finish writing its apps (%s)", plan_id, error)
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            try:
                swept = self._apps.sweep_staged(now)
            except StoreError as error:
                log.warning("could not sweep staged writes: %s", error)
                return
            if swept:
                log.info("removed the staged nodes of %d writes that never committed", swept)

    def _announce(self, plan: Mapping[str, Any], now: float) -> None:
        if self._announced.get(plan["id"], (None,))[0] == plan["currentStep"]:
            return
        if plan["id"] not in self._announced:
            self._metrics.deployment_started()
        self._announced[plan["id"]] = (plan["currentStep"], plan)
        log.info("deployment %s (%s): step %d of %d %s", plan["id"], plan.get("kind", "deploy"),
                 plan["currentStep"], plan["totalSteps"],
                 ", ".join(f"{a['action']} {a['app']}" for a in current_actions(plan)))
        self._record_event(plan_events.deployment_info(plan), now)

    def _notice_cancelled(self, plans: Mapping[str, Any], now: float) -> None:
        for plan_id in [p for p in self._announced if p not in plans]:
            _, plan = self._announced.pop(plan_id)
            if plan_id in self._closed:
                continue
            self._hold(list(plan["affectedApps"]), now)
            log.info("deployment %s was cancelled; no longer acting on it", plan_id)
            self._metrics.deployment_failed(cancelled=True)
            self._record_event(plan_events.deployment_failed(plan, "cancelled"), now)

    def _hold(self, app_ids: list[str], now: float) -> None:
        for app_id in app_ids:
            self._held[app_id] = now + HOLD_SECONDS

    def _close(self, plan_id: str, *, delete: bool) -> None:
        self._closed.add(plan_id)
        self._announced.pop(plan_id, None)
        if delete:
            with contextlib.suppress(NotFound):
                self._plans.delete(plan_id)

    def _finish_step(self, plan: Mapping[str, Any], node: PlanNode | None, now: float) -> None:
        """Advances the stored plan by one step, or deletes it after its last, with a compare-and-set over the
        head's version the mirror read with `plan` (`node`): nothing is read again. A lost compare-and-set
        means the mirror is behind (our own last advance not read back yet) or the plan was cancelled
        meanwhile: nothing is announced, and the next tick decides on what the mirror shows then."""
        if node is None:
            return
        advanced = advance(plan)
        finished = is_finished(advanced)
        try:
            if finished:
                self._plans.delete(plan["id"], version=node.version, split=node.split)
            else:
                self._plans.put(advanced, expected_version=node.version)
        except (Conflict, NotFound) as error:
            log.debug("deployment %s changed while advancing (%s)", plan["id"], error)
            return
        for action in current_actions(plan):
            if action["action"] == STOP:  # Marathon: once a stopped app's last task is gone
                self._record_event(task_events.app_terminated(action["app"]), now)
        self._record_event(plan_events.deployment_step_success(plan), now)
        if finished:
            self._close(plan["id"], delete=False)
            self._record_event(plan_events.deployment_success(plan), now)
            log.info("deployment %s finished", plan["id"])
            self._metrics.deployment_finished()

    def _fail(self, decision: PlanDecision, now: float) -> None:
        plan, reason = decision.plan, decision.failure
        log.warning("deployment %s failed: %s", plan["id"], reason)
        rollback = None
        if decision.roll_back:
            rollback = failed_plan_rollback(plan, reason, deployment_id=str(uuid.uuid4()), now=now)
            try:
                self._write_rollback(rollback)
            except StoreError as error:
                log.error("could not write the rollback of deployment %s (%s); deciding again next tick",
                          plan["id"], error)
                return
        self._record_event(plan_events.deployment_step_failure(plan), now)
        self._close(plan["id"], delete=rollback is None)  # the rollback's transaction deleted it
        self._metrics.deployment_failed()
        if rollback is not None:
            self._hold(plan["affectedApps"], now)
        self._record_event(plan_events.deployment_failed(plan, reason), now)
        if rollback is not None:
            log.info("deployment %s: rolling back with deployment %s", plan["id"], rollback["id"])

    def _write_rollback(self, rollback: dict) -> None:
        """Rolls the failed plan (``rollbackOf``) back in ONE transaction (`AppStore.commit`): each app goes
        back to its original definition (compare-and-set against the version read here; created again if
        the failed plan had removed it), the apps the failed plan created are deleted, the rollback plan is
        created and the failed plan deleted. Everything is written or nothing: after a failure the failed
        plan is still stored and the next tick decides again (no rollback if it was cancelled meanwhile).

        Raises StoreError: Conflict (an app changed since it was read, as by a forced deployment, or the
        rollback plan's id is taken), NotFound (the failed plan was cancelled), or outcome unknown.
        """
        changes = []
        for app_id in sorted(rollback["affectedApps"]):
            current = self._apps.get(app_id)
            app = rollback["target"].get(app_id)
            if app is not None:
                changes.append(AppChange(app_id, app, current[1] if current else None))
            elif current is not None:
                changes.append(AppChange(app_id, None, current[1]))
        self._apps.commit(changes, deployment=rollback, cancel=[rollback[ROLLBACK_OF]])

    # --- readiness -------------------------------------------------------------------------------

    def _probe_readiness(self, plan: Mapping[str, Any], apps: Mapping[str, Any], now: float) -> None:
        if self._prober is None:
            return
        for action in current_actions(plan):
            app = step_definition(plan, action["app"], apps)
            if not app or not app.get("readinessChecks"):
                continue
            check = app["readinessChecks"][0]
            for view in self._tasks.views_of(app["id"]):
                if view["id"] in self._ready or view["state"] != RUNNING or not is_current(app, view):
                    continue
                if app.get("healthChecks") and view.get("healthy") is not True:
                    continue  # Marathon probes readiness once the task is healthy
                url = readiness_url(app, view)
                if url and self._prober.due(view["id"], float(check.get("intervalSeconds", 30)), now):
                    self._prober.probe(view["id"], url, check, now)

    def on_readiness(self, result: ReadinessResult) -> None:
        """A probe's answer, delivered through the loop's queue."""
        if self._prober is not None:
            self._prober.settled(result)
        if result.ready and result.task_id in self._tasks:
            log.info("task %s is ready", result.task_id)
            self._ready.add(result.task_id)

    def forget_ended_tasks(self) -> None:
        """Drops the readiness of tasks no longer known."""
        known = self._tasks.ids()
        self._ready &= known
        if self._prober is not None:
            self._prober.forget(known)

    # --- health ----------------------------------------------------------------------------------

    def kill_unhealthy(self, apps: Mapping[str, Mapping[str, Any]], now: float) -> None:
        """Kills tasks failing their health checks, at most `kill_limit` per app per window."""
        for app_id, app in apps.items():
            if not app.get("healthChecks"):
                continue
            recent = [t for t in self._health_kills.get(app_id, []) if now - t < KILL_WINDOW_SECONDS]
            views = {view["id"]: view for view in self._tasks.views_of(app_id)}
            for task_id in unhealthy_kills(app, views.values(), now=now, recent_kills=recent):
                log.warning("task %s of %s failed its health checks: killing it", task_id, app_id)
                for event in task_events.unhealthy_kill(views[task_id], task_events.unhealthy_reason(views[task_id])):
                    self._record_event(event, now)
                self._kill(task_id, now)
                recent.append(now)
            if recent:
                self._health_kills[app_id] = recent
            else:
                self._health_kills.pop(app_id, None)
