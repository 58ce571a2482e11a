"""An HAProxy process in master-worker mode, driven through its master CLI socket.

Master-worker mode lets a reload keep the listening sockets (the new worker inherits them), which is what
makes reloads hitless; the master socket gives both reload and the runtime API of the current worker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from launchers.process import Daemon, wait_gone
from launchers.waiting import GiveUp, WaitTimeout, wait_for


class HAProxyError(RuntimeError):
    """HAProxy refused a configuration or a command."""


def check_config(config: Path, binary: str = "haproxy", timeout: float = 30.0) -> None:
    """Raises HAProxyError with HAProxy's own message when `config` is not valid."""
    result = subprocess.run([binary, "-c", "-q", "-f", str(config)], capture_output=True, text=True,
                            timeout=timeout, check=False)
    if result.returncode != 0:
        raise HAProxyError((result.stdout + result.stderr).strip() or f"haproxy -c exited {result.returncode}")


class HAProxy:
    """One master-worker HAProxy reading `config`, with its master socket and logs in `home`."""

    def __init__(self, config: Path, home: Path, binary: str = "haproxy", master_socket: Path | None = None) -> None:
        self.config = config
        self.home = home
        self.binary = binary
        self.master_socket = master_socket or home / "master.sock"
        self.daemon: Daemon | None = None

    def answers(self) -> bool:
        """Whether an HAProxy master already listens on the master socket (one we may drive)."""
        try:
            return "master" in self.master_command("show proc", timeout=2.0)
        except OSError:
            return False

    def start(self, timeout: float = 15.0) -> HAProxy:
        check_config(self.config, self.binary)
        argv = [self.binary, "-W", "-db", "-S", f"{self.master_socket},mode,600", "-f", str(self.config)]
        self.daemon = Daemon(argv, self.home / "haproxy.log").start()
        wait_for(self._worker_ready, timeout, "haproxy's first worker")
        return self

    def _worker_ready(self) -> bool:
        if self.daemon is None or not self.daemon.alive():
            raise GiveUp(f"haproxy exited:\n{self.daemon.log_tail() if self.daemon else ''}")
        return bool(self.worker_pids())

    def master_command(self, command: str, timeout: float = 10.0) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(self.master_socket))
            conn.sendall(command.encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)  # the CLI answers and closes once the client has finished
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def runtime_command(self, command: str) -> str:
        """A runtime API command (show stat, set server ...) sent to the current worker."""
        return self.master_command(f"@1 {command}")

    def worker_pids(self) -> list[int]:
        """PIDs of the current (not the old, draining) workers, from `show proc`."""
        pids = []
        section = ""
        for line in self.master_command("show proc").splitlines():
            if line.startswith("# "):
                section = line  # "# workers", then "# old workers" while old ones drain
                continue
            fields = line.split()
            if section == "# workers" and len(fields) >= 2 and fields[1] == "worker" and fields[0].isdigit():
                pids.append(int(fields[0]))
        return pids

    def master_pid(self) -> int | None:
        """PID of the master answering on the master socket (from `show proc`), None when none answers."""
        try:
            answer = self.master_command("show proc", timeout=2.0)
        except OSError:
            return None
        for line in answer.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[1] == "master" and fields[0].isdigit():
                return int(fields[0])
        return None

    def stop_master(self, timeout: float = 15.0) -> bool:
        """Stops the HAProxy answering on the master socket, whoever started it (for example one that a
        restarted balalaika-lb drove without starting it); returns whether there was one."""
        pid = self.master_pid()
        if pid is None:
            return False
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return True
        try:
            wait_gone(pid, timeout)
        except WaitTimeout:  # it ignored SIGTERM
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, 10)
        return True

    def reload(self, timeout: float = 15.0) -> None:
        """Validates the config, then reloads; returns once a new worker serves it."""
        check_config(self.config, self.binary)
        before = set(self.worker_pids())
        self.master_command("reload")
        wait_for(lambda: set(self.worker_pids()) - before, timeout, "a new haproxy worker after reload")

    def stop(self, timeout: float = 15.0) -> None:
        if self.daemon is not None:
            self.daemon.stop(timeout=timeout)
