"""DockerTaskRunner against a real dockerd: containers run, publish, exit, stop and vanish like Mesos's."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchers.docker import TEST_IMAGE
from launchers.process import free_port
from mesoslocal.agent.docker_runner import (
    LABEL_CONTAINER_ID,
    DockerTaskRunner,
    container_options,
    describe_exit,
    remove_containers,
)
from mesoslocal.agent.health import HealthChecker
from mesoslocal.agent.runner import LaunchError, TaskExit
from tests.waiting import wait_for

AGENT_IP = "127.0.0.1"
HTTPD = ["httpd", "-f", "-p", "8080", "-h", "/www"]


def task_info(*, shell: str | None = None, argv: list[str] | None = None, network: str = "BRIDGE",
              port_mappings: tuple[tuple[int, int], ...] = (), ports: tuple[int, ...] = (),
              parameters: tuple[tuple[str, str], ...] = (), variables: dict[str, str] | None = None,
              image: str = TEST_IMAGE, force_pull: bool = False) -> dict:
    if shell is not None:
        command: dict = {"shell": True, "value": shell}
    else:
        command = {"shell": False, "arguments": argv or ["sleep", "1000"]}
    if variables:
        command["environment"] = {"variables": [{"name": k, "value": v} for k, v in variables.items()]}
    resources = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                 {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}]
    if ports:
        resources.append({"name": "ports", "type": "RANGES",
                          "ranges": {"range": [{"begin": p, "end": p} for p in ports]}})
    return {
        "name": "t", "task_id": {"value": f"app.{uuid.uuid4()}"}, "agent_id": {"value": "agent-S0"},
        "resources": resources, "command": command,
        "container": {"type": "DOCKER", "docker": {
            "image": image, "network": network, "force_pull_image": force_pull,
            "port_mappings": [{"host_port": h, "container_port": c, "protocol": "tcp"} for h, c in port_mappings],
            "parameters": [{"key": k, "value": v} for k, v in parameters]}},
    }


@pytest.fixture
def make_runner(docker_daemon, tmp_path: Path) -> Iterator:
    """Builds runners on the test daemon; removes their containers and checks none is left behind."""
    runners: list[DockerTaskRunner] = []

    def make(info: dict, env: dict[str, str] | None = None) -> DockerTaskRunner:
        container_id = str(uuid.uuid4())
        runner = DockerTaskRunner(info, sandbox=tmp_path / container_id, env=env or {},
                                  docker_host=docker_daemon.host, container_id=container_id, agent_ip=AGENT_IP)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        asyncio.run(runner.remove())
    assert docker_daemon.docker("ps", "-aq").split() == []


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.read()


def test_bridge_container_publishes_its_port_on_the_agent_ip(make_runner) -> None:
    host_port = free_port()
    runner = make_runner(task_info(argv=HTTPD, port_mappings=((host_port, 8080),), ports=(host_port,)))
    asyncio.run(runner.start())

    body = wait_for(lambda: http_get(f"http://{AGENT_IP}:{host_port}/"), 20, "httpd on the published port")
    assert body == b"hello from busybox\n"
    # health checks reach the container port on the container's own address (notes D5)
    assert runner.ip_address.startswith("198.18.") and runner.check_host == runner.ip_address
    assert http_get(f"http://{runner.check_host}:8080/") == body

    async def health_then_kill() -> tuple[list[bool], TaskExit]:
        results: list[bool] = []
        reported = asyncio.Event()

        async def on_result(healthy: bool) -> None:
            results.append(healthy)
            reported.set()

        async def on_give_up() -> None:
            raise AssertionError("healthy container given up")

        checker = HealthChecker({"type": "HTTP", "http": {"port": 8080, "path": "/"}, "delay_seconds": 0,
                                 "interval_seconds": 0.2}, runner, on_result, on_give_up)
        checker.start()
        await asyncio.wait_for(reported.wait(), 10)
        checker.stop()
        await runner.kill(1)
        return results, await runner.wait()

    results, exit_ = asyncio.run(health_then_kill())
    assert results == [True]
    assert exit_.signal is not None or exit_.exit_code is not None


def test_host_network_container_uses_the_agent_ip(make_runner) -> None:
    port = free_port()
    runner = make_runner(task_info(argv=["httpd", "-f", "-p", f"{AGENT_IP}:{port}", "-h", "/www"], network="HOST"))
    asyncio.run(runner.start())
    assert runner.ip_address == AGENT_IP and runner.check_host == AGENT_IP
    assert wait_for(lambda: http_get(f"http://{AGENT_IP}:{port}/"), 20, "httpd on the host network")


def test_missing_image_fails_to_launch_quickly(make_runner) -> None:
    runner = make_runner(task_info(image="balalaika-test/absent:1"))
    started = time.monotonic()
    with pytest.raises(LaunchError, match="Failed to pull image 'balalaika-test/absent:1'"):
        asyncio.run(runner.start())
    assert time.monotonic() - started < 20


def test_force_pull_image_pulls_even_a_present_image(make_runner) -> None:
    runner = make_runner(task_info(force_pull=True))
    with pytest.raises(LaunchError, match="Failed to pull image"):
        asyncio.run(runner.start())


def test_exit_code_and_output_reach_the_task_exit_and_sandbox(make_runner) -> None:
    runner = make_runner(task_info(shell="echo to-out; echo to-err >&2; exit 3"))

    async def run() -> TaskExit:
        await runner.start()
        return await runner.wait()

    assert asyncio.run(run()) == TaskExit(3, None, "Container exited with status 3")
    assert (runner.sandbox / "stdout").read_text() == "to-out\n"
    assert (runner.sandbox / "stderr").read_text() == "to-err\n"


def test_kill_lets_a_container_trapping_term_exit_early(make_runner) -> None:
    runner = make_runner(task_info(shell="trap 'echo bye; exit 0' TERM; sleep 1000 & wait"))

    async def run() -> tuple[float, TaskExit]:
        await runner.start()
        started = time.monotonic()
        await runner.kill(10)
        return time.monotonic() - started, await runner.wait()

    elapsed, exit_ = asyncio.run(run())
    assert elapsed < 5
    assert exit_ == TaskExit(0, None, "Container exited with status 0")
    assert "bye" in (runner.sandbox / "stdout").read_text()


def test_kill_escalates_to_sigkill_after_the_grace_period(make_runner) -> None:
    runner = make_runner(task_info(argv=["sleep", "1000"]))  # pid 1 without a TERM handler ignores TERM

    async def run() -> tuple[float, TaskExit]:
        await runner.start()
        started = time.monotonic()
        await runner.kill(1)
        return time.monotonic() - started, await runner.wait()

    elapsed, exit_ = asyncio.run(run())
    assert elapsed >= 0.9
    assert exit_ == TaskExit(None, 9, "Container terminated with signal Killed")


def test_environment_parameters_and_sandbox_mount_are_visible_inside(make_runner, docker_daemon) -> None:
    script = 'echo "$GREETING $FROM_AGENT $FROM_PARAM $MESOS_SANDBOX $MESOS_CONTAINER_NAME $(pwd)" >$MESOS_SANDBOX/seen'
    runner = make_runner(task_info(shell=script, variables={"GREETING": "hi"},
                                   parameters=(("env", "FROM_PARAM=p"), ("workdir", "/tmp"), ("label", "team=x"))),
                         env={"FROM_AGENT": "a", "MESOS_SANDBOX": "/host/path/overridden"})

    async def run() -> TaskExit:
        await runner.start()
        return await runner.wait()

    assert asyncio.run(run()).exit_code == 0
    assert (runner.sandbox / "seen").read_text() == f"hi a p /mnt/mesos/sandbox {runner.name} /tmp\n"
    labels = docker_daemon.docker("inspect", "-f", "{{json .Config.Labels}}", runner.name)
    assert '"team":"x"' in labels and f'"{LABEL_CONTAINER_ID}":"{runner.container_id}"' in labels


def test_host_port_outside_the_resources_is_refused(make_runner) -> None:
    offered, asked = free_port(), free_port()
    runner = make_runner(task_info(argv=HTTPD, port_mappings=((asked, 8080),), ports=(offered,)))
    with pytest.raises(LaunchError, match=rf"^Port \[{asked}\] not included in resources$"):
        asyncio.run(runner.start())


def test_a_failed_run_removes_its_container(make_runner) -> None:
    port = free_port()
    with socket.create_server((AGENT_IP, port)):  # docker-proxy cannot bind the published port
        runner = make_runner(task_info(argv=HTTPD, port_mappings=((port, 8080),), ports=(port,)))
        with pytest.raises(LaunchError, match=f"Failed to run container '{runner.name}'"):
            asyncio.run(runner.start())
    # make_runner's teardown checks that no container is left


def test_a_name_taken_by_another_container_is_left_alone(make_runner, docker_daemon) -> None:
    runner = make_runner(task_info())
    docker_daemon.docker("create", "--name", runner.name, TEST_IMAGE)
    try:
        with pytest.raises(LaunchError, match="Failed to create container"):
            asyncio.run(runner.start())
        assert docker_daemon.docker("ps", "-aq", "--filter", f"name={runner.name}").strip()
    finally:
        docker_daemon.docker("rm", "-f", runner.name)


def test_run_check_command_execs_inside_the_container(make_runner) -> None:
    runner = make_runner(task_info(argv=["sleep", "1000"]))

    async def run() -> list[int]:
        await runner.start()
        codes = [await runner.run_check_command({"value": "test -d /mnt/mesos/sandbox"}),
                 await runner.run_check_command({"shell": True, "value": 'exit "$CODE"',
                                                 "environment": {"variables": [{"name": "CODE", "value": "4"}]}}),
                 await runner.run_check_command({"shell": False, "value": "/bin/false", "arguments": ["false"]})]
        await runner.kill(0)
        await runner.wait()
        return codes

    assert asyncio.run(run()) == [0, 4, 1]


def test_remove_containers_clears_an_agents_leftovers(make_runner, docker_daemon) -> None:
    runner = make_runner(task_info(argv=["sleep", "1000"]))
    asyncio.run(runner.start())
    assert asyncio.run(remove_containers(docker_daemon.host, agent_id="agent-S0")) == [runner.name]
    assert asyncio.run(remove_containers(docker_daemon.host)) == []


# container_options is pure: the translation of TaskInfo to Docker options, without a daemon


def options(info: dict, **overrides) -> dict:
    return container_options(info, sandbox=Path("/sb"), env={}, container_id="cid", agent_ip="127.0.0.3",
                             **overrides)


def test_options_follow_the_docker_containerizer() -> None:
    opts = options(task_info(shell="echo hi", port_mappings=((31000, 80),), ports=(31000,)))
    assert opts["name"] == "mesos-cid"
    assert opts["entrypoint"] == ["/bin/sh"] and opts["command"] == ["-c", "echo hi"]
    assert opts["ports"] == {"80/tcp": [("127.0.0.3", 31000)]}
    assert opts["cpu_shares"] == 102 and opts["mem_limit"] == 64 * 1024 * 1024
    assert opts["volumes"] == ["/sb:/mnt/mesos/sandbox:rw"]
    assert "MESOS_CONTAINER_NAME=mesos-cid" in opts["environment"]
    assert opts["network_mode"] == "bridge" and opts["privileged"] is False


def test_options_for_arguments_parameters_and_volumes() -> None:
    info = task_info(argv=["a", "b"], network="HOST", parameters=(("net", "none"), ("user", "nobody"),
                                                                  ("ulimit", "nofile=10:20"), ("init", "true")))
    info["container"]["volumes"] = [{"container_path": "/data", "host_path": "/srv", "mode": "RO"},
                                    {"container_path": "cache", "host_path": "c", "mode": "RW"}]
    opts = options(info)
    assert "entrypoint" not in opts and opts["command"] == ["a", "b"]
    assert opts["network_mode"] == "none" and opts["user"] == "nobody" and opts["init"] is True
    assert opts["ulimits"][0]["Name"] == "nofile" and opts["ulimits"][0]["Hard"] == 20
    assert opts["volumes"][1:] == ["/srv:/data:ro", "/sb/c:/mnt/mesos/sandbox/cache:rw"]


@pytest.mark.parametrize(("info", "message"), [
    (task_info(network="HOST", port_mappings=((31000, 80),), ports=(31000,)), "not supported with network 'host'"),
    (task_info(parameters=(("restart", "always"),)), "Unsupported Docker parameter 'restart'"),
    (task_info(parameters=(("init", "maybe"),)), "Invalid Docker parameter 'init=maybe'"),
    (task_info(shell=""), "Shell specified but no command value provided"),
    (task_info(network="USER"), "No network name given for a USER network"),
])
def test_options_refuse_what_mesos_refuses(info: dict, message: str) -> None:
    with pytest.raises(LaunchError, match=message):
        options(info)


def test_describe_exit_reads_signals_only_when_one_was_sent() -> None:
    assert describe_exit(137) == TaskExit(137, None, "Container exited with status 137")
    assert describe_exit(143, killed=True) == TaskExit(None, 15, "Container terminated with signal Terminated")
    assert describe_exit(137, oom_killed=True, mem_mb=64) == TaskExit(None, 9, "Memory limit exceeded: Requested: 64MB")
