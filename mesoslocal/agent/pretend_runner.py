"""Pretended command tasks: an agent that only says it runs them (`mesos-local --pretend-tasks`).

A process per task caps a one-box stack at a few thousand tasks; the scale bench needs 100,000. In this mode a
command task (`TaskInfo.command`, no executor, not a Docker container) starts no process and creates no sandbox:
the agent reports TASK_STARTING and TASK_RUNNING as for a real one, keeps the task until it is killed (then TASK_KILLED,
"Command terminated with signal Terminated") and reconciles, re-registers and shows it in /state as usual, so a
framework cannot tell from the wire. Command health checks pass at once; an HTTP or TCP check finds nothing
listening. Docker tasks and tasks with an executor still run for real.
"""

from __future__ import annotations

import asyncio
import signal

from mesoslocal.agent.processes import exit_message
from mesoslocal.agent.runner import TaskExit


def pretends(task_info: dict) -> bool:
    """Whether a pretending agent skips this task's process: a plain command task."""
    return ("command" in task_info and "executor" not in task_info
            and task_info.get("container", {}).get("type") != "DOCKER")


class PretendTaskRunner:
    """Implements `runner.TaskRunner` without a process: the task "runs" until `kill`."""

    def __init__(self, agent_ip: str) -> None:
        self.agent_ip = agent_ip
        self._killed = asyncio.Event()

    async def start(self) -> None:
        """Nothing to start."""

    async def wait(self) -> TaskExit:
        await self._killed.wait()
        return TaskExit(None, signal.SIGTERM, exit_message(-signal.SIGTERM))

    async def kill(self, grace_seconds: float) -> None:
        self._killed.set()

    @property
    def ip_address(self) -> str:
        return self.agent_ip

    check_host = ip_address  # HTTP and TCP checks go to the agent's address, where nothing listens for the task

    async def run_check_command(self, argv_or_shell: dict) -> int:
        return 0
