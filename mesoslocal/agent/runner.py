"""Types shared by the task runners of an agent (command processes, Docker containers).

An agent drives every task through the `TaskRunner` protocol: start it, wait for its exit, kill it with a
grace period, and run health checks against it. `command_runner.CommandTaskRunner` and
`docker_runner.DockerTaskRunner` implement it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class LaunchError(Exception):
    """The task could not be started; the agent reports TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED."""


@dataclass(frozen=True)
class TaskExit:
    """How a task ended. `message` reads like Mesos's: "Command exited with status 1",
    "Command terminated with signal Killed"."""

    exit_code: int | None
    signal: int | None
    message: str


class TaskRunner(Protocol):
    async def start(self) -> None:
        """Start the task; raises LaunchError when it cannot."""

    async def wait(self) -> TaskExit:
        """Block until the task has exited."""

    async def kill(self, grace_seconds: float) -> None:
        """SIGTERM (or docker stop), then SIGKILL after `grace_seconds`."""

    @property
    def ip_address(self) -> str:
        """The IP reported in container_status.network_infos."""

    @property
    def check_host(self) -> str:
        """Where HTTP/TCP health checks connect."""

    async def run_check_command(self, argv_or_shell: dict) -> int:
        """Run a COMMAND health check (a v1 CommandInfo dict) next to the task; returns its exit code."""
