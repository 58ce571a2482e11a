"""What `balalaika up` checks before it starts anything: the programs it will run (naming the Debian package
that brings a missing one), the ports it will listen on (naming the flag that moves one that is taken), and
the existing services it was pointed at (--zk, --master, --docker-host).

Every check returns sentences for the user rather than raising, so that all the problems of a setup are
reported together, before any daemon is started and has to be stopped again.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from launchers.docker import busybox_problem, docker_cli

INSTALL_HINT = "bash scripts/install.sh installs every package the stack needs"
SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with its terminating NUL


@dataclass(frozen=True)
class Program:
    """A program (a name on PATH or an absolute path) that a part of the stack runs, and its apt package."""

    path: str
    package: str
    needed_by: str


@dataclass(frozen=True)
class Listener:
    """A port the stack will listen on (on 127.0.0.1), what listens there and the flag that moves it."""

    port: int
    what: str
    flag: str


def missing_programs(programs: Iterable[Program]) -> list[str]:
    problems = []
    for program in programs:
        found = Path(program.path).exists() if os.path.isabs(program.path) else shutil.which(program.path)
        if not found:
            problems.append(f"{program.path} is missing ({program.needed_by} needs it): "
                            f"apt-get install {program.package}")
    return problems


def busybox_problems() -> list[str]:
    """The offline Docker image is made of a statically linked busybox (Debian's busybox-static)."""
    problem = busybox_problem()
    if problem is None:
        return []
    return [f"{problem} (the offline image balalaika/busybox is made from it): apt-get install busybox-static"]


def port_problems(listeners: list[Listener], host: str = "127.0.0.1") -> list[str]:
    """A port given to two parts, taken by another program, or privileged while we are not root."""
    problems = []
    owners: dict[int, Listener] = {}
    for listener in listeners:
        if listener.port in owners:
            first = owners[listener.port]
            problems.append(f"port {listener.port} is given to both {first.what} ({first.flag}) and "
                            f"{listener.what} ({listener.flag}): pass another one to {listener.flag}")
            continue
        owners[listener.port] = listener
    taken = set(owners)
    for listener in owners.values():
        error = bind_error(host, listener.port)
        if error is None:
            continue
        instead = next_free_port(host, listener.port, taken)
        suggestion = f"pass {listener.flag} {instead}" if instead else f"pass another port to {listener.flag}"
        if error == errno.EACCES:
            problems.append(f"port {listener.port} ({listener.what}) is below 1024 and needs root: run as root "
                            f"or {suggestion}")
        else:
            problems.append(f"port {listener.port} ({listener.what}) is in use on {host} (is a `balalaika up` "
                            f"still running?): stop what listens there or {suggestion}")
    return problems


def bind_error(host: str, port: int) -> int | None:
    """errno of binding `port` as a server does (SO_REUSEADDR: connections in TIME_WAIT left by a stack that
    just stopped do not count, a listening socket does), None when the bind works."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno
    return None


def next_free_port(host: str, port: int, taken: set[int], tries: int = 100) -> int | None:
    """The first port after `port` (after 8000 for a privileged port while we are not root) that binds and
    that no other part takes."""
    start = port + 1 if port >= 1024 or os.geteuid() == 0 else 8000
    for candidate in range(start, min(start + tries, 65536)):
        if candidate not in taken and bind_error(host, candidate) is None:
            return candidate
    return None


def socket_path_problems(paths: Iterable[Path], flag: str = "--state-dir") -> list[str]:
    too_long = [path for path in paths if len(str(path)) > SOCKET_PATH_MAX]
    return [f"{path} is longer than a unix socket path may be ({SOCKET_PATH_MAX} bytes): pass a shorter {flag}"
            for path in too_long]


def zookeeper_problem(hosts: str) -> str | None:
    """Whether one of the ZooKeeper servers of a connect string (host:port,...[/chroot]) accepts connections."""
    for server in hosts.split("/", 1)[0].split(","):
        host, colon, port = server.strip().rpartition(":")
        if not colon:
            host, port = server.strip(), "2181"
        try:
            with socket.create_connection((host, int(port)), timeout=2):
                return None
        except (OSError, ValueError):
            continue
    return f"ZooKeeper at {hosts} (--zk) does not accept connections"


def master_problem(master: str) -> str | None:
    """Whether a Mesos master given as host:port answers /version (a zk:// address is left to the scheduler)."""
    if master.startswith("zk://"):
        return None
    url = master if "://" in master else f"http://{master}"
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/version", timeout=5):
            return None
    except OSError as error:
        return f"the Mesos master at {master} (--master) does not answer: {error}"


def docker_problem(host: str) -> str | None:
    """Whether the Docker daemon at `host` (a DOCKER_HOST value) answers the docker CLI."""
    try:
        docker_cli(host, "version", "--format", "{{.Server.Version}}", timeout=15)
    except FileNotFoundError:
        return "the docker command is missing (needed to prepare images): apt-get install docker.io"
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or error.stdout).decode(errors="replace").strip().splitlines()
        return f"Docker at {host} does not answer: {detail[-1] if detail else error}"
    except subprocess.TimeoutExpired:
        return f"Docker at {host} does not answer within 15 s"
    return None


def root_problem(what: str, alternatives: str) -> str | None:
    if os.geteuid() == 0:
        return None
    return f"{what} needs root: run as root, or {alternatives}"
