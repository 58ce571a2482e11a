"""Answers to RECONCILE (notes C8): master-generated updates, REASON_RECONCILIATION, no uuid."""

from __future__ import annotations

from collections.abc import Iterator

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.records import Framework, Task
from mesoslocal.wire.task_status import master_status

REASON = "REASON_RECONCILIATION"


def _latest(task: Task) -> dict:
    fields: dict = {"agent_id": {"value": task.agent_id}}
    latest = task.latest or {}
    if task.executor_id or "executor_id" in latest:
        fields["executor_id"] = latest.get("executor_id") or {"value": task.executor_id}
    for key in ("healthy", "container_status", "labels"):
        if key in latest:
            fields[key] = latest[key]
    if task.unreachable_time is not None:
        fields["unreachable_time"] = {"nanoseconds": int(task.unreachable_time * 1e9)}
    return master_status(task.id, task.state, REASON, "Reconciliation: Latest task state", **fields)


def answers(framework: Framework, tasks: list[dict], agents: AgentRegistry) -> Iterator[dict]:
    """The updates for a RECONCILE of `tasks` ([] = implicit: every active task)."""
    if not tasks:
        for task in framework.tasks.values():
            yield _latest(task)
        return
    aware = framework.capable("PARTITION_AWARE")
    for item in tasks:
        task_id = item["task_id"]["value"]
        task = framework.find(task_id)
        if task is not None:
            yield _latest(task)
            continue
        agent_id = item.get("agent_id", {}).get("value")
        agent = agents.get(agent_id)
        if agent is None:
            state, message = ("TASK_UNKNOWN" if aware else "TASK_LOST"), "Reconciliation: Task is unknown"
        elif agent.state == "active":
            state, message = ("TASK_GONE" if aware else "TASK_LOST"), "Reconciliation: Task is unknown to the agent"
        elif agent.state == "unreachable":
            state, message = ("TASK_UNREACHABLE" if aware else "TASK_LOST"), "Reconciliation: Task is unreachable"
        else:
            state, message = ("TASK_GONE_BY_OPERATOR" if aware else "TASK_LOST"), "Reconciliation: Task is gone"
        fields = {"agent_id": {"value": agent_id}} if agent_id else {}
        yield master_status(task_id, state, REASON, message, **fields)
