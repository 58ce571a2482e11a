"""The per-worker fan-out of events to streams, and the stream bounds shared by workers."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

from api.event_hub import CLOSED, OVERFLOW, EventHub
from api.stream_quota import StreamQuota


class Feed:
    """Stands in for the mirror's subscribe_events: the hub's one subscription."""

    def __init__(self) -> None:
        self.callbacks = []

    def subscribe(self, callback) -> Callable[[], None]:
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback)

    def emit(self, event: dict) -> None:
        for callback in self.callbacks:
            callback(1, event)


def test_each_stream_gets_the_events_it_wants_in_order_and_nothing_after_it_closed():
    feed = Feed()
    hub = EventHub(feed.subscribe, limit=100)
    everything = hub.open(lambda event: True)
    deployments = hub.open(lambda event: event["eventType"].startswith("deployment"))
    feed.emit({"eventType": "status_update_event"})
    feed.emit({"eventType": "deployment_success"})
    hub.close(deployments)
    feed.emit({"eventType": "deployment_info"})
    assert [everything.next(0.1)["eventType"] for _ in range(3)] == [
        "status_update_event", "deployment_success", "deployment_info"]
    assert deployments.next(0.1)["eventType"] == "deployment_success"
    assert deployments.next(0.01) is None
    assert len(feed.callbacks) == 1  # one subscription to the mirror however many streams


def test_the_hub_subscribes_to_the_mirror_only_while_a_stream_is_open():
    """The mirror reads events only for subscribers: a worker without streams must not hold a subscription."""
    feed = Feed()
    hub = EventHub(feed.subscribe, limit=10)
    assert feed.callbacks == []
    first = hub.open(lambda event: True)
    hub.close(first)
    assert feed.callbacks == []
    second = hub.open(lambda event: True)
    feed.emit({"eventType": "deployment_info"})
    assert second.next(0.1)["eventType"] == "deployment_info"
    assert len(feed.callbacks) == 1


def test_a_stream_that_falls_behind_is_ended_instead_of_growing():
    feed = Feed()
    hub = EventHub(feed.subscribe, limit=3)
    slow = hub.open(lambda event: True)
    for n in range(10):
        feed.emit({"eventType": "status_update_event", "n": n})
    assert [slow.next(0.1) for _ in range(4)][-1] is OVERFLOW
    assert slow.next(0.01) is None


def test_close_all_ends_open_streams_and_those_opened_later():
    hub = EventHub(Feed().subscribe, limit=10)
    before = hub.open(lambda event: True)
    hub.close_all()
    after = hub.open(lambda event: True)
    assert before.next(0.1) is CLOSED
    assert after.next(0.1) is CLOSED


def test_bounds_per_client_and_in_all_with_a_message_naming_them():
    quota = StreamQuota(per_client=2, total=3, slots=2)
    assert quota.acquire("10.0.0.1") is None
    assert quota.acquire("10.0.0.1") is None
    refusal = quota.acquire("10.0.0.1")
    assert refusal is not None and "10.0.0.1" in refusal.message and "limit 2 per client" in refusal.message
    assert quota.acquire("10.0.0.2") is None
    refusal = quota.acquire("10.0.0.3")
    assert refusal is not None and refusal.address is None and "limit 3" in refusal.message
    quota.release("10.0.0.1")
    assert quota.acquire("10.0.0.3") is None


def _hold(quota: StreamQuota, held: multiprocessing.Event, done: multiprocessing.Event) -> None:
    quota.acquire("10.0.0.9")
    held.set()
    done.wait(10)


def test_workers_share_the_bounds_and_a_dead_workers_streams_stop_counting():
    context = multiprocessing.get_context("fork")  # as gunicorn forks its workers from the master
    quota = StreamQuota(per_client=1, total=10, slots=3)
    held, done = context.Event(), context.Event()
    worker = context.Process(target=_hold, args=(quota, held, done))
    worker.start()
    try:
        assert held.wait(10)
        assert quota.acquire("10.0.0.9") is not None  # the other process holds this client's one stream
    finally:
        done.set()
        worker.join(10)
    assert quota.acquire("10.0.0.9") is None  # it died (say, SIGKILL) without releasing: not counted
