"""How running deployments progress: what to do with the stored plans on this tick.

Plans, apps, task views and ``now`` in, decisions out. The scheduler's deployment executor
(framework.scheduler.deployment_executor) applies the answer: launches and kills for each app of each
plan's current step, a step advanced, a plan failed (and rolled back) or removed. Level-triggered like
framework.deploy.rolling: nothing is remembered here, so a new leader decides the same from ZooKeeper.

* Every app a running plan affects (its ``affectedApps``, not only the apps of its current step) is
  ``governed``: steady-state convergence leaves it alone until the plan ends, and the plan's own steps
  launch and kill for it in their order, as Marathon locks all of a deployment's apps. Otherwise an app
  of a later step (a dependent app of a group) would be launched at once, before what it depends on is
  healthy, and an app to be stopped by a later step would lose its tasks to the orphan kills at once.
  A plan failed on this tick governs nothing (the executor holds its apps when it rolls back).
* Plans are taken oldest first (their ``version`` is their start time). An app is acted on by the first
  plan whose current step names it; a later plan's step on the same app waits (the API refuses such
  plans unless forced, and forcing deletes the older plan, so this only bridges a stale mirror).
* A step acts on each app with the definition it targets: the plan's ``target`` (the ``original`` one
  for an app being stopped), not the store's current app, so a plan's work does not depend on the
  order in which the app and the plan nodes reach the mirror.
* Deadline (framework.deploy.deadline): a plan still running at its deadline is failed with a reason,
  and no longer acted on; ``roll_back`` when its apps ask for automatic rollback.
* A failed plan whose rollback plan is already stored (``rollbackOf`` names it) is ``superseded``: its
  node only has to go (the scheduler deletes it in the rollback's transaction, but a leader of an
  earlier version wrote them apart and could die in between).
  `failed_plan_rollback` builds that rollback plan.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from framework.deploy.deadline import DeadlineLabelError, deadline_state, failure_reason, should_roll_back
from framework.deploy.plan import current_actions, is_finished, rollback_plan
from framework.deploy.rolling import Actions, next_actions

Plan = Mapping[str, Any]
ROLLBACK_OF = "rollbackOf"  # our member on a rollback plan: the id of the plan it undoes
FAILURE_REASON = "failureReason"  # our member on a rollback plan: why the plan it undoes failed


@dataclass(frozen=True)
class AppMove:
    """The next moves for one app of a plan's current step."""

    app_id: str
    actions: Actions


@dataclass(frozen=True)
class PlanDecision:
    """``failure``: the reason a plan failed (it is then not acted on); ``step_done``: advance it."""

    plan: Plan
    moves: tuple[AppMove, ...] = ()
    step_done: bool = False
    failure: str | None = None
    roll_back: bool = False


@dataclass(frozen=True)
class Decisions:
    plans: tuple[PlanDecision, ...] = ()
    governed: frozenset[str] = frozenset()  # app ids running plans affect: no steady-state convergence
    superseded: tuple[str, ...] = ()  # failed plans already replaced by their stored rollback


def step_definition(plan: Plan, app_id: str, apps: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The definition a step drives ``app_id`` toward (the original one when the plan stops the app)."""
    return (plan.get("target") or {}).get(app_id) or (plan.get("original") or {}).get(app_id) or apps.get(app_id)


def deadline_failure(plan: Plan, now: float) -> tuple[str, bool] | None:
    """(reason, roll back?) once the plan ran past its deadline; None otherwise or for invalid labels."""
    try:
        if deadline_state(plan, now) != "failed":
            return None
        return failure_reason(plan) or "deadline passed", should_roll_back(plan)
    except DeadlineLabelError:
        return None  # the API validates the labels; an old bad value means "no deadline", not a crash


def failed_plan_rollback(plan: Plan, reason: str, *, deployment_id: str, now: float) -> dict:
    """The rollback plan of ``plan``, failed for ``reason`` (``plan.rollback_plan``, with ``rollbackOf``
    and ``failureReason``)."""
    rollback = rollback_plan(plan, deployment_id=deployment_id, now=now)
    rollback[ROLLBACK_OF], rollback[FAILURE_REASON] = plan["id"], reason
    return rollback


def decide(
    plans: Mapping[str, Plan],
    apps: Mapping[str, Mapping[str, Any]],
    tasks_by_app: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    pending: Mapping[str, int],
    ready: Collection[str],
    now: float,
    skip: Collection[str] = (),
) -> Decisions:
    """Decisions for every running plan. ``tasks_by_app``: decision views (seconds) by app id;
    ``pending``: queued launches by app id; ``ready``: ids of tasks whose readiness checks passed;
    ``skip``: plan ids the caller has already closed (a stale mirror may still show them)."""
    replaced = {plan.get(ROLLBACK_OF) for plan in plans.values()} - {None}
    superseded = tuple(sorted(plan_id for plan_id in plans if plan_id in replaced))
    governed: set[str] = set()
    acting: set[str] = set()  # apps an earlier plan's current step acts on
    decisions = []
    for plan in sorted(plans.values(), key=lambda p: (p.get("version", ""), p["id"])):
        if plan["id"] in skip or plan["id"] in replaced or is_finished(plan):
            continue
        failed = deadline_failure(plan, now)
        if failed is not None:
            decisions.append(PlanDecision(plan, failure=failed[0], roll_back=failed[1]))
            continue
        governed.update(plan.get("affectedApps") or ())
        moves = []
        step_done = True
        for action in current_actions(plan):
            app_id = action["app"]
            if app_id in acting:
                step_done = False
                continue
            acting.add(app_id)
            app = step_definition(plan, app_id, apps)
            if app is None:
                continue
            actions = next_actions(app, tasks_by_app.get(app_id, ()), now=now, action=action["action"],
                                   pending=pending.get(app_id, 0), ready=ready)
            moves.append(AppMove(app_id, actions))
            step_done = step_done and actions.step_done
        decisions.append(PlanDecision(plan, moves=tuple(moves), step_done=step_done))
    return Decisions(tuple(decisions), frozenset(governed | acting), superseded)
