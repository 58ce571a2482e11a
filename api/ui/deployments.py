"""The Deployments page: each running plan's steps and how far it got. Pure.

Progress counts finished steps whole and the current step by how many of the instances its actions wait
for are running (from /v2/apps counts), so a long scale-up moves the bar instead of jumping at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    number: int
    actions: list[tuple[str, str]]  # (action, app id)
    state: str  # "done", "current", "pending"


@dataclass(frozen=True)
class DeploymentView:
    id: str
    version: str | None
    apps: list[str]
    steps: list[Step]
    current_step: int
    total_steps: int
    percent: int


def step_fraction(actions: list[Mapping], apps: Mapping[str, Mapping]) -> float:
    """How much of the current step is done: running over target instances of the apps it starts or scales."""
    fractions = []
    for action in actions:
        app = apps.get(action.get("app", ""))
        if action.get("action") == "StopApplication":
            fractions.append(0.0 if app else 1.0)
        elif app is not None:
            target = int(app.get("instances", 0))
            fractions.append(1.0 if target == 0 else min(1.0, app.get("tasksRunning", 0) / target))
    return sum(fractions) / len(fractions) if fractions else 0.0


def deployment_view(plan: Mapping, apps: Mapping[str, Mapping]) -> DeploymentView:
    """A /v2/deployments entry with the /v2/apps entries by id."""
    total = int(plan.get("totalSteps") or len(plan.get("steps") or []))
    current = int(plan.get("currentStep") or 0)
    steps = []
    for number, step in enumerate(plan.get("steps") or [], start=1):
        state = "done" if number < current else "current" if number == current else "pending"
        actions = [(action.get("action", "?"), action.get("app", "?")) for action in step.get("actions") or []]
        steps.append(Step(number, actions, state))
    done = max(current - 1, 0) + step_fraction(plan.get("currentActions") or [], apps)
    percent = int(100 * done / total) if total else 100
    return DeploymentView(plan["id"], plan.get("version"), list(plan.get("affectedApps") or []), steps, current,
                          total, max(0, min(percent, 100)))
