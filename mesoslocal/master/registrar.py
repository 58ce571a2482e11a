"""Agents joining and leaving: (re-)registration with the tasks an agent still runs, an agent found unreachable,
an agent replaced by a new one at the same address, and what every framework is told of its tasks there
(TASK_UNREACHABLE, TASK_GONE or TASK_LOST)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.allocator import Allocator
from mesoslocal.master.frameworks import FrameworkRegistry
from mesoslocal.master.lifecycle import FrameworkLifecycle
from mesoslocal.master.liveness import Liveness
from mesoslocal.master.offers import OfferBook
from mesoslocal.master.records import AgentPort, AgentRecord, Framework, Task
from mesoslocal.wire.ids import IdGenerator
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.task_status import is_terminal, master_status, releases_resources

log = logging.getLogger(__name__)

# what a framework is told of its tasks on a lost agent: (state, keep the task as unreachable)
StateFor = Callable[[Framework], tuple[str, bool]]


class AgentRegistrar:
    """The only one that adds agents to the registry or changes their state; it holds no state of its own."""

    def __init__(self, agents: AgentRegistry, frameworks: FrameworkRegistry, lifecycle: FrameworkLifecycle,
                 offers: OfferBook, allocator: Allocator, liveness: Liveness, ids: IdGenerator) -> None:
        self._agents, self._frameworks, self._lifecycle = agents, frameworks, lifecycle
        self._offers, self._allocator, self._liveness, self._ids = offers, allocator, liveness, ids

    def register(self, port_handle: AgentPort, *, hostname: str, ip: str, port: int, attributes: list[dict],
                 total: Resources, agent_id: str | None = None,
                 running: list[tuple[dict, dict, dict | None]] = ()) -> str:
        """(Re-)register an agent. `running` lists (framework_info, task, latest_status) it still runs."""
        agent_id = agent_id or self._ids.agent()
        for other in self._agents.at_address(ip, port, other_than=agent_id):
            self.gone(other, "a new agent registered at the same address")
        record = AgentRecord(agent_id, hostname, ip, port, attributes, total, port_handle)
        previous = self._agents.add(record)
        self._liveness.registered(agent_id, time.monotonic())
        self._allocator.add_agent(agent_id, total)
        for framework_info, task_info, status in running:
            self._recover_task(record, previous, framework_info, task_info, status)
        self._reconcile_unreported(record, running)
        if previous is not None:
            for framework_id, task_id in previous.pending_kills:
                framework = self._frameworks.get(framework_id)
                if framework is not None and task_id in framework.tasks:
                    port_handle.kill_task(framework_id, task_id, None)
        log.info("agent %s (%s) %s", agent_id, hostname, "re-registered" if previous or running else "registered")
        self._offers.schedule_allocation()
        return agent_id

    def _recover_task(self, agent: AgentRecord, previous: AgentRecord | None, framework_info: dict,
                      task_info: dict, status: dict | None) -> None:
        framework_id = framework_info["id"]["value"]
        task_id = task_info["task_id"]["value"]
        if self._frameworks.is_removed(framework_id):
            agent.port_handle.shutdown_framework(framework_id)
            return
        framework = self._frameworks.get(framework_id) or self._lifecycle.recover(framework_info)
        was_unreachable = framework.unreachable.pop(task_id, None)
        if previous is not None and previous.state == "unreachable" and not framework.capable("PARTITION_AWARE"):
            agent.port_handle.kill_task(framework_id, task_id, None)  # Mesos kills them on re-registration
            return
        task = framework.tasks.get(task_id) or was_unreachable
        if task is None:
            executor = task_info.get("executor")
            task = Task(task_info, framework_id, agent.id, Resources.from_v1(task_info["resources"]),
                        executor["executor_id"]["value"] if executor else "")
            if executor:
                framework.add_executor(agent.id, executor)
        task.unreachable_time = None
        if status is not None:
            task.state = status["state"]
            task.latest = status
        task.released = releases_resources(task.state)
        if not task.released:
            self._allocator.use(agent.id, task.resources)
        framework.tasks[task_id] = task

    def _reconcile_unreported(self, agent: AgentRecord, running: list[tuple[dict, dict, dict | None]]) -> None:
        """Tasks placed on the agent that it did not report: their launch may have been lost with a broken link, or
        still be on its way. The agent is asked about them behind every message already sent to it, and reports
        those it does not know as dropped (lost to a framework that is not partition-aware)."""
        reported = {(framework_info["id"]["value"], task["task_id"]["value"]) for framework_info, task, _ in running}
        for framework in self._frameworks:
            unreported = [task.info for task in framework.tasks.values() if task.agent_id == agent.id
                          and (framework.id, task.id) not in reported and not is_terminal(task.state)]
            if unreported:
                log.info("agent %s: asking about %d tasks of framework %s it did not report", agent.id,
                         len(unreported), framework.id)
                agent.port_handle.reconcile_tasks(framework.info, unreported)

    # -- agents lost ----------------------------------------------------------------------------------------------
    def unreachable(self, agent: AgentRecord) -> None:
        """The agent stopped answering pings (Liveness)."""
        log.info("agent %s (%s) is unreachable", agent.id, agent.hostname)
        self._agents.mark_unreachable(agent)
        self._lost(agent, lambda framework: (
            ("TASK_UNREACHABLE", True) if framework.capable("PARTITION_AWARE") else ("TASK_LOST", False)),
            "health check timed out", time.time())

    def gone(self, agent: AgentRecord, why: str) -> None:
        log.info("agent %s (%s) removed: %s", agent.id, agent.hostname, why)
        self._agents.mark_removed(agent)
        self._lost(agent, lambda framework: (
            ("TASK_GONE", False) if framework.capable("PARTITION_AWARE") else ("TASK_LOST", False)),
            f"Agent {agent.hostname} removed: {why}", None)

    def _lost(self, agent: AgentRecord, state_for: StateFor, message: str, unreachable_time: float | None) -> None:
        for framework in self._frameworks:
            self._offers.withdraw(framework, rescind=True, agent_id=agent.id)
            framework.executors.pop(agent.id, None)
            for task in [t for t in framework.tasks.values() if t.agent_id == agent.id]:
                state, keep = state_for(framework)
                extra = {"unreachable_time": {"nanoseconds": int(unreachable_time * 1e9)}} if keep else {}
                status = master_status(task.id, state, "REASON_AGENT_REMOVED", message, agent_id={"value": agent.id},
                                       **extra)
                task.enter(state, status["timestamp"], latest=status)
                if keep:
                    framework.make_unreachable(task, unreachable_time)
                else:
                    framework.complete(task)
                framework.send({"type": "UPDATE", "update": {"status": status}})
            framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent.id}}})
        self._allocator.remove_agent(agent.id)
