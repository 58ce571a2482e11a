"""A deployment plan as one small head node plus immutable parts, so that no plan outgrows a znode.

Pure: plans in, node values out (and back). A plan that encodes within `INLINE_BYTES` stays one node,
exactly as before this layout existed (so plans written by older versions still load). A bigger plan
becomes:

* a head: every member except the ones that grow with the number of apps, plus ``parts`` (how many);
* parts, each at most about `PART_BYTES` of JSON: slices of the actions (with their step number), of
  ``affectedApps`` and of the ``original``/``target`` definitions.

Only the head changes while the plan runs (``currentStep``); the parts are written once, before the head,
and deleted after it. ``currentActions`` is not stored for a split plan: it is the current step's actions
(with empty ``readinessCheckResults``, as framework.deploy.plan makes them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

INLINE_BYTES = 256 * 1024
PART_BYTES = 256 * 1024
# Members whose size grows with the apps a plan touches: kept out of a split plan's head.
GROWING = ("steps", "affectedApps", "original", "target", "currentActions")


def size_of(value: Any) -> int:
    """Bytes of the compact JSON the store writes for `value`."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def split(plan: Mapping[str, Any], *, inline_bytes: int = INLINE_BYTES,
          part_bytes: int = PART_BYTES) -> tuple[dict, list[dict]]:
    """(head, parts) for `plan`; parts is empty when the plan is stored inline as one node."""
    if size_of(plan) <= inline_bytes:
        return dict(plan), []
    parts = list(_pack(_items(plan), part_bytes))
    head = {key: value for key, value in plan.items() if key not in GROWING}
    head["parts"] = len(parts)
    head["stepCount"] = len(plan["steps"])
    return head, parts


def is_split(head: Mapping[str, Any]) -> bool:
    return bool(head.get("parts"))


def join(head: Mapping[str, Any], parts: Sequence[Mapping[str, Any]]) -> dict:
    """The plan from its head and ALL its parts (in any order); an inline head is returned as it is.
    Raises ValueError when parts are missing."""
    if not is_split(head):
        return dict(head)
    if len(parts) != head["parts"]:
        raise ValueError(f"plan {head.get('id')}: {len(parts)} of {head['parts']} parts")
    steps: list[list[dict]] = [[] for _ in range(head["stepCount"])]
    affected: list[str] = []
    original: dict[str, Any] = {}
    target: dict[str, Any] = {}
    for part in sorted(parts, key=lambda p: p["n"]):
        for step, action in part.get("actions", ()):
            steps[step].append(action)
        affected += part.get("affectedApps", ())
        original.update(part.get("original", {}))
        target.update(part.get("target", {}))
    plan = {key: value for key, value in head.items() if key not in ("parts", "stepCount")}
    plan.update(steps=[{"actions": actions} for actions in steps], affectedApps=affected,
                original=original, target=target)
    current = plan.get("currentStep") or 0
    actions = steps[current - 1] if 0 < current <= len(steps) else []
    plan["currentActions"] = [{**action, "readinessCheckResults": []} for action in actions]
    return plan


def head_update(stored_head: Mapping[str, Any], plan: Mapping[str, Any]) -> dict:
    """The head to write for `plan` (e.g. advanced by a step) over a stored split head: the small members
    of `plan`, the stored part count."""
    head = {key: value for key, value in plan.items() if key not in GROWING}
    head["parts"], head["stepCount"] = stored_head["parts"], stored_head["stepCount"]
    return head


def _items(plan: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """Every growing entry of the plan as (member, key, value), in a stable order."""
    for index, step in enumerate(plan["steps"]):
        for action in step["actions"]:
            yield "actions", index, action
    for app_id in plan["affectedApps"]:
        yield "affectedApps", None, app_id
    for member in ("original", "target"):
        for app_id, app in plan.get(member, {}).items():
            yield member, app_id, app


def _pack(items: Iterator[tuple[str, Any, Any]], part_bytes: int) -> Iterator[dict]:
    """Parts of at most ~`part_bytes` each (one entry larger than that gets a part of its own)."""
    part: dict[str, Any] = {"n": 0}
    used = 0
    for member, key, value in items:
        cost = size_of(value) + 64
        if used and used + cost > part_bytes:
            yield part
            part, used = {"n": part["n"] + 1}, 0
        if member == "actions":
            part.setdefault("actions", []).append([key, value])
        elif member == "affectedApps":
            part.setdefault("affectedApps", []).append(value)
        else:
            part.setdefault(member, {})[key] = value
        used += cost
    yield part
