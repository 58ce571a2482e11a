"""From pending instances and an offer batch to the records to write and the ACCEPTs to send. Pure.

The records are written before the launches go out (so a new leader knows every task it may find);
the caller persists `records`, then sends one ACCEPT per offer in `task_infos_by_offer`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from framework.executors import ExecutorSettings, executor_info, shared_executor
from framework.matching.constraints import HOSTNAME, Placement, field_key, placement_value
from framework.matching.match import Demand, match
from framework.matching.reasons import Rejection
from framework.matching.resources import flatten_attributes
from framework.model import new_task_id, service_ports
from framework.scheduler.records import new_record
from framework.taskinfo import build_task_info, fetch_uris


@dataclass(frozen=True)
class LaunchBatch:
    records: list[dict] = field(default_factory=list)
    task_infos_by_offer: dict[str, list[dict]] = field(default_factory=dict)
    unused_offer_ids: list[str] = field(default_factory=list)
    launched: Counter = field(default_factory=Counter)
    reasons: dict[str, Counter[Rejection]] = field(default_factory=dict)


def agent_attributes(offers: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Agent id → flattened attributes, learnt from offers (constraints on attributes need them)."""
    return {offer["agent_id"]["value"]: flatten_attributes(offer) for offer in offers}


def placements(tasks: Iterable[Mapping[str, Any]], attributes: Mapping[str, Mapping[str, str]]) -> list[Placement]:
    return [Placement(task["appId"], task["agentId"], task.get("host") or "", attributes.get(task["agentId"], {}))
            for task in tasks]


def _with_seen_groups(demand: Demand, offers: list[Mapping[str, Any]], current: list[Placement]) -> Demand:
    """The demand with every count-less GROUP_BY given the number of values seen so far.

    Marathon learns a field's values from incoming offers; the values of this batch's offers and of the
    app's placed instances are those we have seen. Made explicit, the count lets the matcher spread the
    batch over all of them, instead of filling the first offer while its value is the only group in use.
    """
    constraints = demand.app.get("constraints") or []
    if not any(len(c) == 2 and str(c[1]).upper() == "GROUP_BY" for c in constraints):
        return demand
    rewritten = []
    for constraint in constraints:
        if len(constraint) == 2 and str(constraint[1]).upper() == "GROUP_BY":
            key = field_key(str(constraint[0]))
            seen = {offer["hostname"] if key == HOSTNAME else flatten_attributes(offer).get(key) for offer in offers}
            seen |= {placement_value(p, key) for p in current if p.app_id == demand.app["id"]}
            seen.discard(None)
            constraint = [constraint[0], "GROUP_BY", str(max(1, len(seen)))]
        rewritten.append(constraint)
    return Demand({**demand.app, "constraints": rewritten}, demand.count, demand.executor)


def plan_launches(demands: list[Demand], offers: list[Mapping[str, Any]], current: list[Placement], *,
                  now: float, framework_id: str | None, executors: ExecutorSettings = ExecutorSettings()
                  ) -> LaunchBatch:
    """Matches `demands` against `offers` and builds a task record and TaskInfo per placed instance."""
    demands = [Demand(d.app, d.count, shared_executor(d.app, executors)) for d in demands]
    result = match([_with_seen_groups(demand, offers, current) for demand in demands], offers, current)
    apps = {demand.app["id"]: demand.app for demand in demands}
    batch = LaunchBatch(unused_offer_ids=list(result.unused_offer_ids), reasons=result.reasons)
    for launch in result.launches:
        app = apps[launch.app_id]
        task_id = new_task_id(app["id"])
        batch.records.append(new_record(app, task_id, agent_id=launch.agent_id, host=launch.hostname,
                                        ports=launch.ports, service_ports=service_ports(app), now=now))
        executor = executor_info(app, task_id, launch.role, executors, fetch_uris(app))
        batch.task_infos_by_offer.setdefault(launch.offer_id, []).append(
            build_task_info(app, launch, task_id, framework_id=framework_id, executor=executor))
        batch.launched[launch.app_id] += 1
    return batch
