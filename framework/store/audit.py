"""`audit/`: who changed what through the api, one sequential node per accepted write.

The api replicas append; there is no leader among them to trim, so the replica whose record got a sequence
number that is a multiple of `AUDIT_TRIM_EVERY` trims to the newest `keep` (the same batched deletes as the
event log's trim). The directory thus holds at most `keep + AUDIT_TRIM_EVERY` records, and `recent` never
returns more than `keep`.
"""

from __future__ import annotations

from kazoo.interfaces import IAsyncResult

from framework.store.codec import encode
from framework.store.layout import AUDIT_PREFIX, sequence_of
from framework.store.messages import trim_oldest_async
from framework.store.nodes import Nodes, translated

DEFAULT_AUDIT_KEPT = 1000
AUDIT_TRIM_EVERY = 50


class AuditStore:
    """Owns `audit/`: audit records, oldest first by sequence number. Thread-safe as far as kazoo is."""

    def __init__(self, nodes: Nodes, keep: int = DEFAULT_AUDIT_KEPT) -> None:
        self._nodes = nodes
        self._layout = nodes.layout
        self.keep = keep

    def append(self, record: dict) -> IAsyncResult:
        """Stores a record without waiting: ZooKeeper answers a session's requests in order, so whatever this
        client reads after it sees it (a write's answer need not wait one more round trip for its record).
        The future yields the record's sequence number, or fails with the kazoo error; every
        `AUDIT_TRIM_EVERY`-th record also starts a trim to the newest `keep`. Raises StoreError (nothing
        sent) for a record too big for a node."""
        future = self._nodes.client.handler.async_result()

        def created(result: IAsyncResult) -> None:
            try:
                sequence = sequence_of(result.get())
            except Exception as error:
                future.set_exception(error)
                return
            if sequence % AUDIT_TRIM_EVERY == 0:
                self.trim_async()
            future.set(sequence)

        self._nodes.client.create_async(self._layout.audit_prefix, encode(record, what="audit record"),
                                        sequence=True, makepath=True).rawlink(created)
        return future

    def trim_async(self) -> IAsyncResult:
        """Deletes all but the newest `keep` records; the future yields how many went."""
        return trim_oldest_async(self._nodes, self._layout.audit_dir, AUDIT_PREFIX, self.keep, None)

    @translated
    def recent(self, limit: int | None = None) -> list[dict]:
        """The newest records, newest first: at most `limit`, and never more than `keep`. Raises StoreError."""
        directory = self._layout.audit_dir
        if not self._nodes.client.retry(self._nodes.client.exists, directory):
            return []
        names = sorted((name for name in self._nodes.children(directory, "audit directory")
                        if name.startswith(AUDIT_PREFIX)), key=sequence_of, reverse=True)
        wanted = [f"{directory}/{name}" for name in names[:min(self.keep, limit if limit is not None else self.keep)]]
        found = self._nodes.get_many(wanted)
        return [found[path][0] for path in wanted if path in found]  # trimmed meanwhile: left out
