"""Command tasks (`TaskInfo.command`) as real processes, the way Mesos's command executor runs them (D2)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from mesoslocal.agent.processes import Process, command_argv, exit_message, spawn
from mesoslocal.agent.runner import LaunchError, TaskExit

log = logging.getLogger(__name__)


def environment_of(command: dict) -> dict[str, str]:
    return {v["name"]: v.get("value", "") for v in command.get("environment", {}).get("variables", [])}


class CommandTaskRunner:
    """Implements `runner.TaskRunner` for a command in the sandbox, with stdout/stderr files there."""

    def __init__(self, task_info: dict, *, sandbox: Path, env: dict[str, str], agent_ip: str) -> None:
        self.task_info = task_info
        self.sandbox = sandbox
        self.env = env
        self.agent_ip = agent_ip
        self.process: Process | None = None

    async def start(self) -> None:
        argv, executable = command_argv(self.task_info["command"])
        try:
            self.process = await spawn(argv, executable=executable, cwd=self.sandbox, env=self.env,
                                       stdout=self.sandbox / "stdout", stderr=self.sandbox / "stderr")
        except OSError as error:
            raise LaunchError(str(error)) from error

    async def wait(self) -> TaskExit:
        assert self.process is not None
        code = await self.process.wait()
        return TaskExit(code if code >= 0 else None, -code if code < 0 else None, exit_message(code))

    async def kill(self, grace_seconds: float) -> None:
        if self.process is not None:
            await self.process.terminate(grace_seconds)

    @property
    def ip_address(self) -> str:
        return self.agent_ip

    @property
    def check_host(self) -> str:
        return self.agent_ip

    async def run_check_command(self, argv_or_shell: dict) -> int:
        argv, executable = command_argv(argv_or_shell)
        env = dict(self.env, **environment_of(argv_or_shell))
        process = await spawn(argv, executable=executable, cwd=self.sandbox, env=env,
                              stdout=self.sandbox / "health_stdout", stderr=self.sandbox / "health_stderr")
        try:
            return await process.wait()
        except asyncio.CancelledError:
            process.signal_group(9)
            raise
