"""Task states and the TaskStatus dicts that master and agents send (notes C6, F)."""

from __future__ import annotations

import time

from mesoslocal.wire.ids import new_update_uuid

# Mesos's terminal states (notes C6). TASK_UNKNOWN is not one: it is only an answer to RECONCILE about a task the
# master does not know, never a state a task is in, so nothing here may treat it as "the task has ended".
#
# framework/deploy/taskstate.py keeps a second set, on purpose: mesoslocal stands in for Mesos and imports no other
# package of ours (the framework is its client, not its library), and the two answer different questions. This one
# decides when the master frees a task's resources and, once the update is acknowledged, forgets the task; the
# scheduler's decides when it stops waiting for a task to run again, which is also true after TASK_UNKNOWN.
TERMINAL_STATES = frozenset({"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED",
                             "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_LOST"})


def is_terminal(state: str) -> bool:
    return state in TERMINAL_STATES


def releases_resources(state: str) -> bool:
    """Mesos frees a task's resources once its latest state is terminal or unreachable."""
    return state in TERMINAL_STATES or state == "TASK_UNREACHABLE"


def master_status(task_id: str, state: str, reason: str, message: str, **fields: object) -> dict:
    """A master-generated update: SOURCE_MASTER, no uuid, never retried (C6)."""
    status = {"task_id": {"value": task_id}, "state": state, "source": "SOURCE_MASTER", "reason": reason,
              "message": message, "timestamp": time.time()}
    status.update({k: v for k, v in fields.items() if v is not None})
    return status


def agent_status(task_id: str, state: str, *, agent_id: str, executor_id: str, source: str = "SOURCE_EXECUTOR",
                 reason: str | None = None, message: str | None = None, **fields: object) -> dict:
    """An agent/executor update: always `uuid` together with `agent_id` (G8)."""
    status = {"task_id": {"value": task_id}, "state": state, "source": source,
              "agent_id": {"value": agent_id}, "executor_id": {"value": executor_id},
              "timestamp": time.time(), "uuid": new_update_uuid()}
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    status.update({k: v for k, v in fields.items() if v is not None})
    return status


def container_status(container_id: str, ip: str) -> dict:
    return {"container_id": {"value": container_id},
            "network_infos": [{"ip_addresses": [{"protocol": "IPv4", "ip_address": ip}]}]}
