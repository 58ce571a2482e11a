"""The scheduler calls about running tasks and executors: KILL, RECONCILE, MESSAGE and SHUTDOWN, each passed on to
the task's agent or answered by the master when it cannot be (ACKNOWLEDGE is the forwarder's)."""

from __future__ import annotations

import logging

from mesoslocal.master import reconcile as reconciliation
from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.records import Framework

log = logging.getLogger(__name__)


class AgentCalls:
    """Holds no state; a kill for an agent that cannot be reached now waits in the agent registry."""

    def __init__(self, agents: AgentRegistry) -> None:
        self._agents = agents

    def kill(self, framework: Framework, body: dict) -> None:
        task_id = body["task_id"]["value"]
        task = framework.tasks.get(task_id)
        if task is None:
            self.reconcile(framework, {"tasks": [body]})
            return
        agent = self._agents.get(task.agent_id)
        log.info("framework %s: kill task %s", framework.id, task_id)
        kill_policy = body.get("kill_policy") or task.info.get("kill_policy")
        if agent is None:
            return
        if not agent.active:
            self._agents.defer_kill(agent, framework.id, task_id)
            return
        agent.port_handle.kill_task(framework.id, task_id, kill_policy)

    def reconcile(self, framework: Framework, body: dict) -> None:
        for status in reconciliation.answers(framework, body.get("tasks", []), self._agents):
            framework.send({"type": "UPDATE", "update": {"status": status}})

    def message(self, framework: Framework, body: dict) -> None:
        agent = self._agents.get(body["agent_id"]["value"])
        if agent is not None and agent.active:
            agent.port_handle.framework_message(framework.id, body["executor_id"]["value"], body["data"])

    def shutdown_executor(self, framework: Framework, body: dict) -> None:
        """SHUTDOWN{executor_id, agent_id}: passed on to the agent (which tells the executor); an unknown or
        unreachable agent drops it, as Mesos does."""
        executor_id, agent_id = body["executor_id"]["value"], body["agent_id"]["value"]
        agent = self._agents.get(agent_id)
        if agent is None or not agent.active:
            log.info("framework %s: cannot shut down executor %s on unknown agent %s", framework.id, executor_id,
                     agent_id)
            return
        log.info("framework %s: shutting down executor %s on agent %s", framework.id, executor_id, agent_id)
        agent.port_handle.shutdown_executor(framework.id, executor_id)
