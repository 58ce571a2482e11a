"""What the leader and the api replicas tell each other through ZooKeeper, beyond apps and tasks.

* `FailureStore`: the last task failure of each app, written by the leader for the api to show;
* `QueueStore`: the launch queue entry of each app, written by the leader for /v2/queue;
* `RequestStore`: api replicas queue kill / reset-delay requests; the leader takes each once and deletes it;
* `EventStore`: events appended by the leader (batched, never blocking its loop) and the api; the leader
  trims them to the newest N (`trim_async`, from its loop through framework.scheduler.event_log).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable

from kazoo.exceptions import NoNodeError
from kazoo.interfaces import IAsyncResult

from framework.store.codec import encode
from framework.store.errors import StoreError
from framework.store.layout import EVENT_PREFIX, sequence_of
from framework.store.nodes import Nodes, Op, translated

log = logging.getLogger(__name__)

DEFAULT_EVENTS_KEPT = 1000
# Events go out in multi-op transactions too (EventStore.append_many); the byte cap keeps a transaction well
# below ZooKeeper's ~1 MB jute.maxbuffer whatever the events hold (a deployment plan can be large).
EVENT_BATCH = 100
EVENT_BATCH_BYTES = 256 * 1024
# At most this many events are deleted per trim (in transactions of EVENT_BATCH): a backlog, such as the
# events of a leader that never trimmed, goes over several trims instead of as one burst of writes that
# the leader's task writes would queue behind on its connection.
TRIM_LIMIT = 5000


class FailureStore:
    """Owns `failures/<app>`: Marathon's lastTaskFailure of each app."""

    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes
        self._layout = nodes.layout

    def put(self, failure: dict) -> IAsyncResult:
        """Create-or-set the last task failure of `failure["appId"]` without waiting (the leader's loop calls
        it when a task fails); the future fails with the kazoo error, on kazoo's completion thread."""
        app_id = failure["appId"]
        future = self._nodes.client.handler.async_result()
        self._nodes.upsert_async(self._layout.failure(app_id), encode(failure, what=f"failure of {app_id}"), future)
        return future

    @translated
    def get(self, app_id: str) -> dict | None:
        return self._nodes.value(self._layout.failure(app_id))

    def delete(self, app_id: str) -> IAsyncResult:
        """Forgets the app's last task failure without waiting; idempotent (the future yields whether there
        was one). `AppStore.commit` calls it for every app it deletes, after the transaction: best-effort,
        because the app is already gone, so the leader also removes the failures of apps that no longer
        exist."""
        future = self._nodes.client.handler.async_result()

        def done(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(True)
            except NoNodeError:
                future.set(False)
            except Exception as error:
                log.warning("could not delete the last task failure of %s: %s", app_id, error)
                future.set_exception(error)

        self._nodes.client.delete_async(self._layout.failure(app_id)).rawlink(done)
        return future


class QueueStore:
    """Owns `queue/<app>`: the /v2/queue entry of each app with launches waiting."""

    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes
        self._layout = nodes.layout

    @translated
    def put(self, app_id: str, entry: dict) -> None:
        self._nodes.upsert(self._layout.queue_entry(app_id), encode(entry, what=f"queue entry of {app_id}"))

    @translated
    def delete(self, app_id: str) -> None:
        """Idempotent."""
        self._nodes.delete_quietly(self._layout.queue_entry(app_id))


class RequestStore:
    """Owns `requests/`, and which requests this instance handed out and were not done yet: meant for the
    leader's single loop (one instance per leadership)."""

    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes
        self._layout = nodes.layout
        self._taken: set[str] = set()  # request paths handed out and not done yet

    @translated
    def submit(self, request: dict) -> str:
        """Queues a request for the leader (kill tasks, reset a delay); returns its node path."""
        return self._nodes.client.create(self._layout.request_prefix, encode(request, what="request"),
                                         sequence=True)

    @translated
    def take(self) -> list[tuple[str, dict]]:
        """Pending requests in submission order, each handed out once by this instance until `done`.

        A new leader (a new Store) sees again those its predecessor took but never finished: at least once.
        """
        requests_dir = self._layout.requests_dir
        names = self._nodes.children(requests_dir, "requests directory")
        paths = sorted((f"{requests_dir}/{name}" for name in names), key=sequence_of)
        self._taken &= set(paths)
        fresh = [path for path in paths if path not in self._taken]
        found = self._nodes.get_many(fresh)
        taken = [(path, found[path][0]) for path in fresh if path in found]
        self._taken.update(path for path, _ in taken)
        return taken

    @translated
    def done(self, path: str) -> None:
        """Deletes a handled request (idempotent)."""
        self._nodes.delete_quietly(path)
        self._taken.discard(path)


class EventStore:
    """Owns `events/`: Marathon events, oldest first, for /v2/events."""

    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes
        self._layout = nodes.layout

    def create_ops(self, events: Iterable[dict]) -> list[Op]:
        """The sequential creates of `events` for another component's transaction (AppStore.commit: a write's
        own events with it, one request instead of one per event). An event too large for a node is left
        out and logged: events are best-effort, never a reason to refuse the write they describe."""
        ops = []
        for event in events:
            try:
                data = encode(event, what="event")
            except StoreError as error:
                log.warning("event %s left out: %s", event.get("eventType"), error)
                continue
            ops.append(Op("create", self._layout.event_prefix, f"event {event.get('eventType')}", data,
                          sequence=True))
        return ops

    def append(self, event: dict) -> IAsyncResult:
        """Appends an event without waiting (never blocks a hot path); the future yields the node path."""
        return self._nodes.client.create_async(self._layout.event_prefix, encode(event, what="event"),
                                               sequence=True)

    def append_many(self, events: Iterable[dict]) -> list[IAsyncResult]:
        """Appends events in order without waiting, as multi-op transactions of sequential creates (at most
        EVENT_BATCH events or EVENT_BATCH_BYTES each): one request per batch instead of one per event, which
        cost the leader's loop a kazoo round of its own per status update. Returns one future per
        transaction; each yields the list of per-create results (exceptions for failed creates).
        Raises StoreError, with nothing sent, if an event is too large for a node."""
        futures: list[IAsyncResult] = []
        tx, count, size = None, 0, 0
        for data in [encode(event, what="event") for event in events]:
            if tx is not None and (count == EVENT_BATCH or size + len(data) > EVENT_BATCH_BYTES):
                futures.append(tx.commit_async())
                tx = None
            if tx is None:
                tx, count, size = self._nodes.client.transaction(), 0, 0
            tx.create(self._layout.event_prefix, data, sequence=True)
            count, size = count + 1, size + len(data)
        if tx is not None:
            futures.append(tx.commit_async())
        return futures

    @translated
    def trim(self, keep: int = DEFAULT_EVENTS_KEPT) -> int:
        """Deletes all but the newest `keep` events and waits; returns how many went (see `trim_async`)."""
        return self.trim_async(keep, limit=None).get(timeout=self._nodes.timeout)

    def trim_async(self, keep: int = DEFAULT_EVENTS_KEPT, *, limit: int | None = TRIM_LIMIT) -> IAsyncResult:
        """Deletes all but the newest `keep` events without waiting (the leader's loop calls it): lists
        `events/`, then deletes the oldest surplus, at most `limit` (None: all of it), in multi-op
        transactions of EVENT_BATCH deletes: one ZooKeeper write per batch, as appends are batched, instead
        of one per event. The future yields how many events went, on kazoo's completion thread; it fails
        with the kazoo error if the listing fails. A batch that fails (one of its nodes already deleted by
        another trim) deletes nothing and is left for the next trim, which lists afresh.

        Readers cope with trimmed nodes: the Mirror skips an event deleted before it read it, and never
        reads a sequence number twice."""
        return trim_oldest_async(self._nodes, self._layout.events_dir, EVENT_PREFIX, keep, limit)


def trim_oldest_async(nodes: Nodes, directory: str, prefix: str, keep: int, limit: int | None) -> IAsyncResult:
    """Deletes all but the newest `keep` sequential nodes named `prefix`<seq> under `directory`, at most
    `limit` (None: all of them), without waiting; see `EventStore.trim_async`, which the audit log shares."""
    future = nodes.client.handler.async_result()

    def listed(result: IAsyncResult) -> None:
        try:
            names = sorted((name for name in result.get() if name.startswith(prefix)), key=sequence_of)
            doomed = names[:max(0, len(names) - keep)][:limit]
            batches = [doomed[start:start + EVENT_BATCH] for start in range(0, len(doomed), EVENT_BATCH)]
            if not batches:
                future.set(0)
                return
            commits = []
            for batch in batches:
                tx = nodes.client.transaction()
                for name in batch:
                    tx.delete(f"{directory}/{name}")
                commits.append((len(batch), tx.commit_async()))
        except Exception as error:
            future.set_exception(error)
            return
        tally = _Tally(len(commits), future)
        for size, commit in commits:
            commit.rawlink(functools.partial(tally.add, size))

    nodes.client.get_children_async(directory).rawlink(listed)
    return future


class _Tally:
    """Counts the events deleted by the transactions of one trim, and completes its future with the sum once
    every transaction answered (their callbacks may run on any thread: hence the lock)."""

    def __init__(self, pending: int, future: IAsyncResult) -> None:
        self._pending = pending
        self._future = future
        self._deleted = 0
        self._lock = threading.Lock()

    def add(self, size: int, commit: IAsyncResult) -> None:
        try:
            deleted = 0 if any(isinstance(outcome, Exception) for outcome in commit.get()) else size
        except Exception:
            deleted = 0  # connection lost: the next trim lists afresh
        with self._lock:
            self._deleted += deleted
            self._pending -= 1
            done = self._pending == 0
        if done:
            self._future.set(self._deleted)
