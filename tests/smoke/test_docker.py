"""The Docker fixture runs real containers from the offline image and publishes their ports, and where Docker
cannot run it skips only where Docker is not required."""

import subprocess
import sys
import urllib.request

import pytest

from launchers.docker import TEST_IMAGE, BridgeInUse, DockerDaemon, bridge_owner
from launchers.process import free_port
from tests.fixtures.docker import docker_requirement
from tests.waiting import wait_for


def test_container_httpd_answers_on_published_port(docker_daemon) -> None:
    port = free_port()
    name = "smoke-httpd"
    docker_daemon.docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080", TEST_IMAGE,
                         "httpd", "-f", "-p", "8080", "-h", "/www")
    try:
        body = wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read(), 20,
                        "the container's httpd")
        assert body == b"hello from busybox\n"
    finally:
        docker_daemon.docker("rm", "-f", name)
    assert name not in docker_daemon.docker("ps", "-a", "--format", "{{.Names}}").split()


@pytest.mark.parametrize(("environ", "required"), [
    ({}, None),
    ({"CI": "true"}, "CI=true"),
    ({"CI": "1"}, "CI=1"),
    ({"CI": "false"}, None),
    ({"BALALAIKA_REQUIRE_DOCKER": "1"}, "BALALAIKA_REQUIRE_DOCKER=1"),
    ({"BALALAIKA_REQUIRE_DOCKER": "yes", "CI": "false"}, "BALALAIKA_REQUIRE_DOCKER=yes"),
    ({"BALALAIKA_REQUIRE_DOCKER": "0", "CI": "true"}, None),
    ({"BALALAIKA_REQUIRE_DOCKER": "", "CI": "true"}, None),
])
def test_docker_is_required_in_ci_or_when_asked(environ, required) -> None:
    assert docker_requirement(environ) == required


def test_an_unclear_requirement_is_refused() -> None:
    with pytest.raises(ValueError, match="BALALAIKA_REQUIRE_DOCKER"):
        docker_requirement({"BALALAIKA_REQUIRE_DOCKER": "maybe"})


def test_a_bridge_of_a_running_dockerd_is_never_taken_over(tmp_path):
    # a process that looks like another stack's dockerd on bridge bdtest0 (argv[0] "dockerd")
    other = subprocess.Popen(["bash", "-c", f'exec -a dockerd {sys.executable} -c "import time; time.sleep(60)" '
                              "--bridge=bdtest0"])
    try:
        wait_for(lambda: bridge_owner("bdtest0") == other.pid, 10, "the look-alike dockerd")
        with pytest.raises(BridgeInUse, match="bdtest0"):
            DockerDaemon("bdtest0", "198.18.251.1/24", data_root=tmp_path / "docker").start()
        assert bridge_owner("bdtest1") is None
    finally:
        other.kill()
        other.wait()
