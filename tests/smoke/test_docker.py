"""The Docker fixture runs real containers from the offline image and publishes their ports."""

import urllib.request

from cli.stack.docker import TEST_IMAGE
from cli.stack.process import free_port
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
