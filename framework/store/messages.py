"""What the leader and the api replicas tell each other through ZooKeeper, beyond apps and tasks.

* requests: api replicas queue kill / reset-delay requests; the leader takes each once and deletes it;
* events: the leader appends them (batched, never blocking its loop) and trims to the newest N;
* the launch queue and the last task failure of each app: written by the leader for the api to show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from kazoo.exceptions import NoNodeError
from kazoo.interfaces import IAsyncResult
from kazoo.recipe.watchers import ChildrenWatch

from framework.store.base import StoreBase, _translated
from framework.store.codec import encode
from framework.store.layout import sequence_of

log = logging.getLogger(__name__)

DEFAULT_EVENTS_KEPT = 1000
# Events go out the same way (Store.append_events); the byte cap keeps a transaction well below
# ZooKeeper's ~1 MB jute.maxbuffer whatever the events hold (a deployment plan can be large).
EVENT_BATCH = 100
EVENT_BATCH_BYTES = 256 * 1024


class MessagesMixin(StoreBase):
    """Last task failures, the launch queue, requests to the leader and events."""

    _taken: set[str]  # request paths handed out and not done yet (see take_requests)

    # ---- last task failures -------------------------------------------------------------------------

    def put_failure(self, failure: dict) -> IAsyncResult:
        """Create-or-set the last task failure of `failure["appId"]` without waiting (the leader's loop calls
        it when a task fails); the future fails with the kazoo error, on kazoo's completion thread."""
        app_id = failure["appId"]
        future = self.client.handler.async_result()
        self._upsert_async(self.layout.failure(app_id), encode(failure, what=f"failure of {app_id}"), future)
        return future

    @_translated
    def get_failure(self, app_id: str) -> dict | None:
        found = self._get(self.layout.failure(app_id))
        return None if found is None else found[0]

    def delete_failure(self, app_id: str) -> IAsyncResult:
        """Forgets the app's last task failure without waiting; idempotent (the future succeeds when there
        was none). `commit` calls it for every app it deletes, after the transaction: best-effort, because
        the app is already gone, so the leader also removes the failures of apps that no longer exist."""
        future = self.client.handler.async_result()

        def done(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(True)
            except NoNodeError:
                future.set(False)
            except Exception as error:
                log.warning("could not delete the last task failure of %s: %s", app_id, error)
                future.set_exception(error)

        self.client.delete_async(self.layout.failure(app_id)).rawlink(done)
        return future

    # ---- launch queue -------------------------------------------------------------------------------

    @_translated
    def put_queue_entry(self, app_id: str, entry: dict) -> None:
        self._upsert(self.layout.queue_entry(app_id), encode(entry, what=f"queue entry of {app_id}"))

    @_translated
    def delete_queue_entry(self, app_id: str) -> None:
        """Idempotent."""
        self._delete_quietly(self.layout.queue_entry(app_id))

    # ---- requests from api replicas to the leader ---------------------------------------------------

    @_translated
    def submit_request(self, request: dict) -> str:
        """Queues a request for the leader (kill tasks, reset a delay); returns its node path."""
        return self.client.create(self.layout.request_prefix, encode(request, what="request"), sequence=True)

    @_translated
    def take_requests(self) -> list[tuple[str, dict]]:
        """Pending requests in submission order, each handed out once by this Store until done_request.

        A new leader (a new Store) sees again those its predecessor took but never finished: at least once.
        """
        names = self._children(self.layout.requests_dir, "requests directory")
        paths = sorted((f"{self.layout.requests_dir}/{name}" for name in names), key=sequence_of)
        self._taken &= set(paths)
        fresh = [path for path in paths if path not in self._taken]
        found = self._get_many(fresh)
        taken = [(path, found[path][0]) for path in fresh if path in found]
        self._taken.update(path for path, _ in taken)
        return taken

    @_translated
    def done_request(self, path: str) -> None:
        """Deletes a handled request (idempotent)."""
        self._delete_quietly(path)
        self._taken.discard(path)

    def watch_requests(self, callback: Callable[[], None]) -> None:
        """Calls `callback()` (on kazoo's thread; keep it to a queue put) whenever requests/ changes."""

        def changed(_children: list[str]) -> None:
            callback()

        ChildrenWatch(self.client, self.layout.requests_dir, changed)

    # ---- events -------------------------------------------------------------------------------------

    def append_event(self, event: dict) -> IAsyncResult:
        """Appends an event without waiting (never blocks a hot path); the future yields the node path."""
        return self.client.create_async(self.layout.event_prefix, encode(event, what="event"), sequence=True)

    def append_events(self, events: Iterable[dict]) -> list[IAsyncResult]:
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
                tx, count, size = self.client.transaction(), 0, 0
            tx.create(self.layout.event_prefix, data, sequence=True)
            count, size = count + 1, size + len(data)
        if tx is not None:
            futures.append(tx.commit_async())
        return futures

    @_translated
    def trim_events(self, keep: int = DEFAULT_EVENTS_KEPT) -> int:
        """Deletes all but the newest `keep` events (pipelined); returns how many went."""
        names = sorted(self._children(self.layout.events_dir, "events directory"), key=sequence_of)
        doomed = names[:max(0, len(names) - keep)]
        results = [self.client.delete_async(f"{self.layout.events_dir}/{name}") for name in doomed]
        deleted = 0
        for result in results:
            try:
                result.get(timeout=self.timeout)
                deleted += 1
            except NoNodeError:
                pass
        return deleted
