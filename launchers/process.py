"""Starting and stopping daemons (of `balalaika up`, balalaika-lb and the tests), by PID, with deadlines."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

from launchers.waiting import wait_for


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the kernel's choice, so parallel tests do not collide)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Daemon:
    """A child process in its own session whose output goes to a log file."""

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "daemon not started"
        return self.process.pid

    def start(self) -> Daemon:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it for its lifetime
        try:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            cwd=self.cwd, start_new_session=True)
        finally:
            log.close()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Signals the process, escalating to SIGKILL after `timeout`, and reaps it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def children(pid: int) -> list[int]:
    """PIDs of the direct children of `pid`, forked by any of its threads ([] once it is gone): gunicorn's
    workers, an agent's tasks, which outlive a parent killed hard and must be stopped by PID too."""
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    found: list[int] = []
    for thread in threads:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            found += [int(child) for child in (thread / "children").read_text().split()]
    return found


def pid_alive(pid: int) -> bool:
    """Whether a process of that PID exists (ours or not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, timeout: float = 10.0) -> None:
    """Waits for a process that is not our child (e.g. a daemon's worker) to disappear."""
    wait_for(lambda: not pid_alive(pid), timeout, f"process {pid} to exit")
