"""Progress deadlines: Balalaika's answer to deployments that hang forever (beyond Marathon).

Two app labels, read from the target definition of each affected app (the original one for an app
being stopped):

* ``BALALAIKA_DEPLOYMENT_DEADLINE_SECONDS`` -- a positive number of seconds. A deployment touching the
  app must finish within that time from its start (the plan's ``version``); otherwise it is failed. With
  several affected apps the shortest deadline applies. No label: no deadline, as in Marathon.
* ``BALALAIKA_DEPLOYMENT_AUTO_ROLLBACK`` -- ``true`` or ``false`` (any case; absent means false). When
  true for any affected app, a failed deployment is followed by ``plan.rollback_plan``: a new
  deployment back to the original definitions, verbatim (so surviving old instances stay).

A rollback plan has a deadline too (the original definitions carry the same labels) but is never rolled
back itself: that would only swing between two broken versions. The scheduler records
``failure_reason`` with the failed deployment and in its ``deployment_failed`` event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from framework.timeutil import parse_ts

DEADLINE_LABEL = "BALALAIKA_DEPLOYMENT_DEADLINE_SECONDS"
AUTO_ROLLBACK_LABEL = "BALALAIKA_DEPLOYMENT_AUTO_ROLLBACK"

Plan = Mapping[str, Any]


class DeadlineLabelError(ValueError):
    """A deadline label holds something other than its documented values (for app validation)."""


def deadline_seconds(app: Mapping[str, Any]) -> float | None:
    """The app's progress deadline in seconds, or None. Raises DeadlineLabelError for a bad value."""
    raw = (app.get("labels") or {}).get(DEADLINE_LABEL)
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        raise DeadlineLabelError(f"{DEADLINE_LABEL} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise DeadlineLabelError(f"{DEADLINE_LABEL} must be a positive number of seconds, not {raw!r}")
    return seconds


def auto_rollback_requested(app: Mapping[str, Any]) -> bool:
    """True when the app asks for automatic rollback. Raises DeadlineLabelError for a bad value."""
    raw = (app.get("labels") or {}).get(AUTO_ROLLBACK_LABEL)
    if raw is None or str(raw).lower() == "false":
        return False
    if str(raw).lower() == "true":
        return True
    raise DeadlineLabelError(f"{AUTO_ROLLBACK_LABEL} must be true or false, not {raw!r}")


def _affected_definitions(plan: Plan) -> list[tuple[str, Mapping[str, Any]]]:
    """Each affected app's governing definition: the target one, or the original for a stopped app."""
    pairs = []
    for app_id in plan["affectedApps"]:
        app = plan["target"].get(app_id) or plan["original"].get(app_id)
        if app is not None:
            pairs.append((app_id, app))
    return pairs


def _tightest(plan: Plan) -> tuple[float, str] | None:
    limits = [(s, app_id) for app_id, app in _affected_definitions(plan) if (s := deadline_seconds(app))]
    return min(limits) if limits else None


def plan_deadline(plan: Plan) -> float | None:
    """Epoch seconds by which ``plan`` must finish, or None without a deadline."""
    tightest = _tightest(plan)
    return None if tightest is None else parse_ts(plan["version"]) + tightest[0]


def deadline_state(plan: Plan, now: float) -> Literal["failed"] | None:
    """``"failed"`` once a deadline-bound plan is still running at or past its deadline, else None."""
    deadline = plan_deadline(plan)
    return "failed" if deadline is not None and now >= deadline else None


def failure_reason(plan: Plan) -> str | None:
    """The human-readable reason recorded with a deployment failed by its deadline."""
    tightest = _tightest(plan)
    if tightest is None:
        return None
    seconds, app_id = tightest
    return (
        f"deployment {plan['id']} did not finish within {seconds:g} seconds "
        f"({DEADLINE_LABEL} of {app_id}), stopped at step {plan['currentStep']} of {plan['totalSteps']}"
    )


def should_roll_back(plan: Plan) -> bool:
    """True when a failed ``plan`` must be followed by ``plan.rollback_plan`` (never for a rollback)."""
    if plan.get("kind") == "rollback":
        return False
    return any(auto_rollback_requested(app) for _, app in _affected_definitions(plan))
