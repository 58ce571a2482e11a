"""One task's process: its own session (so a signal reaches everything it started), its own directory
under the executor's sandbox, its output through the log pump. The OS calls live here, the decisions
in lifecycle.py and checks.py.

If the executor itself dies, its tasks are not orphans for long: the agent destroys the executor's
container, every process in it (a cgroup on Mesos). No preexec hook marks the tasks for that: one would
stop Python from starting them with vfork, which costs a 1,000-task launch a third of its speed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from executor.checks import HealthPolicy
from executor.lifecycle import Lifecycle
from executor.logs import LogPump, RotatingFile
from executor.spec import TaskSpec

# what the executor itself keeps in its sandbox; everything else there came from the fetcher
OWN_ENTRIES = frozenset({"tasks", "stdout", "stderr"})


@dataclass(frozen=True)
class LogLimits:
    max_bytes: int
    keep: int


@dataclass
class RunningTask:
    spec: TaskSpec
    workdir: Path
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    process: subprocess.Popen | None = None
    health: HealthPolicy | None = None
    kill_deadline: float | None = None  # when SIGTERM escalates to SIGKILL
    kill_requested: bool = False
    health_killed: bool = False
    probing: bool = False

    def signal(self, sig: int) -> None:
        """Signals the task's whole process group (what it started too)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)

    def reap(self) -> int | None:
        """The exit code once the task's process ended (then anything left in its group is killed)."""
        if self.process is None:
            return None
        code = self.process.poll()
        if code is not None:
            self.signal(signal.SIGKILL)
        return code


def spawn(spec: TaskSpec, workdir: Path, sandbox: Path, base_env: Mapping[str, str], pump: LogPump,
          limits: LogLimits) -> subprocess.Popen:
    """Starts the task in `workdir`; raises OSError when it cannot be started."""
    workdir.mkdir(parents=True, exist_ok=True)
    _link_fetched(sandbox, workdir)
    env = {**base_env, **spec.env, "MESOS_SANDBOX": str(workdir)}
    pipes = [os.pipe(), os.pipe()]
    try:
        process = subprocess.Popen(spec.argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                   stdout=pipes[0][1], stderr=pipes[1][1], start_new_session=True)
    except OSError:
        for read, write in pipes:
            os.close(read)
            os.close(write)
        raise
    for (read, write), name in zip(pipes, ("stdout", "stderr"), strict=True):
        os.close(write)
        pump.add(read, RotatingFile(workdir / name, limits.max_bytes, limits.keep))
    return process


def _link_fetched(sandbox: Path, workdir: Path) -> None:
    """Makes the executor sandbox's fetched files (the app's uris, fetched once per executor) visible in the
    task's directory, where Marathon apps expect them."""
    for entry in sandbox.iterdir():
        target = workdir / entry.name
        if entry.name in OWN_ENTRIES or entry.name.startswith(".") or target.exists():
            continue
        target.symlink_to(entry)
