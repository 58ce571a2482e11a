"""Agent loss: pinging agents, marking a silent one unreachable, removing one replaced at the same address,
and telling every framework what became of its tasks there (TASK_UNREACHABLE, TASK_GONE or TASK_LOST).
"""

from __future__ import annotations

import logging
import time

from mesoslocal.master.records import AgentRecord
from mesoslocal.wire.task_status import master_status

log = logging.getLogger("mesoslocal.master")  # one logger name for the whole master, as before the split


class LivenessMixin:
    """Agent health checks of `Master` and the consequences of losing an agent."""

    def _check_agents(self) -> None:
        now = time.monotonic()
        for agent in list(self.agents.values()):
            if agent.state != "active":
                continue
            if agent.port_handle.ping():
                agent.last_pong = now
            elif now - agent.last_pong >= self.agent_timeout:
                self._agent_unreachable(agent)

    def _agent_unreachable(self, agent: AgentRecord) -> None:
        log.info("agent %s (%s) is unreachable", agent.id, agent.hostname)
        agent.state = "unreachable"
        unreachable_time = time.time()
        self._agent_removed(agent, lambda framework: (
            ("TASK_UNREACHABLE", True) if framework.capable("PARTITION_AWARE") else ("TASK_LOST", False)),
            "REASON_AGENT_REMOVED", "health check timed out", unreachable_time)

    def _agent_gone(self, agent: AgentRecord, why: str) -> None:
        log.info("agent %s (%s) removed: %s", agent.id, agent.hostname, why)
        agent.state = "removed"
        self._agent_removed(agent, lambda framework: (
            ("TASK_GONE", False) if framework.capable("PARTITION_AWARE") else ("TASK_LOST", False)),
            "REASON_AGENT_REMOVED", f"Agent {agent.hostname} removed: {why}", None)

    def _agent_removed(self, agent: AgentRecord, state_for, reason: str, message: str,
                       unreachable_time: float | None) -> None:
        for framework in self.frameworks.values():
            self._discard_offers(framework, rescind=True, agent_id=agent.id)
            framework.executors.pop(agent.id, None)
            for task in [t for t in framework.tasks.values() if t.agent_id == agent.id]:
                state, keep = state_for(framework)
                extra = {"unreachable_time": {"nanoseconds": int(unreachable_time * 1e9)}} if keep else {}
                status = master_status(task.id, state, reason, message, agent_id={"value": agent.id}, **extra)
                del framework.tasks[task.id]
                task.state, task.latest = state, status
                task.statuses.append({"state": state, "timestamp": status["timestamp"]})
                if keep:
                    task.unreachable_time = unreachable_time
                    framework.unreachable[task.id] = task
                else:
                    framework.completed.append(task)
                framework.send({"type": "UPDATE", "update": {"status": status}})
            framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent.id}}})
        self.allocator.remove_agent(agent.id)
