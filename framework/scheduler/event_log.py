"""The leader's Marathon events (/v2/events): recorded during a batch, written together at its end, and
trimmed to the newest `keep` every `TRIM_INTERVAL` seconds so that `events/` stays bounded."""

from __future__ import annotations

import logging
import math
from typing import Any

from framework.store import DEFAULT_EVENTS_KEPT, EventStore
from framework.timeutil import format_ts

log = logging.getLogger(__name__)

TRIM_INTERVAL = 5.0  # seconds between two trims of `events/`


class EventLog:
    """Owns the events recorded and not yet written, and when `events/` was last trimmed and whether that
    trim is still under way. Used on the loop's thread only.

    Handed the event store, where they are appended and trimmed; `keep`: how many events `events/` keeps."""

    def __init__(self, store: EventStore, *, keep: int = DEFAULT_EVENTS_KEPT,
                 trim_interval: float = TRIM_INTERVAL) -> None:
        self._store = store
        self._unsent: list[dict] = []
        self._keep = keep
        self._trim_interval = trim_interval
        self._next_trim = -math.inf
        self._trimming: Any = None  # the future of the trim under way

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

    def trim(self, now: float) -> None:
        """Deletes all but the newest `keep` events, from the loop's tick: at most every `trim_interval`
        seconds and never while the previous trim is still under way, without waiting (the deletes are
        asynchronous, `EventStore.trim_async`, and bounded per trim). Best-effort: a failure is logged and
        the next trim tries again."""
        if now < self._next_trim or (self._trimming is not None and not self._trimming.ready()):
            return
        self._next_trim = now + self._trim_interval

        def trimmed(result: Any) -> None:
            try:
                deleted = result.get()
            except Exception as error:
                log.warning("could not trim the events: %s", error)
                return
            if deleted:
                log.debug("trimmed %d events", deleted)

        try:
            self._trimming = self._store.trim_async(self._keep)
        except Exception as error:
            log.warning("could not trim the events: %s", error)
            self._trimming = None
            return
        self._trimming.rawlink(trimmed)
