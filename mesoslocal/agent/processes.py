"""Child processes started off the event loop and reaped through pidfds, so that spawning a thousand tasks never
blocks the loop and no global child watcher is needed.

Every child runs in its own session (its own process group), as the Mesos agent starts executors (notes B3, G12).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)


class LazyThreadPool:
    """A thread pool made on first use; `shutdown()` joins its threads (a cluster calls it when it stops) and the
    next `get()` makes a new one."""

    def __init__(self, max_workers: int, name: str) -> None:
        self.max_workers, self.name = max_workers, name
        self._pool: ThreadPoolExecutor | None = None

    def get(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix=self.name)
        return self._pool

    def shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


_spawner = LazyThreadPool(4, "mesoslocal-spawn")  # fork/exec off the loop
shutdown_spawner = _spawner.shutdown


class Process:
    """A started child: `wait()` for its return code (negative = signal), `signal_group()` to signal its session."""

    def __init__(self, popen: subprocess.Popen) -> None:
        self.popen = popen
        self.pid = popen.pid
        loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = loop.create_future()
        self._pidfd = os.pidfd_open(self.pid)
        loop.add_reader(self._pidfd, self._reap)

    def _reap(self) -> None:
        code = self.popen.poll()
        if code is None:
            return
        asyncio.get_running_loop().remove_reader(self._pidfd)
        os.close(self._pidfd)
        # the leader is gone: take the rest of its session with it, like Mesos destroying the container
        self.signal_group(signal.SIGKILL)
        if not self._exited.done():
            self._exited.set_result(code)

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() else None

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    async def terminate(self, grace_seconds: float) -> int:
        """SIGTERM to the process group, SIGKILL after `grace_seconds`; returns the exit code."""
        if self._exited.done():
            return self._exited.result()
        self.signal_group(signal.SIGTERM if grace_seconds > 0 else signal.SIGKILL)
        try:
            return await asyncio.wait_for(self.wait(), timeout=grace_seconds if grace_seconds > 0 else None)
        except TimeoutError:
            self.signal_group(signal.SIGKILL)
            return await self.wait()


def container_processes(sandbox: Path) -> list[int]:
    """Processes started in the container whose sandbox is `sandbox`, in whatever session they run: those
    whose MESOS_DIRECTORY is it (every process inherits the variable from the executor the agent started;
    a real agent finds them in the container's cgroup instead)."""
    marker = f"MESOS_DIRECTORY={sandbox}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def destroy_container(sandbox: Path) -> int:
    """SIGKILLs every process of the container (twice over, for one that forked meanwhile); returns how many."""
    killed = 0
    for _ in range(2):
        for pid in container_processes(sandbox):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


async def destroy_container_off_loop(sandbox: Path) -> None:
    """destroy_container on the spawner's threads (it reads every process's environment)."""
    killed = await asyncio.get_running_loop().run_in_executor(_spawner.get(), destroy_container, sandbox)
    if killed:
        log.info("container %s: killed %d process(es) left behind", sandbox, killed)


def _popen(argv: list[str], executable: str | None, cwd: Path, env: dict[str, str], stdout: Path,
           stderr: Path) -> subprocess.Popen:
    with open(stdout, "ab") as out, open(stderr, "ab") as err:
        return subprocess.Popen(argv, executable=executable, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True, close_fds=True)


async def spawn(argv: list[str], *, cwd: Path, env: dict[str, str], stdout: Path, stderr: Path,
                executable: str | None = None) -> Process:
    """Start `argv` in a new session; raises OSError when it cannot be executed."""
    popen = await asyncio.get_running_loop().run_in_executor(
        _spawner.get(), _popen, argv, executable, cwd, env, stdout, stderr)
    return Process(popen)


def command_argv(command: dict) -> tuple[list[str], str | None]:
    """argv and executable for a v1 CommandInfo: `sh -c value` when shell (default), else execve(value, arguments)."""
    if command.get("shell", True):
        return ["/bin/sh", "-c", command.get("value", "")], None
    value = command.get("value", "")
    return list(command.get("arguments") or [value]), value


def exit_message(code: int) -> str:
    if code < 0:
        return f"Command terminated with signal {signal.strsignal(-code) or -code}"
    return f"Command exited with status {code}"
