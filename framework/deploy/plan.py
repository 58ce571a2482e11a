"""Deployment plans: the diff between two sets of app definitions, as ordered steps of actions.

The plan is a dict in the shape of Marathon's ``/v2/deployments`` entries (``id``, ``version``,
``affectedApps``, ``affectedPods``, ``steps``, ``currentStep``, ``totalSteps``, ``currentActions``) plus
three members of our own that the store keeps and the API leaves out (``to_marathon_json``): ``kind``,
``original`` and ``target`` (the affected apps' definitions before and after, by app id), so that a new
leader can resume it and a rollback can be built from it.

How an app's change becomes actions:

* new app -> ``StartApplication`` (with 0 instances, as Marathon does) and, if instances > 0,
  ``ScaleApplication``;
* removed app -> ``StopApplication``;
* only ``instances`` differs -> ``ScaleApplication``;
* anything else in the definition differs (``versions.is_config_change``) -> ``RestartApplication``
  (the rolling restart also reaches the new instance count);
* ``kind="restart"`` -> ``RestartApplication`` for every app present on both sides;
* identical -> not affected.

Step order: stops first, dependents before what they depend on; then one step starting every new app
(at 0 instances order does not matter); then scale and restart steps by dependency depth, an app's
dependencies in an earlier step, apps of the same depth together in one step.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from framework.deploy.rolling import RESTART, SCALE, START, STOP
from framework.deploy.versions import is_config_change
from framework.model.paths import parent, resolve
from framework.timeutil import format_ts

Apps = Mapping[str, Mapping[str, Any]]

KINDS = (None, "restart", "rollback")


class PlanError(ValueError):
    """A plan cannot be made from these definitions."""


class DependencyCycleError(PlanError):
    """The apps' ``dependencies`` form a cycle; ``cycle`` lists it, first id repeated at the end."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


def make_plan(
    original: Apps, target: Apps, *, deployment_id: str, now: float, kind: str | None = None
) -> dict:
    """The deployment plan taking ``original`` to ``target`` (both: app id -> normalized app).

    ``now`` becomes the plan's ``version`` (its start time). A plan with no affected app has no steps;
    whether to store it is the caller's choice. Raises DependencyCycleError if ``target``'s
    dependencies (or a stopped app's, in ``original``) form a cycle, PlanError for an unknown kind.
    """
    if kind not in KINDS:
        raise PlanError(f"unknown deployment kind {kind!r}")
    actions = _app_actions(original, target, restart=kind == "restart")
    starting = sorted(app_id for app_id, names in actions.items() if START in names)
    stopping = [app_id for app_id, names in actions.items() if STOP in names]
    updating = [app_id for app_id, names in actions.items() if names - {START, STOP}]

    target_depths = _depths(target)  # validates every target app, affected or not
    steps: list[list[dict]] = []
    # Stops go first, the most dependent apps first.
    for level in reversed(_levels(_depths(original) if stopping else {}, stopping)):
        steps.append([{"action": STOP, "app": app_id} for app_id in level])
    if starting:
        steps.append([{"action": START, "app": app_id} for app_id in starting])
    for level in _levels(target_depths, updating):
        steps.append([{"action": _update_action(actions[app_id]), "app": app_id} for app_id in level])

    affected = sorted(actions)
    return {
        "id": deployment_id,
        "version": format_ts(now),
        "affectedApps": affected,
        "affectedPods": [],
        "steps": [{"actions": step} for step in steps],
        "currentStep": 1 if steps else 0,
        "totalSteps": len(steps),
        "currentActions": _with_readiness_results(steps[0] if steps else []),
        "kind": kind or "deploy",
        "original": {app_id: copy.deepcopy(dict(original[app_id])) for app_id in affected if app_id in original},
        "target": {app_id: copy.deepcopy(dict(target[app_id])) for app_id in affected if app_id in target},
    }


def rollback_plan(plan: Mapping[str, Any], *, deployment_id: str, now: float) -> dict:
    """A new plan taking the apps of ``plan`` back to its original definitions.

    The original definitions are used verbatim, version included: tasks of the original version that
    survived are then current and stay, and only the tasks the failed deployment started are replaced.
    Apps that ``plan`` created are stopped; apps it removed are started again.
    """
    return make_plan(plan["target"], plan["original"], deployment_id=deployment_id, now=now, kind="rollback")


