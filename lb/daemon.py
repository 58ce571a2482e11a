"""The lb's loop: one thread owns the apps and the applier; the event stream's reader only enqueues.

Each pass takes every event waiting (a burst becomes one apply), lets `AppsState` settle what the
events say, re-reads what they do not settle, and applies the routing once. A full snapshot is read
at start, after every (re)connection of the event stream (events may have been missed meanwhile), on
``/_mlb_signal/hup`` and every `resync_interval`; without the stream, every `poll_interval`.
"""

from __future__ import annotations

import gc
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lb.apply import Applier, ApplyError
from lb.marathon import MarathonClient
from lb.metrics import LbMetrics
from lb.state import EVENT_TYPES, AppsState, Refresh

log = logging.getLogger(__name__)

RESYNC = "resync"  # inbox message: read a whole snapshot
RELOAD = "reload"  # inbox message: reload HAProxy with the current config
TICK = 1.0  # seconds between retries of lingering server deletions
# An app an event named but the API did not have: deleted, or a replica of the API that has not seen it yet
# (each API worker follows ZooKeeper on its own). Doubt: whole snapshots after 1, 2, 4, 8 s settle it.
RECHECK_DELAY = 1.0
RECHECKS = 4


@dataclass
class Timing:
    resync_interval: float = 300.0
    poll_interval: float = 60.0
    read_timeout: float = 120.0  # a stream silent this long is reconnected
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0


class Backoff:
    """Jittered exponential delays (x1.5), so that many lbs do not reconnect in step."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high, self.current = low, high, low

    def next(self) -> float:
        delay = self.current * random.uniform(0.5, 1.0)
        self.current = min(self.high, self.current * 1.5)
        return delay

    def reset(self) -> None:
        self.current = self.low


class Balancer:
    def __init__(self, client: MarathonClient, state: AppsState, applier: Applier, metrics: LbMetrics,
                 timing: Timing, sse: bool = True, reload: Callable[[], None] | None = None) -> None:
        self.client = client
        self.state = state
        self.applier = applier
        self.metrics = metrics
        self.timing = timing
        self.sse = sse
        self.reload = reload
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.stopping = threading.Event()
        self.synced = False
        self.recheck_at: float | None = None
        self.doubted: dict[str, int] = {}  # app id -> snapshots read since an event named it and it was missing

    def stop(self) -> None:
        self.stopping.set()
        self.inbox.put(None)

    def run(self) -> None:
        if self.sse:
            threading.Thread(target=self._watch, name="lb-events", daemon=True).start()
        self.inbox.put(RESYNC)
        retry = Backoff(self.timing.reconnect_min, self.timing.reconnect_max)
        due = time.monotonic() + self._interval()
        while not self.stopping.is_set():
            if self.recheck_at is not None:
                due = min(due, self.recheck_at)
            items = self._take(timeout=min(TICK, max(0.0, due - time.monotonic())))
            if time.monotonic() >= due:
                items.append(RESYNC)
                self.recheck_at = None
            if not self._handle(items):
                due = time.monotonic() + retry.next()  # the API did not answer: try again soon
                continue
            retry.reset()
            if RESYNC in items:
                due = time.monotonic() + self._interval()
            self.applier.retry_deletions()

    def _interval(self) -> float:
        return self.timing.resync_interval if self.sse else self.timing.poll_interval

    def _take(self, timeout: float) -> list[Any]:
        try:
            items = [self.inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                items.append(self.inbox.get_nowait())
            except queue.Empty:
                return [item for item in items if item is not None]

    def _handle(self, items: list[Any]) -> bool:
        """Settles the items and applies once; False when the API could not be read."""
        events = [item for item in items if isinstance(item, dict)]
        self.metrics.events.inc(len(events))
        everything = RESYNC in items or not self.synced
        wanted: set[str] = set()
        for event in events:
            refresh: Refresh = self.state.on_event(event)
            everything = everything or refresh.everything
            wanted |= refresh.app_ids
        try:
            if everything:
                self.state.replace_all(self.client.apps())
                # a snapshot is many long-lived objects: out of the collector's sight, later collections
                # do not rescan them all
                gc.freeze()
                self.metrics.resyncs.inc()
                self.synced = True
            else:
                for app_id in sorted(wanted):
                    app = self.client.app(app_id)
                    if app is None:
                        self.state.remove(app_id)
                        self.doubted.setdefault(app_id, 0)
                    else:
                        self.state.put(app)
                        self.doubted.pop(app_id, None)
            self._schedule_recheck(everything)
        except Exception as error:
            self.metrics.api_errors.inc()
            self.synced = self.synced and not everything
            log.warning("could not read the API: %s", error)
            return False
        self._apply()
        if RELOAD in items and self.reload is not None:
            self.reload()
            self.metrics.reloads.inc()
        return True

    def _schedule_recheck(self, resynced: bool) -> None:
        """After a snapshot, apps still doubted (named by an event, missing from the API) are looked for again
        in a later one, a few times with growing delays; then they are taken as deleted."""
        if resynced:
            self.doubted = {app_id: seen + 1 for app_id, seen in self.doubted.items()
                            if app_id not in self.state.apps and seen + 1 < RECHECKS}
        if self.doubted:
            delay = RECHECK_DELAY * 2 ** min(self.doubted.values())
            self.recheck_at = self.recheck_at or time.monotonic() + delay

    def _apply(self) -> None:
        try:
            outcome, routing = self.applier.apply(self.state.routing())
        except (ApplyError, OSError, RuntimeError) as error:
            self.metrics.apply_failures.inc()
            log.error("could not apply the routing: %s", error)
            return
        self.metrics.applied(outcome, routing)
        if outcome != "unchanged":
            log.info("routing applied (%s): %d services, %d servers, %d skipped", outcome, len(routing.services),
                     sum(len(s.servers) for s in routing.services), len(routing.skipped))

    def _watch(self) -> None:
        """Reads the event stream into the inbox; reconnects with backoff and asks for a resync after each
        (re)connection, since events sent while it was away are lost."""
        backoff = Backoff(self.timing.reconnect_min, self.timing.reconnect_max)
        while not self.stopping.is_set():
            try:
                stream = self.client.events(EVENT_TYPES, self.timing.read_timeout)
                self.inbox.put(RESYNC)
                for event in stream:
                    if self.stopping.is_set():
                        return
                    backoff.reset()  # a stream that delivers, not merely one that connects
                    self.inbox.put(event)
            except Exception as error:
                self.metrics.api_errors.inc()
                log.warning("event stream: %s", error)
            self.stopping.wait(backoff.next())
