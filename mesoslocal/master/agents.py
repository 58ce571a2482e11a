"""Agent → master messages: (re-)registration with the tasks an agent still runs, status updates
forwarded to the schedulers (notes C6), executor exits and executor messages.

These methods and `AgentPort` are the whole interface between the master and an agent, so an agent could
live in another process.
"""

from __future__ import annotations

import asyncio
import logging

from mesoslocal.master.records import AgentPort, AgentRecord, Framework, Task
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.task_status import releases_resources

log = logging.getLogger("mesoslocal.master")  # one logger name for the whole master, as before the split


class AgentsMixin:
    """What `Master` does when an agent speaks."""

    def register_agent(self, port_handle: AgentPort, *, hostname: str, ip: str, port: int,
                       attributes: list[dict], total: Resources, agent_id: str | None = None,
                       running: list[tuple[dict, dict, dict | None]] = ()) -> str:
        """(Re-)register an agent. `running` lists (framework_info, task, latest_status) it still runs."""
        agent_id = agent_id or self.ids.agent()
        previous = self.agents.get(agent_id)
        for other in list(self.agents.values()):
            if other.id != agent_id and other.ip == ip and other.port == port and other.state != "removed":
                self._agent_gone(other, "a new agent registered at the same address")
        record = AgentRecord(agent_id, hostname, ip, port, attributes, total, port_handle)
        self.agents[agent_id] = record
        self.allocator.add_agent(agent_id, total)
        for framework_info, task_info, status in running:
            self._recover_task(record, previous, framework_info, task_info, status)
        if previous is not None:
            for framework_id, task_id in previous.pending_kills:
                framework = self.frameworks.get(framework_id)
                if framework is not None and task_id in framework.tasks:
                    port_handle.kill_task(framework_id, task_id, None)
        log.info("agent %s (%s) %s", agent_id, hostname, "re-registered" if previous or running else "registered")
        self.schedule_allocation()
        return agent_id

    def _recover_task(self, agent: AgentRecord, previous: AgentRecord | None, framework_info: dict,
                      task_info: dict, status: dict | None) -> None:
        framework_id = framework_info["id"]["value"]
        task_id = task_info["task_id"]["value"]
        framework = self.frameworks.get(framework_id)
        if framework_id in self.removed_framework_ids:
            agent.port_handle.shutdown_framework(framework_id)
            return
        if framework is None:  # after a master failover: wait for the scheduler to re-subscribe
            framework = Framework(framework_id, dict(framework_info), recovered=True)
            self.frameworks[framework_id] = framework
            self.allocator.add_framework(framework_id)
            self.allocator.set_active(framework_id, False)
            framework.failover_handle = asyncio.get_running_loop().call_later(
                float(framework_info.get("failover_timeout", 0.0)), self._failover_expired, framework_id)
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
                framework.executors.setdefault(agent.id, {})[executor["executor_id"]["value"]] = executor
        task.unreachable_time = None
        if status is not None:
            task.state = status["state"]
            task.latest = status
        task.released = releases_resources(task.state)
        if not task.released:
            self.allocator.use(agent.id, task.resources)
        framework.tasks[task_id] = task

    def status_update(self, agent_id: str, framework_id: str, status: dict, latest_state: str) -> None:
        """An agent forwards the head of a task's update queue (C6 step 4)."""
        framework = self.frameworks.get(framework_id)
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
                self.allocator.release(agent_id, task.resources)
                self.schedule_allocation()
        log.info("framework %s: task %s %s (latest %s)", framework_id, task_id, status["state"], latest_state)
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, wait_status: int | None) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        executor = framework.executors.get(agent_id, {}).pop(executor_id, None)
        if executor is not None:
            self.allocator.release(agent_id, Resources.from_v1(executor.get("resources", [])))
            self.schedule_allocation()
        if wait_status is not None:
            log.info("framework %s: executor %s on agent %s exited (%s)", framework_id, executor_id, agent_id,
                     wait_status)
            framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent_id},
                                                           "executor_id": {"value": executor_id},
                                                           "status": wait_status}})

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: str) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None:
            framework.send({"type": "MESSAGE", "message": {"agent_id": {"value": agent_id},
                                                           "executor_id": {"value": executor_id}, "data": data}})