def conflicts(plan: Mapping[str, Any], running_plans: Iterable[Mapping[str, Any]]) -> list[str]:
    """Ids of running deployments that change one of ``plan``'s apps (the API's 409 answer)."""
    mine = set(plan["affectedApps"])
    return [
        other["id"]
        for other in running_plans
        if other["id"] != plan["id"] and mine.intersection(other["affectedApps"])
    ]


def advance(plan: Mapping[str, Any]) -> dict:
    """A copy of ``plan`` moved on to its next step; past the last one, ``is_finished`` is true."""
    moved = dict(plan)
    moved["currentStep"] = plan["currentStep"] + 1
    index = moved["currentStep"] - 1
    moved["currentActions"] = _with_readiness_results(
        plan["steps"][index]["actions"] if index < plan["totalSteps"] else []
    )
    return moved


def is_finished(plan: Mapping[str, Any]) -> bool:
    """True past the last step, and for a plan without steps (nothing to do)."""
    return plan["totalSteps"] == 0 or plan["currentStep"] > plan["totalSteps"]


def current_actions(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The actions of the plan's current step ([] for a finished plan)."""
    if is_finished(plan) or not plan.get("currentStep"):
        return []
    return list(plan["steps"][plan["currentStep"] - 1]["actions"])


def current_step(plan: Mapping[str, Any]) -> dict | None:
    """The plan's current step as Marathon's deployment events show it (``currentStep``), None when done."""
    return {"actions": current_actions(plan)} if plan.get("currentStep") and not is_finished(plan) else None


# Our members: the kind, the definitions, and the store's mark of a plan whose app nodes are still being written.
_OURS = ("kind", "original", "target", "applying")


def to_marathon_json(plan: Mapping[str, Any]) -> dict:
    """The plan as ``GET /v2/deployments`` shows it: without our bookkeeping members."""
    return {key: value for key, value in plan.items() if key not in _OURS}


def _app_actions(original: Apps, target: Apps, *, restart: bool) -> dict[str, set[str]]:
    """The action names each affected app needs (Start and Scale may come together)."""
    actions: dict[str, set[str]] = {}
    for app_id, app in target.items():
        before = original.get(app_id)
        if before is None:
            actions[app_id] = {START, SCALE} if app.get("instances", 0) > 0 else {START}
        elif restart or is_config_change(before, app):
            actions[app_id] = {RESTART}
        elif before.get("instances") != app.get("instances"):
            actions[app_id] = {SCALE}
    for app_id in original:
        if app_id not in target:
            actions[app_id] = {STOP}
    return actions


def _update_action(names: set[str]) -> str:
    return RESTART if RESTART in names else SCALE


def _with_readiness_results(actions: list[dict]) -> list[dict]:
    return [{**action, "readinessCheckResults": []} for action in actions]


def _dependencies(apps: Apps, app_id: str) -> list[str]:
    """The app's dependencies that are among ``apps``, as absolute ids (relative ones are resolved
    against the app's group, as Marathon does); dependencies outside the set impose no order here."""
    deps = (resolve(dep, parent(app_id)) for dep in apps[app_id].get("dependencies") or ())
    return sorted({dep for dep in deps if dep in apps})


def _depths(apps: Apps) -> dict[str, int]:
    """Dependency depth of every app (0: depends on nothing in ``apps``). Raises DependencyCycleError."""
    depth: dict[str, int] = {}
    visiting: list[str] = []

    def visit(app_id: str) -> int:
        if app_id in depth:
            return depth[app_id]
        if app_id in visiting:
            raise DependencyCycleError(visiting[visiting.index(app_id) :] + [app_id])
        visiting.append(app_id)
        depth[app_id] = 1 + max((visit(dep) for dep in _dependencies(apps, app_id)), default=-1)
        visiting.pop()
        return depth[app_id]

    for app_id in sorted(apps):
        visit(app_id)
    return depth


def _levels(depth: Mapping[str, int], chosen: Iterable[str]) -> list[list[str]]:
    """``chosen`` apps grouped by dependency depth, shallowest first; empty levels dropped."""
    levels: dict[int, list[str]] = {}
    for app_id in sorted(chosen):
        levels.setdefault(depth[app_id], []).append(app_id)
    return [levels[d] for d in sorted(levels)]
