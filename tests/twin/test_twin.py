"""Failure drills on the lab's twin (network namespaces, real daemons; tests/fixtures/twin.py), with steady
traffic through the edge to a routed app throughout and its failed requests counted and reported:

* the leading scheduler host's processes SIGKILLed → another host leads; no task lost or duplicated;
* the ZooKeeper leader's host unplugged → everything keeps working (writes included); plugged back, it
  rejoins;
* an agent host unplugged → its tasks become unreachable and are replaced on other hosts, the edge stops
  routing to them; plugged back, the returning tasks are reconciled and killed (already replaced);
* the leading scheduler host cut from ZooKeeper only (it still reaches Mesos) → it stops acting as leader
  before another is elected (from both daemons' logs), and the successor, not it, launches what is asked.

Each drill starts from the same baseline (three contenders, three agents, the app healthy behind the edge)
and puts back what it broke, so that the twin is shared by the module.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

from launchers.waiting import GiveUp
from tests.api_client import ApiCallFailed, ApiClient
from tests.load import LoadCounter
from tests.twin.conftest import DRILL_REPORTS
from tests.waiting import WaitTimeout, wait_for
from twin.cluster import Twin, http_json
from twin.topology import Place

APP_ID = "/twin/web"
SERVICE_PORT = 10001
INSTANCES = 3
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def web_app(instances: int = INSTANCES) -> dict:
    """busybox httpd answering its task id, checked by the executor, routed by the edge on SERVICE_PORT; at most
    two instances per host, so that losing one host never leaves the edge without a server."""
    return {
        "id": APP_ID, "instances": instances, "cpus": 0.1, "mem": 32,
        "cmd": 'mkdir -p www && echo "$MESOS_TASK_ID" > www/index.html && exec busybox httpd -f -p $PORT0 -h www',
        "portDefinitions": [{"port": SERVICE_PORT, "protocol": "tcp", "name": "http"}],
        "healthChecks": [{"protocol": "MESOS_HTTP", "portIndex": 0, "path": "/", "delaySeconds": 0,
                          "intervalSeconds": 1, "timeoutSeconds": 1, "gracePeriodSeconds": 15,
                          "maxConsecutiveFailures": 3}],
        "constraints": [["hostname", "MAX_PER", "2"]],
        "labels": {"HAPROXY_GROUP": "external", "BALALAIKA_DRAIN_SECONDS": "1"},
    }


def api(twin: Twin, avoid: Place | None = None) -> ApiClient:
    """A client of the first node other than `avoid` whose api answers."""
    def answering() -> ApiClient | None:
        for node in twin.topology.nodes:
            if node != avoid and http_json(f"{twin.api_url(node)}/v2/info") is not None:
                return ApiClient(twin.api_url(node), timeout=10)
        return None

    return wait_for(answering, 30, "an api that answers")


def edge_servers(twin: Twin) -> set[str]:
    """`host:port` of the servers the edge routes APP_ID to."""
    found = http_json(f"{twin.topology.edge_stats_url}/_balalaika_services") or {"services": []}
    return {f"{server['address']}:{server['port']}" for service in found["services"]
            if service["appId"] == APP_ID for server in service["servers"] if not server["draining"]}


def task_addresses(tasks: list[dict]) -> set[str]:
    return {f"{task['host']}:{task['ports'][0]}" for task in tasks}


def mesos_running(twin: Twin) -> set[str]:
    """Ids of the tasks the Mesos master counts as TASK_RUNNING."""
    state = http_json(f"http://{twin.topology.master_address}/master/state", timeout=5) or {}
    return {task["id"] for framework in state.get("frameworks", []) for task in framework.get("tasks", [])
            if task["state"] == "TASK_RUNNING"}


def load(twin: Twin) -> LoadCounter:
    return LoadCounter(f"http://{twin.topology.edge.address}:{SERVICE_PORT}/", threads=2, interval=0.05,
                       timeout=5.0)


def report(name: str, counter: LoadCounter, **figures: object) -> None:
    """What a drill measured, for the run's summary (tests/twin/conftest.py)."""
    extra = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in figures.items())
    DRILL_REPORTS.append(f"{name}: {counter.total} requests through the edge, {counter.failed} failed"
                         f"{', ' + extra if extra else ''}{'; first failures: ' if counter.failures else ''}"
                         f"{'; '.join(counter.failures[:3])}")


