"""With ZooKeeper digest credentials, only Balalaika's processes can write (or read) its state, and the
scheduler still works."""

from __future__ import annotations

import json

import pytest
from kazoo.exceptions import NoAuthError

from framework.store import Store, connect
from tests.framework.scheduler.harness import SchedulerCluster
from tests.waiting import wait_for

AUTH = ("balalaika", "s3cret")


class CredentialedCluster(SchedulerCluster):
    """The harness with every client, its own and the schedulers', authenticated by digest."""

    def __init__(self, zk_hosts: str, master: str, home) -> None:
        self.zk_hosts, self.master, self.home = zk_hosts, master, home
        self.client = connect(zk_hosts, auth=AUTH)
        self.store = Store(self.client)
        self.store.ensure_layout()
        self.schedulers = []

    def start_scheduler(self, *extra: str):
        return super().start_scheduler("--zk-auth", ":".join(AUTH), *extra)


@pytest.fixture
def credentialed(zk_hosts, mesos_cluster, tmp_path):
    cluster = CredentialedCluster(zk_hosts, mesos_cluster.master_url, tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()


def test_an_anonymous_client_cannot_touch_the_state_of_a_credentialed_scheduler(credentialed, kazoo_client) -> None:
    anonymous = kazoo_client  # the fixture's client carries no credentials
    credentialed.start_scheduler()
    wait_for(credentialed.leader, 30, "an elected scheduler")
    framework_id = wait_for(credentialed.store.get_framework_id, 30, "the framework id to be persisted")
    credentialed.put_app({"id": "/guarded", "cmd": "sleep 600", "cpus": 0.1, "mem": 16, "instances": 2})
    running = credentialed.wait_running("/guarded", 2)

    layout = credentialed.store.nodes.layout
    # written by the scheduler (framework id, task record, leader info) and by the API's store (app)
    guarded = [layout.framework_id, layout.task("/guarded", running[0]["id"]), layout.leader_info,
               layout.app("/guarded")]
    for path in guarded:
        with pytest.raises(NoAuthError):
            anonymous.set(path, b"{}")
        with pytest.raises(NoAuthError):
            anonymous.get(path)
    with pytest.raises(NoAuthError):
        anonymous.create(layout.app("/intruder"), json.dumps({"id": "/intruder"}).encode())
    with pytest.raises(NoAuthError):
        anonymous.delete(layout.task("/guarded", running[0]["id"]))

    assert credentialed.store.get_framework_id() == framework_id
    credentialed.scale("/guarded", 3)
    assert {t["id"] for t in running} < {t["id"] for t in credentialed.wait_running("/guarded", 3)}
