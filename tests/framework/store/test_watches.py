"""Persistent recursive watches (framework/store/watches.py) on a real ZooKeeper 3.8."""

from __future__ import annotations

from kazoo.protocol.states import EventType, WatchedEvent

from framework.store.watches import add_recursive_watch, forget_recursive_watch
from tests.waiting import wait_for


def test_a_recursive_watch_reports_every_change_below_it_in_order_and_stays_armed(clients):
    client = clients()
    seen: list[tuple[EventType, str]] = []

    def watcher(event: WatchedEvent) -> None:
        seen.append((event.type, event.path))

    add_recursive_watch(client, "/d", watcher).get(timeout=10)
    client.create("/d/x", b"1", makepath=True)
    client.set("/d/x", b"2")
    client.set("/d/x", b"3")  # a one-shot watch would have been spent by the first change
    client.create("/d/x/y", b"")
    client.create("/elsewhere", b"")
    client.delete("/d/x/y")
    client.delete("/d/x")
    expected = [(EventType.CREATED, "/d"), (EventType.CREATED, "/d/x"), (EventType.CHANGED, "/d/x"),
                (EventType.CHANGED, "/d/x"), (EventType.CREATED, "/d/x/y"), (EventType.DELETED, "/d/x/y"),
                (EventType.DELETED, "/d/x")]
    wait_for(lambda: len(seen) >= len(expected), 10, "every notification")
    assert seen == expected

    forget_recursive_watch(client, "/d", watcher)
    client.create("/d/z", b"")
    marker: list[WatchedEvent] = []
    add_recursive_watch(client, "/marker", marker.append).get(timeout=10)
    client.create("/marker", b"")
    wait_for(lambda: marker, 10, "a later notification")  # those of /d/z came before it, in order
    assert seen == expected


def test_the_watcher_runs_in_the_order_of_zookeepers_stream_with_answer_callbacks(clients):
    """A notification precedes, on the completion thread, the callback of an answer sent after it."""
    writer, reader = clients(), clients()
    order: list[str] = []
    add_recursive_watch(reader, "/o", lambda event: order.append(f"event {event.path}")).get(timeout=10)
    for n in range(20):
        writer.create(f"/o/n{n}", b"", makepath=True)
        reader.get_async(f"/o/n{n}").rawlink(lambda _result, n=n: order.append(f"read /o/n{n}"))
    wait_for(lambda: len(order) >= 41, 10, "every notification and answer")
    for n in range(20):
        assert order.index(f"event /o/n{n}") < order.index(f"read /o/n{n}")
