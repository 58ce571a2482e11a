"""The ZooKeeper fixtures give a real server: create, read and watch through kazoo."""

import threading

from kazoo.client import KazooClient

from tests.waiting import wait_for


def test_create_read_and_watch(kazoo_client: KazooClient) -> None:
    seen: list[bytes] = []
    changed = threading.Event()

    def on_change(data: bytes | None, _stat: object) -> None:
        if data is not None:
            seen.append(data)
            if data == b"two":
                changed.set()

    kazoo_client.create("/smoke", b"one")
    kazoo_client.DataWatch("/smoke", on_change)
    kazoo_client.set("/smoke", b"two")
    assert changed.wait(10), f"watch saw only {seen}"
    assert kazoo_client.get("/smoke")[0] == b"two"


def test_chroots_isolate_tests(kazoo_client: KazooClient) -> None:
    assert kazoo_client.get_children("/") == []


def test_ensemble_survives_losing_its_leader(zk_ensemble) -> None:
    client = KazooClient(hosts=zk_ensemble.hosts, timeout=6)
    client.start(timeout=15)
    try:
        client.create("/kept", b"value")
        zk_ensemble.leader().kill()
        assert wait_for(lambda: client.get("/kept")[0] == b"value", 20, "the value after leader loss")
        assert wait_for(lambda: zk_ensemble.leader() is not None, 30, "a new leader")
    finally:
        client.stop()
        client.close()
