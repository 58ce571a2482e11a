"""The scheduler calls about running tasks and executors: KILL, RECONCILE, ACKNOWLEDGE, MESSAGE and
SHUTDOWN, each passed on to the task's agent (or answered by the master when it cannot be).
"""

from __future__ import annotations

import logging

from mesoslocal.master import reconcile as reconciliation
from mesoslocal.master.records import Framework
from mesoslocal.wire.task_status import is_terminal

log = logging.getLogger("mesoslocal.master")  # one logger name for the whole master, as before the split


class CallsMixin:
    """Task and executor calls of `Master` that go on to an agent."""

    def kill(self, framework: Framework, body: dict) -> None:
        task_id = body["task_id"]["value"]
        task = framework.tasks.get(task_id)
        if task is None:
            self.reconcile(framework, {"tasks": [body]})
            return
        agent = self.agents.get(task.agent_id)
        log.info("framework %s: kill task %s", framework.id, task_id)
        kill_policy = body.get("kill_policy") or task.info.get("kill_policy")
        if agent is None:
            return
        if agent.state != "active":
            agent.pending_kills.append((framework.id, task_id))
            return
        agent.port_handle.kill_task(framework.id, task_id, kill_policy)

    def reconcile(self, framework: Framework, body: dict) -> None:
        for status in reconciliation.answers(framework, body.get("tasks", []), self.agents):
            framework.send({"type": "UPDATE", "update": {"status": status}})

    def acknowledge(self, framework: Framework, body: dict) -> None:
        task_id, uuid = body["task_id"]["value"], body["uuid"]
        agent = self.agents.get(body["agent_id"]["value"])
        if agent is None or agent.state != "active":
            return
        agent.port_handle.acknowledge(framework.id, task_id, uuid)
        task = framework.tasks.get(task_id)
        if task is not None and is_terminal(task.sent_uuids.pop(uuid, "")):
            del framework.tasks[task_id]
            framework.completed.append(task)

    def message(self, framework: Framework, body: dict) -> None:
        agent = self.agents.get(body["agent_id"]["value"])
        if agent is not None and agent.state == "active":
            agent.port_handle.framework_message(framework.id, body["executor_id"]["value"], body["data"])

    def shutdown_executor(self, framework: Framework, body: dict) -> None:
        """SHUTDOWN{executor_id, agent_id}: passed on to the agent (which tells the executor); an unknown or
        unreachable agent drops it, as Mesos does."""
        executor_id, agent_id = body["executor_id"]["value"], body["agent_id"]["value"]
        agent = self.agents.get(agent_id)
        if agent is None or agent.state != "active":
            log.info("framework %s: cannot shut down executor %s on unknown agent %s", framework.id, executor_id,
                     agent_id)
            return
        log.info("framework %s: shutting down executor %s on agent %s", framework.id, executor_id, agent_id)
        agent.port_handle.shutdown_executor(framework.id, executor_id)
