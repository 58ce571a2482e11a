"""The master's half of the status-update pipeline (notes C6 steps 4–5): an agent's update sets the task's state
and goes on to the scheduler, the scheduler's ACKNOWLEDGE goes back to the agent; also executor exits and executor
messages on their way from an agent to the scheduler."""

from __future__ import annotations

import logging

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.allocator import Allocator
from mesoslocal.master.frameworks import FrameworkRegistry
from mesoslocal.master.offers import OfferBook
from mesoslocal.master.records import Framework
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.task_status import is_terminal, releases_resources

log = logging.getLogger(__name__)


class StatusUpdateForwarder:
    """Holds no state of its own: it is the one place where an agent's update changes a task record (its state,
    statuses, latest update and the uuids sent but not yet acknowledged) and frees what the task held."""

    def __init__(self, frameworks: FrameworkRegistry, agents: AgentRegistry, offers: OfferBook,
                 allocator: Allocator) -> None:
        self._frameworks, self._agents, self._offers, self._allocator = frameworks, agents, offers, allocator

    def status_update(self, agent_id: str, framework_id: str, status: dict, latest_state: str) -> None:
        """An agent forwards the head of a task's update queue (C6 step 4)."""
        framework = self._frameworks.get(framework_id)
        if framework is None:
            return
        task_id = status["task_id"]["value"]
        task = framework.tasks.get(task_id)
        if task is not None:
            task.state = latest_state
            task.latest = status
            entry = {"state": status["state"], "timestamp": status["timestamp"]}
            for key in ("healthy", "labels", "container_status"):
                if key in status:
                    entry[key] = status[key]
            if not task.statuses or task.statuses[-1].get("timestamp") != status["timestamp"]:
                task.statuses.append(entry)
            if "uuid" in status:
                task.sent_uuids[status["uuid"]] = status["state"]
            if releases_resources(latest_state) and not task.released:
                task.released = True
                self._allocator.release(agent_id, task.resources)
                self._offers.schedule_allocation()
        log.info("framework %s: task %s %s (latest %s)", framework_id, task_id, status["state"], latest_state)
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def acknowledge(self, framework: Framework, body: dict) -> None:
        """ACKNOWLEDGE (C6 step 5): passed on to the agent; an acknowledged terminal update completes the task."""
        task_id, uuid = body["task_id"]["value"], body["uuid"]
        agent = self._agents.get(body["agent_id"]["value"])
        if agent is None or not agent.active:
            return
        agent.port_handle.acknowledge(framework.id, task_id, uuid)
        task = framework.tasks.get(task_id)
        if task is not None and is_terminal(task.sent_uuids.pop(uuid, "")):
            framework.complete(task)

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, wait_status: int | None) -> None:
        framework = self._frameworks.get(framework_id)
        if framework is None:
            return
        executor = framework.executors.get(agent_id, {}).pop(executor_id, None)
        if executor is not None:
            self._allocator.release(agent_id, Resources.from_v1(executor.get("resources", [])))
            self._offers.schedule_allocation()
        if wait_status is not None:
            log.info("framework %s: executor %s on agent %s exited (%s)", framework_id, executor_id, agent_id,
                     wait_status)
            framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent_id},
                                                           "executor_id": {"value": executor_id},
                                                           "status": wait_status}})

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: str) -> None:
        framework = self._frameworks.get(framework_id)
        if framework is not None:
            framework.send({"type": "MESSAGE", "message": {"agent_id": {"value": agent_id},
                                                           "executor_id": {"value": executor_id}, "data": data}})
