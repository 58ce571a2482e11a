"""The /v2/events streams of one worker process: one subscription to the mirror's event feed, fanned out to
an inbox per stream. The subscription is held only while a stream is open: without it the mirror reads no
events at all.

A stream's thread blocks on its inbox until an event or a heartbeat is due; nothing polls, so a thousand
idle streams cost memory, not CPU. Publishing runs on kazoo's completion thread and only puts into
inboxes (of the streams that want the event); a stream that falls `limit` events behind gets an overflow
mark and ends, rather than letting memory grow for a client that does not read. `close_all` (SIGTERM)
ends every stream at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

OVERFLOW = object()
CLOSED = object()


class Inbox:
    """The events waiting for one stream, plus its end mark (OVERFLOW or CLOSED) once it has one."""

    def __init__(self, limit: int, wants: Callable[[dict], bool]) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._limit = limit
        self._wants = wants
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    def offer(self, event: dict) -> None:
        """Queues `event` if the stream wants it: filtering here, not in the stream, spares a wake-up of
        every stream's greenlet for the events most of them skip."""
        if self._ended or not self._wants(event):
            return
        if self._queue.qsize() >= self._limit:
            self.end(OVERFLOW)
        else:
            self._queue.put(event)

    def end(self, mark: object) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put(mark)

    def next(self, timeout: float) -> object | None:
        """The next event or end mark; None when `timeout` seconds passed without one (time for a heartbeat)."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


Subscribe = Callable[[Callable[[int, dict], None]], Callable[[], None]]


class EventHub:
    """Inboxes of the open streams of this process, fed by one mirror subscription while there are any."""

    def __init__(self, subscribe: Subscribe, limit: int) -> None:
        self._subscribe = subscribe
        self._unsubscribe: Callable[[], None] | None = None
        self._limit = limit
        self._lock = threading.Lock()
        self._inboxes: set[Inbox] = set()
        self._closing = False

    def open(self, wants: Callable[[dict], bool]) -> Inbox:
        """A new stream's inbox, fed with the events for which `wants(event)` is true."""
        inbox = Inbox(self._limit, wants)
        with self._lock:
            if self._closing:
                inbox.end(CLOSED)
            self._inboxes.add(inbox)
            if self._unsubscribe is None:
                self._unsubscribe = self._subscribe(lambda _seq, event: self.publish(event))
        return inbox

    def close(self, inbox: Inbox) -> None:
        with self._lock:
            self._inboxes.discard(inbox)
            if not self._inboxes and self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None

    def close_all(self) -> None:
        """Ends every stream of this process now and any opened later (the worker is stopping)."""
        with self._lock:
            self._closing = True
            inboxes = list(self._inboxes)
        for inbox in inboxes:
            inbox.end(CLOSED)

    def publish(self, event: dict) -> None:
        """Offers `event` to every open stream of this process."""
        with self._lock:
            inboxes = list(self._inboxes)
        for inbox in inboxes:
            inbox.offer(event)
