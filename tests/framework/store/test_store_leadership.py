"""Leader election and leader-info, with sessions expired, clients stopped and servers killed."""

import threading

from kazoo.client import KazooClient

from framework.store import Leadership, current_leader
from tests.framework.store.conftest import ROOT, expire_session
from tests.waiting import wait_for


class Contender:
    """One scheduler process's candidacy, run on a thread; leads until it steps down."""

    def __init__(self, client: KazooClient, name: str) -> None:
        self.client = client
        self.name = name
        self.leadership = Leadership(client, ROOT, {"id": name, "host": "127.0.0.1", "port": 8080})
        self.times_elected = 0
        self.thread = threading.Thread(target=self.leadership.run, args=(self._lead,), daemon=True)
        self.thread.start()

    def _lead(self) -> None:
        self.times_elected += 1
        self.leadership.wait_stepped_down()


def _leaders(contenders: list[Contender]) -> list[Contender]:
    return [c for c in contenders if c.leadership.is_leader]


def test_one_leader_among_three_and_failover(clients, zk_hosts: str) -> None:
    contenders = [Contender(clients(timeout=4), f"s{n}") for n in range(3)]
    first = wait_for(lambda: _leaders(contenders), 10, "a leader")
    assert len(first) == 1
    leader = first[0]
    info = wait_for(lambda: current_leader(contenders[0].client, ROOT), 5, "leader-info")
    assert info["id"] == leader.name and info["since"].endswith("Z")
    assert leader.leadership.epoch is not None

    expire_session(leader.client, zk_hosts)  # the leader's session dies
    assert not leader.leadership.is_leader
    leader.thread.join(timeout=10)
    assert not leader.thread.is_alive()  # run() returned: it stepped down
    others = [c for c in contenders if c is not leader]
    second = wait_for(lambda: _leaders(others), 10, "a new leader")[0]
    wait_for(lambda: (current_leader(second.client, ROOT) or {}).get("id") == second.name, 5,
             "leader-info naming the new leader")

    second.client.stop()  # a process shutting down
    third = wait_for(lambda: _leaders([c for c in others if c is not second]), 10, "a third leader")[0]
    wait_for(lambda: (current_leader(third.client, ROOT) or {}).get("id") == third.name, 5, "leader-info")
    assert [c.times_elected for c in contenders] == [1, 1, 1]

    third.leadership.resign()
    third.thread.join(timeout=10)
    wait_for(lambda: current_leader(third.client, ROOT) is None, 5, "leader-info gone after resigning")


def test_is_leader_pauses_on_suspended_and_resumes_on_the_same_session(zk_ensemble) -> None:
    server = zk_ensemble.servers[0]
    client = KazooClient(hosts=server.hosts, timeout=10)  # knows only this server
    client.start(timeout=15)
    try:
        contender = Contender(client, "solo")
        wait_for(lambda: contender.leadership.is_leader, 10, "leadership")
        server.kill()
        wait_for(lambda: not contender.leadership.is_leader, 2, "is_leader False once SUSPENDED")
        assert not contender.leadership.wait_stepped_down(0)  # paused, not stepped down
        server.start().wait_serving()
        wait_for(lambda: contender.leadership.is_leader, 15, "leadership back on the same session")
        assert contender.times_elected == 1
    finally:
        client.stop()
        client.close()
