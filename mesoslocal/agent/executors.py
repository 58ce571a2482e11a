"""A custom executor process on an agent (notes D2, B): started in its own session with the D3 environment, its
tasks queued until it SUBSCRIBEs on the agent's `/api/v1/executor`, shut down with a grace period."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Protocol

from mesoslocal.agent import fetcher
from mesoslocal.agent.processes import Process, command_argv, destroy_container_off_loop, spawn
from mesoslocal.agent.task_run import TaskRun
from mesoslocal.wire.streams import EventStream

log = logging.getLogger(__name__)


def parse_duration(text: str) -> float:
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "secs": 1.0, "mins": 60.0, "hrs": 3600.0}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


class ExecutorHost(Protocol):
    """What an executor run needs of the agent that hosts it (`agent.Agent` is one)."""

    id: str

    def info(self) -> dict: ...
    def runs_of(self, framework_id: str, executor_id: str) -> list[TaskRun]: ...
    def send_update(self, run: TaskRun, state: str, **fields: object) -> None: ...
    def executor_exited(self, executor: ExecutorRun, wait_status: int | None) -> None: ...
    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task: ...


class ExecutorRun:
    def __init__(self, agent: ExecutorHost, framework_info: dict, executor_info: dict, container_id: str,
                 sandbox: Path, env: dict[str, str], *, fetch_timeout: float, registration_timeout: float) -> None:
        self.agent = agent
        self.fetch_timeout, self.registration_timeout = fetch_timeout, registration_timeout
        self.framework_info = framework_info
        self.info = executor_info
        self.framework_id = framework_info["id"]["value"]
        self.executor_id = executor_info["executor_id"]["value"]
        self.container_id = container_id
        self.sandbox = sandbox
        self.env = env
        self.process: Process | None = None
        self.stream: EventStream | None = None
        self.pending: list[TaskRun] = []
        self.registration_timed_out = False
        self.shutting_down = False

    async def run(self) -> None:
        try:
            await fetcher.fetch(self.info["command"].get("uris", []), self.sandbox, self.container_id,
                                timeout=self.fetch_timeout)
        except fetcher.FetchFailed as error:
            self._launch_failed(str(error))
            return
        if self.shutting_down:  # shut down before it started: there is nothing to run
            self.agent.executor_exited(self, None)
            return
        argv, executable = command_argv(self.info["command"])
        try:
            self.process = await spawn(argv, executable=executable, cwd=self.sandbox, env=self.env,
                                       stdout=self.sandbox / "stdout", stderr=self.sandbox / "stderr")
        except OSError as error:
            self._launch_failed(str(error))
            return
        if self.shutting_down:  # SHUTDOWN arrived while it was being started
            self.process.signal_group(9)
        log.info("agent %s: framework %s executor %s started (pid %d)", self.agent.id, self.framework_id,
                 self.executor_id, self.process.pid)
        timer = asyncio.get_running_loop().call_later(self.registration_timeout,
                                                      self._registration_timeout)
        try:
            code = await self.process.wait()
        finally:
            timer.cancel()
        if self.stream is not None:
            self.stream.close()
        # the executor's container goes with it, tasks in their own sessions included (as a cgroup would)
        await destroy_container_off_loop(self.sandbox)
        log.info("agent %s: executor %s exited with %d", self.agent.id, self.executor_id, code)
        self.agent.executor_exited(self, (code << 8) if code >= 0 else -code)

    def _launch_failed(self, error: str) -> None:
        log.info("agent %s: executor %s failed to start: %s", self.agent.id, self.executor_id, error)
        for run in self.pending:
            self.agent.send_update(run, "TASK_FAILED", source="SOURCE_AGENT", reason="REASON_CONTAINER_LAUNCH_FAILED",
                                   message=f"Failed to launch container: {error}")
        self.pending.clear()
        self.agent.executor_exited(self, None)

    def _registration_timeout(self) -> None:
        if self.stream is None and self.process is not None:
            self.registration_timed_out = True
            self.process.signal_group(9)

    # -- events to the executor ----------------------------------------------------------------------------
    def send(self, event: dict) -> None:
        if self.stream is not None:
            self.stream.send(event)

    def queue(self, run: TaskRun) -> None:
        if self.stream is None:
            self.pending.append(run)
        else:
            self._launch(run)

    def _launch(self, run: TaskRun) -> None:
        run.launched = True
        self.send({"type": "LAUNCH", "launch": {"task": run.info}})

    def subscribe(self, stream: EventStream, unacknowledged_tasks: list[dict]) -> None:
        if self.stream is not None:
            self.stream.close()
        first = self.stream is None and not any(r.launched for r in self._runs())
        self.stream = stream
        stream.send({"type": "SUBSCRIBED", "subscribed": {
            "executor_info": self.info, "framework_info": self.framework_info, "agent_info": self.agent.info(),
            "container_id": {"value": self.container_id}}})
        if not first:  # a re-subscription: tasks still STAGING that the executor does not know are lost
            known = {t.get("task_id", {}).get("value") for t in unacknowledged_tasks}
            for run in self._runs():
                if run.launched and run.state == "TASK_STAGING" and run.id not in known:
                    self.agent.send_update(run, "TASK_LOST", source="SOURCE_AGENT", reason="REASON_AGENT_RESTARTED",
                                           message="Task launched during agent restart")
        pending, self.pending = self.pending, []
        for run in pending:
            self._launch(run)

    def _runs(self) -> list[TaskRun]:
        return self.agent.runs_of(self.framework_id, self.executor_id)

    def deliver_kill(self, run: TaskRun) -> bool:
        """Pass KILL on; False when the task was never delivered (the agent then reports it killed)."""
        if run in self.pending:
            self.pending.remove(run)
            return False
        self.send({"type": "KILL", "kill": {"task_id": run.info["task_id"]}})
        return True

    def shutdown(self) -> None:
        """SHUTDOWN, then destroy the process group after the executor's shutdown grace period (C10)."""
        if self.shutting_down:
            return
        self.shutting_down = True
        if self.stream is None:  # not subscribed (yet): nothing can be told, the container goes at once
            grace = 0.0
        else:
            self.send({"type": "SHUTDOWN"})
            grace = parse_duration(self.env.get("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs"))
        log.info("agent %s: executor %s shut down, killed in %gs unless it exits", self.agent.id,
                 self.executor_id, grace)
        self.agent.spawn(self.destroy(grace))

    async def destroy(self, grace: float) -> None:
        if self.process is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), timeout=grace) if grace > 0 else None
        self.process.signal_group(9)
        await self.process.wait()
        await destroy_container_off_loop(self.sandbox)
