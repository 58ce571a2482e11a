"""The deployment half of the leader's loop: applies framework.deploy.progress's decisions.

Mixed into `framework.scheduler.loop.Scheduler` and run on its thread only. What it does per tick:

* announces each plan step it starts acting on (``deployment_info``), runs the step's launches and
  kills, and advances the plan in ZooKeeper with a compare-and-set (``deployment_step_success``; at
  the end the node is deleted and ``deployment_success`` recorded);
* fails a plan past its deadline (``deployment_step_failure`` + ``deployment_failed`` with ``reason``)
  and, when asked, writes the rollback: the original definitions go back into ``apps/`` and the
  rollback plan (``rollbackOf``, ``failureReason``) is created with the last of those writes; then the
  failed plan is deleted. A leader dying in between leaves the failed plan beside its rollback, and
  the next tick deletes it (``superseded``);
* a plan that disappears without us finishing it was cancelled (``DELETE /v2/deployments/<id>`` with
  force, or replaced by a forced deployment): we just stop acting on it and record
  ``deployment_failed`` with reason ``cancelled``;
* the apps of a plan that just ended other than by success stay *held* (no steady-state convergence)
  for `HOLD_SECONDS` or until another plan governs them: the rollback plan, or the plan a forced
  deployment wrote in the same transaction, may reach the mirror a moment after the old plan's
  removal, and convergence in between would trim the surplus of a half-done restart blindly;
* health-driven kills (framework.deploy.health), rate-limited per app, for every app;
* readiness probes (framework.scheduler.readiness) for the new tasks of the apps a step acts on.

Events are at-least-once: a new leader announces the steps of the plans it resumes again.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from framework.deploy.health import KILL_WINDOW_SECONDS, unhealthy_kills
from framework.deploy.plan import advance, current_actions, is_finished, rollback_plan
from framework.deploy.progress import (
    FAILURE_REASON,
    ROLLBACK_OF,
    PlanDecision,
    decide,
    step_definition,
)
from framework.deploy.taskstate import RUNNING, is_current
from framework.scheduler.readiness import ReadinessResult, readiness_url
from framework.store import Conflict, NotFound, StoreError

log = logging.getLogger(__name__)

HOLD_SECONDS = 5.0


class DeploymentsMixin:
    """Needs from the Scheduler: store, pending, views, tasks, kill_sent, kill(), _event(), _app_views(),
    and the attributes set by `_init_deployments`."""

    store: Any
    pending: dict[str, int]
    views: dict[str, dict]
    tasks: dict[str, dict]
    kill_sent: dict[str, float]

    def _init_deployments(self, prober: Any) -> None:
        self.announced: dict[str, tuple[int, list[str]]] = {}  # plan id -> (announced step, its apps)
        self.held: dict[str, float] = {}  # app id -> until when convergence leaves it alone
        self.closed_plans: set[str] = set()  # plans we finished or failed (a stale mirror may still show them)
        self.ready: set[str] = set()  # task ids whose readiness checks passed
        self.health_kills: dict[str, list[float]] = {}  # app id -> times of recent health kills
        self.prober = prober

    # --- deployments -----------------------------------------------------------------------------

    def _advance_deployments(self, snapshot: Any, now: float) -> set[str]:
        """Moves every deployment forward; returns the app ids its current steps govern."""
        plans = snapshot.deployments
        self.closed_plans &= set(plans)
        self._notice_cancelled(plans, now)
        self.held = {app_id: until for app_id, until in self.held.items() if now < until}
        by_app: dict[str, list[dict]] = {}
        for view in self.views.values():
            by_app.setdefault(view["appId"], []).append(view)
        decisions = decide(plans, snapshot.apps, by_app, pending=self.pending, ready=self.ready, now=now,
                           skip=self.closed_plans)
        for plan_id in decisions.superseded:
            log.info("deployment %s was rolled back already; removing it", plan_id)
            self._close(plan_id, delete=True)
        for decision in decisions.plans:
            self._announce(decision.plan, now)
            if decision.failure is not None:
                self._fail(decision, now)
                continue
            for move in decision.moves:
                self._apply_moves(move.app_id, move.actions, now)
            if decision.step_done:
                self._finish_step(decision.plan, now)
            else:
                self._probe_readiness(decision.plan, snapshot.apps, now)
        for app_id in decisions.governed:
            self.held.pop(app_id, None)
        return set(decisions.governed) | set(self.held)

    def _apply_moves(self, app_id: str, actions: Any, now: float) -> None:
        self.pending[app_id] = self.pending.get(app_id, 0) - actions.unqueue + actions.launch
        for task_id in actions.kill:
            self.kill(task_id, now)

    def _announce(self, plan: Mapping[str, Any], now: float) -> None:
        if self.announced.get(plan["id"], (None,))[0] == plan["currentStep"]:
            return
        self.announced[plan["id"]] = (plan["currentStep"], list(plan["affectedApps"]))
        log.info("deployment %s (%s): step %d of %d %s", plan["id"], plan.get("kind", "deploy"),
                 plan["currentStep"], plan["totalSteps"],
                 ", ".join(f"{a['action']} {a['app']}" for a in current_actions(plan)))
        self._event({"eventType": "deployment_info", "plan": dict(plan), "currentStep": _step(plan)}, now)

    def _notice_cancelled(self, plans: Mapping[str, Any], now: float) -> None:
        for plan_id in [p for p in self.announced if p not in plans]:
            _, app_ids = self.announced.pop(plan_id)
            if plan_id in self.closed_plans:
                continue
            self._hold(app_ids, now)
            log.info("deployment %s was cancelled; no longer acting on it", plan_id)
            self._event({"eventType": "deployment_failed", "id": plan_id, "reason": "cancelled"}, now)

    def _hold(self, app_ids: list[str], now: float) -> None:
        for app_id in app_ids:
            self.held[app_id] = now + HOLD_SECONDS

    def _close(self, plan_id: str, *, delete: bool) -> None:
        self.closed_plans.add(plan_id)
        self.announced.pop(plan_id, None)
        if delete:
            with contextlib.suppress(NotFound):
                self.store.delete_deployment(plan_id)

    def _finish_step(self, plan: Mapping[str, Any], now: float) -> None:
        """Advances the stored plan by one step with a compare-and-set (the API may cancel it meanwhile)."""
        found = self.store.get_deployment(plan["id"])
        if found is None or found[0].get("currentStep") != plan["currentStep"]:
            return  # cancelled, or advanced already and the mirror has not caught up
        stored, version = found
        advanced = advance(stored)
        self._event({"eventType": "deployment_step_success", "plan": advanced, "currentStep": _step(stored)}, now)
        if is_finished(advanced):
            self._close(plan["id"], delete=True)
            self._event({"eventType": "deployment_success", "id": plan["id"], "plan": advanced}, now)
            log.info("deployment %s finished", plan["id"])
            return
        try:
            self.store.put_deployment(advanced, expected_version=version)
        except (Conflict, NotFound) as error:
            log.info("deployment %s changed while advancing (%s)", plan["id"], error)

    def _fail(self, decision: PlanDecision, now: float) -> None:
        plan, reason = decision.plan, decision.failure
        log.warning("deployment %s failed: %s", plan["id"], reason)
        rollback = None
        if decision.roll_back:
            rollback = rollback_plan(plan, deployment_id=str(uuid.uuid4()), now=now)
            rollback[ROLLBACK_OF], rollback[FAILURE_REASON] = plan["id"], reason
            try:
                self._write_rollback(rollback)
            except StoreError as error:
                log.error("could not write the rollback of deployment %s (%s); retrying", plan["id"], error)
                return
        self._event({"eventType": "deployment_step_failure", "plan": dict(plan), "currentStep": _step(plan),
                     "reason": reason}, now)
        self._close(plan["id"], delete=True)
        if rollback is not None:
            self._hold(plan["affectedApps"], now)
        self._event({"eventType": "deployment_failed", "id": plan["id"], "plan": dict(plan), "reason": reason}, now)
        if rollback is not None:
            log.info("deployment %s: rolling back with deployment %s", plan["id"], rollback["id"])

    def _write_rollback(self, rollback: dict) -> None:
        """Puts the original definitions back, creating the rollback plan with the last write.

        One transaction per app (the store has no multi-app write): a rollback of several apps that
        dies halfway is redone from scratch by the next tick, since the failed plan is still stored.
        """
        writes = [(app_id, app) for app_id, app in sorted(rollback["target"].items())]
        removals = sorted(set(rollback["affectedApps"]) - set(rollback["target"]))
        last = len(writes) + len(removals) - 1
        for index, (app_id, app) in enumerate(writes):
            current = self.store.get_app(app_id)
            self.store.put_app(app, expected_version=current[1] if current else None,
                               deployment=rollback if index == last else None)
        for index, app_id in enumerate(removals, start=len(writes)):
            self.store.delete_app(app_id, deployment=rollback if index == last else None)
        if last < 0:
            self.store.put_deployment(rollback)

    # --- readiness -------------------------------------------------------------------------------

    def _probe_readiness(self, plan: Mapping[str, Any], apps: Mapping[str, Any], now: float) -> None:
        if self.prober is None:
            return
        for action in current_actions(plan):
            app = step_definition(plan, action["app"], apps)
            if not app or not app.get("readinessChecks"):
                continue
            check = app["readinessChecks"][0]
            for view in self._app_views(app["id"]):
                if view["id"] in self.ready or view["state"] != RUNNING or not is_current(app, view):
                    continue
                if app.get("healthChecks") and view.get("healthy") is not True:
                    continue  # Marathon probes readiness once the task is healthy
                url = readiness_url(app, view)
                if url and self.prober.due(view["id"], float(check.get("intervalSeconds", 30)), now):
                    self.prober.probe(view["id"], url, check, now)

    def _on_readiness(self, result: ReadinessResult) -> None:
        self.prober.settled(result)
        if result.ready and result.task_id in self.tasks:
            log.info("task %s is ready", result.task_id)
            self.ready.add(result.task_id)

    def _forget_readiness(self) -> None:
        self.ready &= set(self.tasks)
        if self.prober is not None:
            self.prober.forget(set(self.tasks))

    # --- health ----------------------------------------------------------------------------------

    def _kill_unhealthy(self, apps: Mapping[str, Mapping[str, Any]], now: float) -> None:
        """Kills tasks failing their health checks, at most `kill_limit` per app per window."""
        for app_id, app in apps.items():
            if not app.get("healthChecks"):
                continue
            recent = [t for t in self.health_kills.get(app_id, []) if now - t < KILL_WINDOW_SECONDS]
            for task_id in unhealthy_kills(app, self._app_views(app_id), now=now, recent_kills=recent):
                log.warning("task %s of %s failed its health checks: killing it", task_id, app_id)
                self.kill(task_id, now)
                recent.append(now)
            if recent:
                self.health_kills[app_id] = recent
            else:
                self.health_kills.pop(app_id, None)


def _step(plan: Mapping[str, Any]) -> dict | None:
    return {"actions": current_actions(plan)} if plan.get("currentStep") and not is_finished(plan) else None
