"""The ACCEPT pipeline (notes C5): validate the offers, pool their resources, then validate and launch
each task of the LAUNCH operations, answering invalid ones with a master-generated update.

What is left of the pool is declined with the call's filters.
"""

from __future__ import annotations

import logging
import time

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.allocator import Allocator, refuse_seconds
from mesoslocal.master.offers import OfferBook
from mesoslocal.master.records import AgentRecord, Framework, Offer, Task
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.task_status import master_status
from mesoslocal.wire.validation import check_task_static

log = logging.getLogger(__name__)


class Launcher:
    """ACCEPT: offers in, tasks launched on one agent. Holds no state: it takes the offers from the book, records
    the tasks and new executors in their framework and the resources they use in the allocator."""

    def __init__(self, agents: AgentRegistry, offers: OfferBook, allocator: Allocator) -> None:
        self._agents, self._offers, self._allocator = agents, offers, allocator

    def _lost_state(self, framework: Framework) -> str:
        return "TASK_DROPPED" if framework.capable("PARTITION_AWARE") else "TASK_LOST"

    def _offers_of(self, framework: Framework, offer_ids: list[str]) -> tuple[list[Offer], str | None]:
        """The offers an ACCEPT names, or the reason they cannot be used together (C5 step 1)."""
        if not offer_ids:
            return [], "No offers specified"
        if len(set(offer_ids)) != len(offer_ids):
            return [], "Duplicate offers in the request"
        offers = []
        for offer_id in offer_ids:
            offer = self._offers.get(offer_id)
            if offer is None:
                return [], f"Offer {offer_id} is no longer valid"
            if offer.framework_id != framework.id:
                return [], f"Offer {offer_id} has invalid framework"
            offers.append(offer)
        if len({o.agent_id for o in offers}) > 1:
            return [], "Aggregated offers must belong to one single agent"
        return offers, None

    def accept(self, framework: Framework, body: dict) -> None:
        offer_ids = [o.get("value") for o in body.get("offer_ids", [])]
        launches = [t for op in body.get("operations", []) if op.get("type") == "LAUNCH"
                    for t in op.get("launch", {}).get("task_infos", [])]
        offers, error = self._offers_of(framework, offer_ids)
        if error:
            for offer_id in offer_ids:
                offer = self._offers.get(offer_id)
                if offer and offer.framework_id == framework.id:
                    self._offers.take(offer)
            for task in launches:
                self._reject(framework, task, self._lost_state(framework), "REASON_INVALID_OFFERS",
                             f"Task launched with invalid offers: {error}")
            self._offers.schedule_allocation()
            return
        agent = self._agents[offers[0].agent_id]
        pool = Resources()
        for offer in offers:
            self._offers.take(offer)
            pool = pool + offer.resources
        if not agent.active:
            reason, message = (("REASON_AGENT_REMOVED", "Agent removed") if agent.state == "removed"
                               else ("REASON_AGENT_DISCONNECTED", "Agent disconnected"))
            for task in launches:
                self._reject(framework, task, self._lost_state(framework), reason, message)
            return
        for operation in body.get("operations", []):
            if operation.get("type") != "LAUNCH":
                log.info("framework %s: ignoring unsupported operation %s", framework.id, operation.get("type"))
                continue
            for task in operation.get("launch", {}).get("task_infos", []):
                if "id" in operation:
                    self._reject(framework, task, "TASK_ERROR", "REASON_TASK_INVALID",
                                 "The `id` field is not allowed for LAUNCH operations")
                    continue
                pool = self._launch(framework, agent, task, pool)
        self._allocator.refuse(framework.id, agent.id, pool, refuse_seconds(body.get("filters")), time.monotonic())
        self._offers.schedule_allocation()

    def _launch(self, framework: Framework, agent: AgentRecord, task: dict, pool: Resources) -> Resources:
        """Validate and launch one task from `pool`; returns what is left of the pool (C5 steps 3–4)."""
        task_id = task["task_id"]["value"]
        error = check_task_static(task)
        executor = task.get("executor")
        known_executor = executor and framework.executor(agent.id, executor["executor_id"]["value"])
        if error is None:
            if task_id in framework.tasks:
                error = f"Task has duplicate ID: {task_id}"
            elif task_id in framework.unreachable:
                error = "Task reuses the ID of an unreachable task"
            elif task["agent_id"]["value"] != agent.id:
                error = f"Task uses invalid agent {task['agent_id']['value']} while agent {agent.id} is expected"
            elif known_executor and _executor_key(known_executor) != _executor_key(executor):
                error = ("ExecutorInfo is not compatible with existing ExecutorInfo with the same ExecutorID "
                         f"'{executor['executor_id']['value']}'")
        if error is None:
            need = Resources.from_v1(task["resources"])
            if executor and not known_executor:
                need = need + Resources.from_v1(executor.get("resources", []))
            if not pool.contains(need):
                error = (f"Total resources {need} required by task and its executor is more than available "
                         f"{pool}")
        if error is not None:
            self._reject(framework, task, "TASK_ERROR", "REASON_TASK_INVALID", error)
            return pool
        task = dict(task)
        if executor:
            executor = dict(executor, framework_id={"value": framework.id})
            task["executor"] = executor
            if not known_executor:
                framework.add_executor(agent.id, executor)
        self._allocator.use(agent.id, need)
        record = Task(task, framework.id, agent.id, Resources.from_v1(task["resources"]),
                      executor["executor_id"]["value"] if executor else "")
        record.statuses.append({"state": "TASK_STAGING", "timestamp": time.time()})
        framework.tasks[task_id] = record
        log.info("framework %s: launching task %s on agent %s", framework.id, task_id, agent.id)
        agent.port_handle.run_task(framework.info, task)
        return pool - need

    def _reject(self, framework: Framework, task: dict, state: str, reason: str, message: str) -> None:
        task_id = task.get("task_id", {}).get("value", "")
        log.info("framework %s: task %s %s (%s): %s", framework.id, task_id, state, reason, message)
        framework.send({"type": "UPDATE", "update": {"status": master_status(task_id, state, reason, message)}})


def _executor_key(executor: dict) -> dict:
    return {k: v for k, v in executor.items() if k != "framework_id"}
