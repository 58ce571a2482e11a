"""The main job, end to end: the Docker web app of examples/web.json deployed on a whole stack (ZooKeeper, a
private dockerd, mesoslocal, the api, schedulers, balalaika-lb with its HAProxy) and reached through the edge
on `Host: web.localhost`, while it scales, restarts, loses its leading scheduler and loses a container.

Each instance answers `hello from <its task id>`, so every answer says which instance served it. Loads count
every request: "zero failed requests" means zero.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass

import docker

from launchers.docker import TEST_IMAGE
from launchers.process import free_port
from mesoslocal.agent.docker_runner import LABEL_TASK_ID
from tests.fixtures.edge import EdgeProcess
from tests.fixtures.stack import BackendStack
from tests.load import LoadCounter
from tests.waiting import wait_for

APP_ID = "/web"
VHOST = "web.localhost"
GREETING = "hello from "
WEB_CMD = f'mkdir -p /www; echo "{GREETING}$MESOS_TASK_ID" > /www/index.html; exec httpd -f -p 8080 -h /www'
# what `balalaika up` passes to balalaika-lb (cli/up.py)
EDGE_FLAGS = ("--group", "external", "--health-check")


def web_app(instances: int, service_port: int) -> dict:
    """examples/web.json with the test image, an explicit service port and a 1 s health check interval."""
    return {
        "id": APP_ID, "instances": instances, "cpus": 0.1, "mem": 32, "cmd": WEB_CMD,
        "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE},
                      "portMappings": [{"containerPort": 8080, "hostPort": 0, "servicePort": service_port,
                                        "protocol": "tcp", "name": "http"}]},
        "networks": [{"mode": "container/bridge"}],
        "healthChecks": [{"protocol": "MESOS_HTTP", "portIndex": 0, "path": "/", "delaySeconds": 0,
                          "intervalSeconds": 1, "timeoutSeconds": 2, "gracePeriodSeconds": 15,
                          "maxConsecutiveFailures": 3}],
        "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": VHOST},
    }


def ids(tasks: list[dict]) -> set[str]:
    return {task["id"] for task in tasks}


def served(bodies: Counter[str]) -> set[str]:
    """The task ids named by the answers a load counted."""
    return {body.removeprefix(GREETING) for body in bodies}


@dataclass
class Web:
    """The web app on one stack behind one edge."""

    stack: BackendStack
    edge: EdgeProcess
    service_port: int

    @classmethod
    def deploy(cls, stack: BackendStack, edge: EdgeProcess, instances: int) -> tuple[Web, set[str]]:
        """POSTs the app and waits until its instances are healthy and routed; returns their task ids."""
        web = cls(stack, edge, free_port())
        stack.post_app(web_app(instances, web.service_port))
        return web, web.wait_routed(instances)

    def wait_routed(self, instances: int, timeout: float = 60) -> set[str]:
        """Waits until the app has `instances` healthy tasks and no deployment, and requests through the
        edge reach each of them and only them; returns their ids."""
        running = ids(self.stack.wait_running(APP_ID, instances, healthy=True, timeout=timeout))
        self.edge.wait_serving(self.edge.http_port, {GREETING + task_id for task_id in running}, host=VHOST)
        return running

    def load(self) -> LoadCounter:
        return LoadCounter(f"http://127.0.0.1:{self.edge.http_port}/", host_header=VHOST)

    def backend_servers(self) -> dict[str, str]:
        """HAProxy's servers of the app's service port: name (from host and port) -> status."""
        return self.edge.servers(f"web_{self.service_port}")


def start(backend_stack_factory, docker_daemon, start_edge, **options) -> tuple[BackendStack, EdgeProcess]:
    stack = backend_stack_factory(docker_host=docker_daemon.host, **options)
    return stack, start_edge(stack.api_url, *EDGE_FLAGS)


def mesos_tasks(stack: BackendStack) -> tuple[dict[str, str], list[str]]:
    """Mesos's view of every framework's tasks: the active ones (id -> state) and the completed ones' ids."""
    frameworks = stack.mesos.state()["frameworks"]
    active = {task["id"]: task["state"] for framework in frameworks for task in framework["tasks"]}
    return active, [task["id"] for framework in frameworks for task in framework["completed_tasks"]]


