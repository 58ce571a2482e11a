"""`balalaika up`'s checks before it starts anything: each problem is named with what to do about it."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

import pytest

from cli import preflight, up
from cli.up import Plan
from launchers.docker import is_static_executable
from launchers.process import free_port


def test_a_port_in_use_names_the_part_its_flag_and_a_free_port() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        [problem] = preflight.port_problems([preflight.Listener(port, "the API", "--api-port")])
    assert problem.startswith(f"port {port} (the API) is in use on 127.0.0.1")
    suggested = int(problem.rsplit("--api-port ", 1)[1])
    assert suggested > port and preflight.bind_error("127.0.0.1", suggested) is None


def test_a_port_given_twice_is_named_once_with_both_parts() -> None:
    port = free_port()
    problems = preflight.port_problems([preflight.Listener(port, "the API", "--api-port"),
                                        preflight.Listener(port, "HAProxy's stats", "--stats-port")])
    assert problems == [f"port {port} is given to both the API (--api-port) and HAProxy's stats (--stats-port): "
                        "pass another one to --stats-port"]


def test_free_ports_and_the_suggestion_skip_ports_other_parts_take() -> None:
    port = free_port()
    assert preflight.port_problems([preflight.Listener(port, "the API", "--api-port")]) == []
    assert preflight.next_free_port("127.0.0.1", port, {port + 1, port + 2}) not in (port + 1, port + 2)


def test_missing_programs_name_their_apt_package(tmp_path: Path) -> None:
    problems = preflight.missing_programs([preflight.Program(str(tmp_path / "haproxy"), "haproxy", "the edge"),
                                           preflight.Program(sys.executable, "python3", "everything"),
                                           preflight.Program("no-such-program-here", "docker.io", "Docker")])
    assert problems == [f"{tmp_path / 'haproxy'} is missing (the edge needs it): apt-get install haproxy",
                        "no-such-program-here is missing (Docker needs it): apt-get install docker.io"]


def test_existing_services_that_do_not_answer_are_named() -> None:
    closed = free_port()
    assert preflight.zookeeper_problem(f"127.0.0.1:{closed}/chroot") == (
        f"ZooKeeper at 127.0.0.1:{closed}/chroot (--zk) does not accept connections")
    assert preflight.master_problem(f"127.0.0.1:{closed}").startswith(
        f"the Mesos master at 127.0.0.1:{closed} (--master) does not answer")
    assert preflight.master_problem("zk://127.0.0.1:2181/mesos") is None  # the scheduler resolves it


def test_socket_paths_too_long_for_unix_sockets_ask_for_a_shorter_state_dir() -> None:
    long = Path("/tmp") / ("x" * 120) / "master.sock"
    assert preflight.socket_path_problems([long, Path("/tmp/lb/master.sock")]) == [
        f"{long} is longer than a unix socket path may be (107 bytes): pass a shorter --state-dir"]


def test_the_image_needs_a_static_busybox(tmp_path: Path) -> None:
    assert not is_static_executable(Path(sys.executable).resolve())  # Python links against libc
    text = tmp_path / "busybox"
    text.write_text("#!/bin/sh\n")
    with pytest.raises(ValueError, match="not an ELF"):
        is_static_executable(text)
    if Path("/bin/busybox").exists():
        assert is_static_executable(Path("/bin/busybox")), "scripts/install.sh installs busybox-static"


def _args(*flags: str) -> argparse.Namespace:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DOCKER_HOST", raising=False)  # its value is --docker-host's default
        parser = argparse.ArgumentParser()
        up.add_arguments(parser)
        return parser.parse_args(flags)


def test_flags_choose_which_services_up_starts_and_which_it_uses() -> None:
    assert Plan.of(_args()) == Plan(zookeeper=True, mesos=True, docker="private")
    assert Plan.of(_args("--no-docker")) == Plan(zookeeper=True, mesos=True, docker="none")
    assert Plan.of(_args("--zk", "zk1:2181", "--docker-host", "unix:///run/docker.sock")) == Plan(
        zookeeper=False, mesos=True, docker="existing")
    # an existing master's agents run their own Docker; --docker-host then only gets the image
    assert Plan.of(_args("--master", "m1:5050")) == Plan(zookeeper=True, mesos=False, docker="none")
    assert Plan.of(_args("--master", "m1:5050", "--docker-host", "tcp://d:2375")).docker == "existing"
