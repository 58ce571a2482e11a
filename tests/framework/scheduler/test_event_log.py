"""The leader's event log against a real ZooKeeper: events written in order, `events/` trimmed to the newest
`keep`, at most once per interval and without the loop waiting for the deletes."""

from __future__ import annotations

import json

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss
from kazoo.handlers.threading import AsyncResult, SequentialThreadingHandler

from framework.scheduler.event_log import EventLog
from framework.store import Store
from tests.waiting import wait_for

NOW = 1_795_000_000.0


def stored(store: Store) -> list[int]:
    """The `n` of every stored event, oldest first."""
    directory = store.nodes.layout.events_dir
    client = store.nodes.client
    names = sorted(client.get_children(directory))
    return [json.loads(client.get(f"{directory}/{name}")[0])["n"] for name in names]


def record(log: EventLog, store: Store, numbers: range) -> None:
    before = len(store.nodes.client.get_children(store.nodes.layout.events_dir))
    for n in numbers:
        log.record({"eventType": "status_update_event", "n": n}, NOW)
    log.flush()
    wait_for(lambda: len(store.nodes.client.get_children(store.nodes.layout.events_dir)) == before + len(numbers),
             10, f"{len(numbers)} events written")


def test_the_leader_trims_events_to_the_newest_keep_once_per_interval(kazoo_client: KazooClient) -> None:
    store = Store(kazoo_client)
    store.ensure_layout()
    log = EventLog(store.events, keep=10, trim_interval=5.0)
    record(log, store, range(30))

    log.trim(NOW)
    wait_for(lambda: stored(store) == list(range(20, 30)), 10, "the newest 10 events kept")

    record(log, store, range(30, 35))
    log.trim(NOW + 4.9)  # within the interval: nothing
    log.trim(NOW + 5.0)
    wait_for(lambda: stored(store) == list(range(25, 35)), 10, "the newest 10 events kept again")
    assert stored(store) == list(range(25, 35))


class PendingTrims:
    """An event store whose trims stay under way until the test finishes them."""

    def __init__(self) -> None:
        self.handler = SequentialThreadingHandler()
        self.trims: list[AsyncResult] = []

    def trim_async(self, keep: int) -> AsyncResult:
        self.trims.append(self.handler.async_result())
        return self.trims[-1]


def test_a_trim_under_way_is_not_started_again() -> None:
    trims = PendingTrims()
    log = EventLog(trims, keep=10, trim_interval=5.0)
    log.trim(NOW)
    log.trim(NOW + 10)  # the interval passed, but the first trim has not answered
    assert len(trims.trims) == 1
    trims.trims[0].set(3)
    log.trim(NOW + 11)
    assert len(trims.trims) == 2
    trims.trims[1].set_exception(ConnectionLoss())  # logged; the next interval tries again
    log.trim(NOW + 15)
    assert len(trims.trims) == 2
    log.trim(NOW + 16)
    assert len(trims.trims) == 3
