"""The executor's loop: the only code that changes the tasks' state.

The driver's callbacks (executor.adapter) and the probe threads only put events on `events`; `run`
handles them and, every `tick`, reaps ended processes, escalates kills past their grace period, starts
due health probes and decides when the executor's work is over. One task's failure never touches
another: each has its own process group, lifecycle and checks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.checks import HealthPolicy
from executor.lifecycle import FAILED, HEALTH_REASON, KILLING, RUNNING, STARTING, Update, exit_update
from executor.logs import LogPump
from executor.probes import probe
from executor.spec import BadTaskInfo, TaskSpec, read_task
from executor.tasks import LogLimits, RunningTask, spawn

log = logging.getLogger(__name__)
TICK = 0.1


@dataclass(frozen=True)
class Registered:
    killing_state: bool  # the framework has TASK_KILLING_STATE


@dataclass(frozen=True)
class Reregistered:
    pass


@dataclass(frozen=True)
class Disconnected:
    pass


@dataclass(frozen=True)
class Launch:
    task: Mapping[str, Any]


@dataclass(frozen=True)
class Kill:
    task_id: str


@dataclass(frozen=True)
class Shutdown:
    grace: float
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Acknowledged:
    task_id: str


@dataclass(frozen=True)
class ProbeDone:
    task_id: str
    ok: bool
    cause: str


@dataclass(frozen=True)
class Settings:
    sandbox: Path
    logs: LogLimits
    recovery_timeout: float = 900.0  # agent away this long: kill the tasks rather than leave orphans
    idle_exit: float = 2.0  # seconds without tasks before exiting
    first_task_timeout: float = 60.0


class Executor:
    def __init__(self, send: Callable[[dict], None], settings: Settings, events: queue.Queue | None = None,
                 clock: Callable[[], float] = time.monotonic, base_env: Mapping[str, str] | None = None) -> None:
        self.send = send
        self.settings = settings
        self.clock = clock
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.events: queue.Queue = queue.Queue() if events is None else events
        self.tasks: dict[str, RunningTask] = {}
        self.unacked: set[str] = set()  # tasks whose terminal update the agent has not acknowledged
        self.killing_state = False
        self.disconnected_since: float | None = None
        self.idle_since = self.clock()
        self.launched_any = False
        self.shutdown: Shutdown | None = None
        self.pump = LogPump()
        self.probes = ThreadPoolExecutor(max_workers=8, thread_name_prefix="probe")

    def run(self) -> None:
        """Returns when the executor's work is over (no tasks left, SHUTDOWN, or the agent gone for good)."""
        try:
            while not self._finished(self.clock()):
                with contextlib.suppress(queue.Empty):
                    self.handle(self.events.get(timeout=TICK))
                self.tick(self.clock())
        finally:
            self.probes.shutdown(wait=False, cancel_futures=True)
            self.pump.stop()
            if self.shutdown is not None:
                self.shutdown.done.set()

    # --- events ----------------------------------------------------------------------------------

    def handle(self, event: object) -> None:
        now = self.clock()
        match event:
            case Registered(killing_state=killing_state):
                self.killing_state = killing_state
                self.disconnected_since = None
            case Reregistered():
                self.disconnected_since = None
            case Disconnected():
                self.disconnected_since = self.disconnected_since or now
            case Launch(task=task):
                self._launch(task, now)
            case Kill(task_id=task_id):
                self._kill(task_id, now)
            case Shutdown():
                self.shutdown = event
                for task_id in list(self.tasks):
                    self._kill(task_id, now, grace=event.grace * 0.8)
            case Acknowledged(task_id=task_id):
                self.unacked.discard(task_id)
            case ProbeDone():
                self._probed(event, now)

    def _report(self, task: RunningTask, update: Update) -> None:
        task.lifecycle.move(update)
        status: dict[str, Any] = {"task_id": {"value": task.spec.task_id}, "state": update.state}
        if update.message:
            status["message"] = update.message
        if update.reason:
            status["reason"] = update.reason
        if update.healthy is not None:
            status["healthy"] = update.healthy
        if task.lifecycle.terminal:
            self.unacked.add(task.spec.task_id)
            self.tasks.pop(task.spec.task_id, None)
            log.info("task %s: %s %s", task.spec.task_id, update.state, update.message)
        self.send(status)

    def _launch(self, info: Mapping[str, Any], now: float) -> None:
        self.launched_any = True
        task_id = str((info.get("task_id") or {}).get("value") or "")
        try:
            spec = read_task(info)
        except BadTaskInfo as error:
            unnamed = TaskSpec(task_id=task_id or "unknown", argv=())
            placeholder = RunningTask(spec=unnamed, workdir=self.settings.sandbox)
            self._report(placeholder, Update(FAILED, f"Cannot run this task: {error}", "REASON_TASK_INVALID"))
            return
        if spec.task_id in self.tasks:
            log.warning("task %s is launched already; ignoring a second LAUNCH", spec.task_id)
            return
        task = RunningTask(spec=spec, workdir=self.settings.sandbox / "tasks" / spec.task_id)
        self.tasks[spec.task_id] = task
        self._report(task, Update(STARTING))
        try:
            task.process = spawn(spec, task.workdir, self.settings.sandbox, self.base_env, self.pump,
                                 self.settings.logs)
        except OSError as error:
            self._report(task, Update(FAILED, f"Failed to start the command: {error}",
                                      "REASON_COMMAND_EXECUTOR_FAILED"))
            return
        if spec.check is not None:
            task.health = HealthPolicy(spec.check, now)
        self._report(task, Update(RUNNING))

    def _kill(self, task_id: str, now: float, grace: float | None = None) -> None:
        task = self.tasks.get(task_id)
        if task is None:
            log.info("kill of task %s, which this executor does not run", task_id)
            return
        if task.kill_requested:
            return
        task.kill_requested = True
        if self.killing_state and task.lifecycle.can(KILLING):
            self._report(task, Update(KILLING))
        task.signal(signal.SIGTERM)
        task.kill_deadline = now + min(task.spec.kill_grace, grace if grace is not None else task.spec.kill_grace)

    def _probed(self, result: ProbeDone, now: float) -> None:
        task = self.tasks.get(result.task_id)
        if task is None or task.health is None:
            return
        task.probing = False
        if task.kill_requested:
            return
        verdict = task.health.result(result.ok, now, result.cause)
        if verdict.report is not None and task.lifecycle.state == RUNNING:
            message = "" if verdict.report else f"health check failed: {verdict.cause}"
            self._report(task, Update(RUNNING, message, HEALTH_REASON, healthy=verdict.report))
        if verdict.kill:
            log.warning("task %s failed %d health checks in a row: killing it", result.task_id,
                        task.health.failures)
            task.health_killed = True
            self._kill(result.task_id, now)

    # --- timers ----------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        for task in list(self.tasks.values()):
            code = task.reap()
            if code is not None:
                self._report(task, exit_update(code, kill_requested=task.kill_requested,
                                               health_killed=task.health_killed))
                continue
            if task.kill_deadline is not None and now >= task.kill_deadline:
                log.warning("task %s outlived its kill grace period: SIGKILL", task.spec.task_id)
                task.signal(signal.SIGKILL)
                task.kill_deadline = None
            if task.health is not None and not task.probing and not task.kill_requested and task.health.due(now):
                self._start_probe(task, now)
        if self.tasks:
            self.idle_since = now
        if self.disconnected_since is not None and now - self.disconnected_since > self.settings.recovery_timeout:
            log.error("the agent has been away for %.0fs: killing every task", now - self.disconnected_since)
            for task_id in list(self.tasks):
                self._kill(task_id, now)

    def _start_probe(self, task: RunningTask, now: float) -> None:
        assert task.health is not None
        task.probing = True
        task.health.probed(now)
        env = {**self.base_env, **task.spec.env}
        future = self.probes.submit(probe, task.health.spec, env, str(task.workdir))
        task_id = task.spec.task_id
        future.add_done_callback(lambda done: self.events.put(ProbeDone(task_id, *_result(done))))

    def _finished(self, now: float) -> bool:
        if self.tasks:
            return False
        if self.shutdown is not None:
            return True
        if self.disconnected_since is not None and now - self.disconnected_since > self.settings.recovery_timeout:
            return True
        if not self.launched_any:
            return now - self.idle_since > self.settings.first_task_timeout
        return not self.unacked and now - self.idle_since > self.settings.idle_exit


def _result(done: Any) -> tuple[bool, str]:
    try:
        return done.result()
    except Exception as error:  # a probe that broke is a failed probe, not a dead loop
        return False, f"probe error: {error}"
