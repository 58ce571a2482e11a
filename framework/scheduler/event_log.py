"""The leader's Marathon events (/v2/events): recorded during a batch, written together at its end."""

from __future__ import annotations

import logging
from typing import Any

from framework.store import EventStore
from framework.timeutil import format_ts

log = logging.getLogger(__name__)


class EventLog:
    """Owns the events recorded and not yet written. Used on the loop's thread only.

    Handed the event store, where they are appended."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._unsent: list[dict] = []

    def record(self, event: dict, now: float) -> None:
        """Queues an event, stamped ``now`` unless it has a timestamp; `flush` writes the queue in order."""
        event.setdefault("timestamp", format_ts(now))
        self._unsent.append(event)

    def flush(self) -> None:
        """Appends the queued events in a few transactions instead of one create each (which paced a
        1,000-task launch: two events per task). Best-effort, as the event stream is: failures are logged."""
        events, self._unsent = self._unsent, []
        if not events:
            return

        def written(result: Any) -> None:
            try:
                failed = [outcome for outcome in result.get() if isinstance(outcome, Exception)]
            except Exception as error:
                failed = [error]
            if failed:
                log.warning("could not record events: %s", failed[0])

        try:
            futures = self._store.append_many(events)
        except Exception:  # one too large for a node: nothing was sent, so send them one by one
            futures = []
            for event in events:
                try:
                    self._store.append(event)
                except Exception as error:
                    log.warning("could not record event %s: %s", event.get("eventType"), error)
        for future in futures:
            future.rawlink(written)
