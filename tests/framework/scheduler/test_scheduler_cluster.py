"""The scheduler against cluster conditions: agent attributes, Docker bridge networking, partitioned agents,
slow launches and a clean SIGTERM (alone and handing over to a standby), each on a real ZooKeeper and mesoslocal."""

from __future__ import annotations

import signal
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from framework.store import Layout
from launchers.docker import TEST_IMAGE
from tests.fixtures.mesoslocal import private_ports_resources
from tests.framework.scheduler.harness import SchedulerCluster, tasks_in_master
from tests.waiting import wait_for

SLEEPER = {"cmd": "sleep 600", "cpus": 0.1, "mem": 16}


@pytest.fixture
def scheduler_on(zk_hosts, tmp_path) -> Iterator:
    """`scheduler_on(mesos_cluster, *flags)`: a leading scheduler on a cluster the test built itself."""
    clusters: list[SchedulerCluster] = []

    def make(mesos, *extra: str) -> SchedulerCluster:
        clusters.append(SchedulerCluster(zk_hosts, mesos.master_url, tmp_path))
        return clusters[-1].start_leader(*extra)

    try:
        yield make
    finally:
        for cluster in clusters:
            cluster.stop()


def test_group_by_rack_spreads_instances_evenly(mesos_cluster_factory, scheduler_on) -> None:
    mesos = mesos_cluster_factory(attributes=["rack:r1", "rack:r2", "rack:r3"])
    racks = {agent.hostname: f"r{agent.index + 1}" for agent in mesos.agents}
    cluster = scheduler_on(mesos)
    cluster.put_app({**SLEEPER, "id": "/spread", "instances": 6, "constraints": [["rack", "GROUP_BY"]]})
    running = cluster.wait_running("/spread", 6)
    assert Counter(racks[t["host"]] for t in running) == {"r1": 2, "r2": 2, "r3": 2}


def test_docker_bridge_app_answers_on_its_host_port(docker_daemon, mesos_cluster_factory, scheduler_on) -> None:
    # Docker publishes the host port on every interface: keep it clear of other runs on this machine
    mesos = mesos_cluster_factory(docker_host=docker_daemon.host, agent_resources=private_ports_resources())
    cluster = scheduler_on(mesos)
    cluster.put_app({
        "id": "/web", "cpus": 0.1, "mem": 32, "instances": 1, "cmd": "httpd -f -p 8080 -h /www",
        "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE, "network": "BRIDGE",
                                                   "portMappings": [{"containerPort": 8080, "hostPort": 0}]}},
    })
    (task,) = cluster.wait_running("/web", 1)
    url = f"http://{task['host']}:{task['ports'][0]}/"

    def page() -> str | None:
        try:
            return requests.get(url, timeout=2).text
        except requests.RequestException:
            return None

    assert wait_for(page, 15, f"{url} to answer") == "hello from busybox\n"


@pytest.mark.parametrize("expunge_after", [2, 600], ids=["expunged-before-return", "returns-while-known"])
def test_tasks_of_a_cut_off_agent_are_replaced_and_killed_when_it_returns(
        mesos_cluster, schedulers, expunge_after: int) -> None:
    # Mesos tells no one when a partitioned agent returns; reconciliation finds its tasks (Marathon's way too)
    schedulers.start_leader("--reconcile-interval", "2")
    schedulers.put_app({**SLEEPER, "id": "/partitioned", "instances": 2, "constraints": [["hostname", "UNIQUE"]],
                        "unreachableStrategy": {"inactiveAfterSeconds": 1, "expungeAfterSeconds": expunge_after}})
    before = schedulers.wait_running("/partitioned", 2)
    victim = before[0]
    agent = next(a for a in mesos_cluster.agents if a.id == victim["agentId"])
    agent.disconnect()

    def replaced() -> list[dict] | None:
        running = schedulers.tasks("/partitioned")
        return running if len(running) == 2 and victim["id"] not in {t["id"] for t in running} else None

    after = wait_for(replaced, 30, "a replacement on another agent")
    assert victim["host"] not in {t["host"] for t in after}, "the replacement must avoid the cut-off agent"

    def victim_record() -> dict | None:
        return next((t for t in schedulers.tasks("/partitioned", None) if t["id"] == victim["id"]), None)

    if expunge_after < 60:
        wait_for(lambda: victim_record() is None, 15, "the unreachable task to be expunged")
    else:
        assert victim_record()["state"] == "TASK_UNREACHABLE"
    agent.reconnect()

    def victim_ended() -> str | None:
        return next((t["state"] for f in mesos_cluster.state()["frameworks"] for t in f["completed_tasks"]
                     if t["id"] == victim["id"]), None)

    assert wait_for(victim_ended, 30, "the returned task to be killed") == "TASK_KILLED"
    final = schedulers.wait_running("/partitioned", 2)
    assert {t["id"] for t in final} == {t["id"] for t in after}