def log_time(path: Path, pattern: str, since: float) -> float | None:
    """Epoch seconds of the first line of a daemon's log logged at or after `since` that matches `pattern`
    (the logs keep earlier drills' lines), None if none does."""
    for line in path.read_text(errors="replace").splitlines():
        if (stamp := LOG_TIME.match(line)) and re.search(pattern, line):
            logged = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if logged >= since:
                return logged
    return None


@pytest.fixture(scope="module")
def web(twin: Twin) -> str:
    api(twin).post_app(web_app())
    return APP_ID


@pytest.fixture
def baseline(twin: Twin, web: str) -> list[dict]:
    """Waits for the state every drill starts from; returns the app's tasks."""
    wait_for(lambda: len(twin.contenders()) == 3 and twin.leader() is not None, 30, "three contenders, a leader")
    wait_for(lambda: len(twin.registered_agents()) == 3, 30, "three active agents")
    tasks = api(twin).wait_running(web, INSTANCES, healthy=True, timeout=90)
    wait_for(lambda: edge_servers(twin) == task_addresses(tasks), 30, "the edge routing to every task")
    return tasks


def scale_through(client: ApiClient, instances: int, deadline: float = 90.0) -> float:
    """Scales the app, retrying while the api answers 503 (ZooKeeper unreachable from it, or without a
    quorum); returns how long it refused. Any other answer fails at once, and a timeout names every answer."""
    started = time.monotonic()
    answers: list[str] = []

    def scaled() -> bool:
        try:
            client.scale(APP_ID, instances)
        except ApiCallFailed as failure:
            answers.append(f"{time.monotonic() - started:.1f} s: {failure.status} {failure.body[:200]}")
            if failure.status != 503:
                raise GiveUp(str(failure)) from failure
            return False
        except requests.RequestException as failure:
            answers.append(f"{time.monotonic() - started:.1f} s: {failure!r}")
            return False
        return True

    try:
        wait_for(scaled, deadline, f"the api to accept scaling to {instances}", interval=0.1)
    except WaitTimeout as timeout:
        raise WaitTimeout(f"{timeout}; its answers: {answers[:3] + ['...'] + answers[-3:]}") from timeout
    return time.monotonic() - started


def test_the_leading_hosts_processes_killed(twin: Twin, baseline: list[dict]) -> None:
    leader = twin.leader()
    assert leader is not None
    before = {task["id"] for task in baseline}
    with load(twin) as counter:
        started = time.monotonic()
        twin.kill_node(leader)
        successor = wait_for(lambda: (found := twin.leader()) not in (None, leader) and found, 20, "a new leader")
        elected_after = time.monotonic() - started
        client = api(twin, avoid=leader)
        after = client.wait_running(APP_ID, INSTANCES, healthy=True, timeout=30)
        assert {task["id"] for task in after} == before, "the tasks changed across the failover"
        assert wait_for(lambda: mesos_running(twin) == before, 15, "Mesos running the same tasks")
        client.scale(APP_ID, INSTANCES + 1)  # the successor acts: exactly one more task
        grown = client.wait_running(APP_ID, INSTANCES + 1, healthy=True, timeout=60)
    report("leader host SIGKILLed", counter, new_leader=successor.name, elected_after=f"{elected_after:.1f} s")
    assert before < {task["id"] for task in grown}
    assert counter.failed == 0, counter.failures[:5]
    twin.start_node(leader)
    client.scale(APP_ID, INSTANCES)