def server_name(task: dict) -> str:
    """balalaika-lb's name for a task's server: its host and host port (lb.services)."""
    return f"{task['host']}_{task['ports'][0]}".replace(".", "_").replace(":", "_")


def test_deployed_web_app_is_healthy_and_every_instance_answers_through_the_edge(
        backend_stack_factory, docker_daemon, start_edge):
    stack, edge = start(backend_stack_factory, docker_daemon, start_edge)
    web, running = Web.deploy(stack, edge, 3)
    assert len(running) == 3
    # the app's service port routes to the same instances as the virtual host
    edge.wait_serving(web.service_port, {GREETING + task_id for task_id in running})
    assert edge.get(edge.http_port, "other.localhost").status_code == 503


def test_scaling_and_a_rolling_restart_under_load_fail_no_request(backend_stack_factory, docker_daemon, start_edge):
    stack, edge = start(backend_stack_factory, docker_daemon, start_edge)
    web, three = Web.deploy(stack, edge, 3)
    with web.load() as load:
        stack.scale(APP_ID, 5)
        five = web.wait_routed(5)
        stack.scale(APP_ID, 2)
        two = web.wait_routed(2)
        stack.restart(APP_ID)
        restarted = web.wait_routed(2, timeout=90)
    print(f"\nscale 3→5→2 and a rolling restart: {load.total} requests through the edge, {load.failed} failed")
    assert load.failed == 0, load.failures[:5]
    assert three < five and two < five and not restarted & five
    assert served(load.bodies) == five | restarted  # every instance took its share while it was routed


def test_the_standby_takes_over_from_a_killed_leader_without_losing_or_duplicating_a_task(
        backend_stack_factory, docker_daemon, start_edge):
    stack, edge = start(backend_stack_factory, docker_daemon, start_edge, standby=True,
                        scheduler_args=("--zk-session-timeout", "4"))
    web, before = Web.deploy(stack, edge, 3)
    assert mesos_tasks(stack) == (dict.fromkeys(before, "TASK_RUNNING"), [])
    with web.load() as load:
        assert stack.kill_scheduler() == 0  # SIGKILL
        wait_for(lambda: stack.leader_name() == "scheduler1", 30, "the standby to lead")
        assert stack.app(APP_ID)["tasksHealthy"] == 3
        assert ids(stack.tasks(APP_ID)) == before
        stack.scale(APP_ID, 4)
        after = web.wait_routed(4)
    print(f"\nleader failover and a scale to 4: {load.total} requests through the edge, {load.failed} failed")
    assert load.failed == 0, load.failures[:5]
    assert before < after
    assert mesos_tasks(stack) == (dict.fromkeys(after, "TASK_RUNNING"), [])  # none lost, killed or doubled


def test_a_killed_container_is_replaced_and_the_edge_follows(backend_stack_factory, docker_daemon, start_edge):
    stack, edge = start(backend_stack_factory, docker_daemon, start_edge)
    web, before = Web.deploy(stack, edge, 3)
    victim = sorted(before)[0]
    with contextlib.closing(docker.DockerClient(base_url=docker_daemon.host)) as client, web.load() as crash:
        (container,) = client.containers.list(filters={"label": f"{LABEL_TASK_ID}={victim}"})
        container.kill()
        wait_for(lambda: victim not in ids(stack.tasks(APP_ID)), 30, f"{victim} to be dropped")
        after = web.wait_routed(3)
    assert len(after - before) == 1 and before - {victim} < after
    tasks = stack.tasks(APP_ID)
    wait_for(lambda: web.backend_servers() == {server_name(task): "UP" for task in tasks}, 30,
             "HAProxy's servers to be those of the running tasks, the dead one's gone")
    # a GET that reached the container as it died is sent again to another instance by the edge
    print(f"\na container killed: {crash.total} requests through the edge, {crash.failed} failed")
    assert crash.failed == 0, dict(Counter(crash.failures))
    with web.load() as load:
        wait_for(lambda: load.total >= 300, 30, "300 requests through the edge")
    print(f"then {load.total} requests, {load.failed} failed")
    assert load.failed == 0, load.failures[:5]
    assert served(load.bodies) == after