class _SilentRegistry:
    """A TCP server that accepts connections and never answers: an image registry that hangs a pull."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()
        self.thread.join(timeout=5)


def test_a_task_that_does_not_reach_running_in_time_is_killed_and_replaced(
        docker_daemon, mesos_cluster_factory, scheduler_on) -> None:
    registry = _SilentRegistry()
    try:
        mesos = mesos_cluster_factory(docker_host=docker_daemon.host)
        cluster = scheduler_on(mesos, "--launch-timeout", "2")
        cluster.put_app({"id": "/stuck", "cpus": 0.1, "mem": 32, "instances": 1, "cmd": "sleep 600",
                         "container": {"type": "DOCKER",
                                       "docker": {"image": f"127.0.0.1:{registry.port}/never/pulled:1"}}})
        first = wait_for(lambda: cluster.tasks("/stuck", None), 15, "a staged task")[0]
        assert first["state"] == "TASK_STAGING"

        def killed_and_replaced() -> bool:
            tasks = {t["id"]: t for t in cluster.tasks("/stuck", None)}
            return (tasks.get(first["id"], {}).get("state") == "TASK_KILLING"
                    and any(t["state"] == "TASK_STAGING" for t in tasks.values()))

        wait_for(killed_and_replaced, 15, "the overdue task killed and a replacement staged")
    finally:
        registry.close()


def test_sigterm_stops_a_scheduler_and_keeps_the_framework_and_its_tasks(mesos_cluster, schedulers) -> None:
    schedulers.start_leader()
    framework_id = schedulers.store.get_framework_id()
    schedulers.put_app({**SLEEPER, "id": "/kept", "instances": 2})
    before = {t["id"] for t in schedulers.wait_running("/kept", 2)}

    first = schedulers.schedulers[0]
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(10) == 0, first.log_tail()

    def frameworks() -> dict[str, dict]:
        return {f["id"]: f for f in mesos_cluster.state()["frameworks"]}

    kept = frameworks()[framework_id]
    assert {t["id"] for t in kept["tasks"] if t["state"] == "TASK_RUNNING"} == before
    assert not kept["active"], "the framework must be disconnected, not torn down"

    schedulers.start_scheduler()
    wait_for(lambda: frameworks().get(framework_id, {}).get("active"), 30, "the framework re-subscribed")
    assert schedulers.store.get_framework_id() == framework_id
    assert list(frameworks()) == [framework_id]
    schedulers.scale("/kept", 3)
    after = {t["id"] for t in schedulers.wait_running("/kept", 3)}
    assert before < after, "the new leader adopts the running tasks and adds exactly one"


def test_sigterm_of_the_leader_hands_over_to_the_standby_long_before_its_session_could_expire(
        mesos_cluster, schedulers) -> None:
    """A stopping leader leaves the election and closes its session: the standby leads at once, not after
    the 30 s session timeout, under the same framework id, adopting the tasks without launching any twice."""
    session = ("--zk-session-timeout", "30")
    schedulers.start_leader(*session)
    framework_id = schedulers.store.get_framework_id()
    schedulers.start_scheduler(*session)
    election = schedulers.client.Election(Layout().leader_dir)
    wait_for(lambda: len(election.contenders()) == 2, 30, "the standby contending")
    schedulers.put_app({**SLEEPER, "id": "/handed", "instances": 2})
    before = {t["id"] for t in schedulers.wait_running("/handed", 2)}

    schedulers.schedulers[0].process.send_signal(signal.SIGTERM)
    wait_for(lambda: (schedulers.leader() or {}).get("host") == "scheduler1", 10,
             "the standby to lead well within the 30 s session timeout")
    assert schedulers.schedulers[0].process.wait(10) == 0, schedulers.logs()
    wait_for(lambda: framework_id in active_frameworks(mesos_cluster), 10, "the framework re-subscribed")
    assert [f["id"] for f in mesos_cluster.state()["frameworks"]] == [framework_id]
    assert tasks_in_master(mesos_cluster, framework_id) == dict.fromkeys(before, "TASK_RUNNING")

    schedulers.scale("/handed", 3)
    after = {t["id"] for t in schedulers.wait_running("/handed", 3)}
    assert before < after, "the new leader adopts the running tasks and adds exactly one"
    assert tasks_in_master(mesos_cluster, framework_id) == dict.fromkeys(after, "TASK_RUNNING")


def active_frameworks(mesos_cluster) -> set[str]:
    """Ids of the frameworks the master reports active (subscribed)."""
    return {f["id"] for f in mesos_cluster.state()["frameworks"] if f["active"]}
