"""Marathon's deployment events (``deployment_info``, ``deployment_step_success``, ``deployment_step_failure``,
``deployment_success``, ``deployment_failed``) built from our stored plans, and the plan formats of
``/v2/events``.

Real clients parse these strictly: the PyPI ``marathon`` client passes every member of an event's plan to
a constructor that knows only ``id``, ``steps``, ``version``, ``original`` and ``target`` (and the last two
as groups of ``id``, ``apps``, ``groups``, ``pods``, ``dependencies``, ``version``), so a member Marathon
does not send (our ``currentStep`` count, ``affectedApps``, ``kind``...) breaks it. The plan in an event is
therefore Marathon's and not the ``/v2/deployments`` entry:

* full format (the default, Marathon up to 1.7): ``{id, original, target, steps, version}``;
* ``?plan-format=light`` (Marathon 1.6+, its only format from 1.8): ``{id, steps, version}``.

``original``/``target`` are root groups holding the apps the plan affects, as they were and as they will
be. Marathon puts the whole root group there; with every app of a large cluster in each event (stored in
ZooKeeper, sent to every subscriber) the event would outgrow a znode, which is why Marathon itself
dropped these members. Steps and ``currentStep`` are ``{actions: [{action, app}]}``.

Pure: plans in, event dicts out, without ``timestamp`` (the event log stamps what it records).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework.deploy.plan import current_actions
from framework.model.group_json import root_group

PLAN_MEMBERS = ("id", "original", "target", "steps", "version")
LIGHT_PLAN_MEMBERS = ("id", "steps", "version")
ACTION_MEMBERS = ("action", "app", "pod")
DEPLOYMENT_EVENTS = frozenset({"deployment_info", "deployment_step_success", "deployment_step_failure",
                               "deployment_success", "deployment_failed"})


def marathon_step(actions: list[Mapping[str, Any]]) -> dict:
    """One step as Marathon shows it in events: its actions without our readiness results."""
    return {"actions": [{key: action[key] for key in ACTION_MEMBERS if key in action} for action in actions]}


def marathon_plan(plan: Mapping[str, Any]) -> dict:
    """The full-format plan of an event: ``{id, original, target, steps, version}``."""
    version = plan.get("version")
    return {
        "id": plan["id"],
        "original": root_group(plan.get("original") or {}, version=version),
        "target": root_group(plan.get("target") or {}, version=version),
        "steps": [marathon_step(step.get("actions") or []) for step in plan.get("steps") or []],
        "version": version,
    }


def deployment_info(plan: Mapping[str, Any]) -> dict:
    """``deployment_info``: the plan starts acting on its current step."""
    return _with_step("deployment_info", plan, current_actions(plan))


def deployment_step_success(plan: Mapping[str, Any]) -> dict:
    """``deployment_step_success`` for ``plan``'s current step (``plan`` as it was before advancing)."""
    return _with_step("deployment_step_success", plan, current_actions(plan))


def deployment_step_failure(plan: Mapping[str, Any]) -> dict:
    """``deployment_step_failure`` for ``plan``'s current step (Marathon sends no reason here)."""
    return _with_step("deployment_step_failure", plan, current_actions(plan))


def deployment_success(plan: Mapping[str, Any]) -> dict:
    return {"id": plan["id"], "plan": marathon_plan(plan), "eventType": "deployment_success"}


def deployment_failed(plan: Mapping[str, Any], reason: str | None) -> dict:
    """``deployment_failed``; ``reason`` is left out when None, as Marathon leaves it out."""
    event = {"id": plan["id"], "plan": marathon_plan(plan), "eventType": "deployment_failed"}
    if reason is not None:
        event["reason"] = reason
    return event


def group_change_success(group_id: str, version: str, timestamp: str) -> dict:
    """``group_change_success``: a write changing the apps under ``group_id`` was accepted (``version``: the
    version it gave them)."""
    return {"groupId": group_id, "version": version, "eventType": "group_change_success", "timestamp": timestamp}


def group_change_failed(group_id: str, version: str, reason: str, timestamp: str) -> dict:
    """``group_change_failed``: such a write was refused after it was read (locked apps, invalid change, the
    store unavailable); ``reason`` is the error message the writer got."""
    return {"groupId": group_id, "version": version, "reason": reason, "eventType": "group_change_failed",
            "timestamp": timestamp}


def plan_format(event: dict, *, light: bool) -> dict:
    """The event as a ``/v2/events`` subscriber gets it: a deployment event's plan restricted to Marathon's
    members of the chosen format. Events of other types, and full-format plans asked for in full, are
    returned as they are (the same object: nothing is copied per subscriber)."""
    plan = event.get("plan")
    if event.get("eventType") not in DEPLOYMENT_EVENTS or not isinstance(plan, Mapping):
        return event
    members = LIGHT_PLAN_MEMBERS if light else PLAN_MEMBERS
    if all(key in members for key in plan):
        return event
    return {**event, "plan": {key: plan[key] for key in members if key in plan}}


def _with_step(event_type: str, plan: Mapping[str, Any], actions: list[Mapping[str, Any]]) -> dict:
    return {"plan": marathon_plan(plan), "currentStep": marathon_step(actions), "eventType": event_type}