def test_the_zookeeper_leaders_host_unplugged(twin: Twin, baseline: list[dict]) -> None:
    """The ensemble's leader, the harder case: the other two must elect a new one before anything commits."""
    name, zookeeper = next((name, server) for name, server in twin.zookeepers.items() if server.mode() == "leader")
    host = twin.network.hosts[name]
    client = api(twin)
    with load(twin) as counter:
        twin.network.cut(host)
        try:
            refused = scale_through(client, INSTANCES + 1)
            client.wait_running(APP_ID, INSTANCES + 1, healthy=True, timeout=60)
            scale_through(client, INSTANCES)
            client.wait_running(APP_ID, INSTANCES, healthy=True, timeout=60)
            assert twin.leader() is not None
        finally:
            twin.network.heal(host)
        wait_for(zookeeper.serving, 30, f"{name} serving again")
    report(f"zookeeper leader's host ({name}) unplugged", counter,
           writes_refused_for=f"{refused:.1f} s")
    assert counter.failed == 0, counter.failures[:5]
    assert zookeeper.mode() in ("leader", "follower")


def test_an_agent_host_unplugged_then_back(twin: Twin, baseline: list[dict]) -> None:
    victim_address = baseline[0]["host"]
    victim = next(place for place in twin.topology.agent_places if place.address == victim_address)
    stranded = {task["id"] for task in baseline if task["host"] == victim_address}
    stranded_servers = task_addresses([task for task in baseline if task["host"] == victim_address])
    client = api(twin)
    with load(twin) as counter:
        started = time.monotonic()
        twin.network.cut(twin.host(victim))
        try:
            wait_for(lambda: not stranded_servers & edge_servers(twin), 30, "the edge to stop routing there")
            unrouted_after = time.monotonic() - started
            replaced = client.wait_running(APP_ID, INSTANCES, healthy=True, timeout=60)
            replaced_after = time.monotonic() - started
            # the lb's model drops the servers first, HAProxy a moment later: count from the replacement on
            failed_until_replaced = counter.failed
            assert not {task["host"] for task in replaced} & {victim_address}
        finally:
            twin.network.heal(twin.host(victim))
        wait_for(lambda: victim_address in twin.registered_agents(), 30, "the agent back")
        wait_for(lambda: not stranded & mesos_running(twin), 60, "the returning tasks killed")
        settled = client.wait_running(APP_ID, INSTANCES, healthy=True, timeout=30)
    report("agent host unplugged", counter, unrouted_after=f"{unrouted_after:.1f} s",
           replaced_after=f"{replaced_after:.1f} s", failed_before_replaced=failed_until_replaced)
    assert {task["id"] for task in settled} == {task["id"] for task in replaced}
    assert counter.failed == failed_until_replaced, "requests failed after the tasks were replaced elsewhere"


def test_the_leader_cut_from_zookeeper_only(twin: Twin, baseline: list[dict]) -> None:
    leader = twin.leader()
    assert leader is not None
    leader_host = twin.host(leader)
    zookeepers = [twin.host(place) for place in twin.topology.zookeepers]
    old_log = twin.daemons[f"{leader.name}/scheduler"].log_path
    with load(twin) as counter:
        cut_at = time.time()
        twin.network.block(leader_host, zookeepers)
        try:
            successor = wait_for(lambda: (found := twin.leader()) not in (None, leader) and found, 30,
                                 "another leader")
            client = api(twin, avoid=leader)
            client.scale(APP_ID, INSTANCES + 1)
            grown = client.wait_running(APP_ID, INSTANCES + 1, healthy=True, timeout=60)
            assert len(mesos_running(twin)) == INSTANCES + 1
        finally:
            twin.network.unblock(leader_host, zookeepers)
        wait_for(lambda: leader.address in twin.contenders(), 30, "the old leader contending again")
        assert twin.leader() == successor
        client.scale(APP_ID, INSTANCES)
    new_log = twin.daemons[f"{successor.name}/scheduler"].log_path
    paused = log_time(old_log, "leadership paused|stepping down", since=cut_at - 0.001)
    elected = log_time(new_log, "elected leader", since=cut_at - 0.001)
    report("leader cut from ZooKeeper", counter, paused_after=f"{paused - cut_at:.1f} s" if paused else None,
           successor_elected_after=f"{elected - cut_at:.1f} s" if elected else None)
    assert paused is not None and elected is not None
    assert paused < elected, "the old leader still acted when its successor was elected"
    assert len({task["id"] for task in grown}) == INSTANCES + 1
    assert counter.failed == 0, counter.failures[:5]
