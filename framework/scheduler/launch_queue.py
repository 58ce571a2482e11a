"""The launch queue: how many instances of each app wait for an offer, each app's backoff, and /v2/queue.

Deployments and steady-state convergence queue and withdraw launches; offers take them. An app's backoff
grows with each task of its current version that fails on its own and resets with a new version (its
predecessor's failures say nothing) or a ``reset-delay`` request.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from framework.backoff import Backoff
from framework.matching.match import Demand
from framework.store import QueueStore
from framework.timeutil import format_ts


class LaunchQueue:
    """Owns the queued launch counts, the backoffs and the /v2/queue entries written. Loop thread only.

    Handed the queue store, where the /v2/queue entries are written."""

    def __init__(self, entries: QueueStore) -> None:
        self._store = entries
        self._pending: dict[str, int] = {}  # app id -> launches queued that have no task record yet
        self._backoffs: dict[str, tuple[str | None, Backoff]] = {}  # app id -> (app version, backoff)
        self._entries: dict[str, dict] = {}  # app id -> its /v2/queue entry as last written
        self._touched: set[str] = set()  # apps whose count changed since `take_touched` last asked

    @property
    def counts(self) -> Mapping[str, int]:
        """Queued launches by app id (read-only; it follows later changes)."""
        return MappingProxyType(self._pending)

    def adjust(self, app_id: str, *, launch: int, unqueue: int) -> int:
        """Queues ``launch`` more launches of the app and withdraws ``unqueue``; returns the new count."""
        if launch == unqueue:  # every tick asks this of every app; only a change makes an entry
            return self._pending.get(app_id, 0)
        self._pending[app_id] = self._pending.get(app_id, 0) - unqueue + launch
        self._touched.add(app_id)
        return self._pending[app_id]

    def drop(self, app_id: str) -> None:
        """Withdraws every queued launch of the app."""
        self._pending.pop(app_id, None)
        self._touched.add(app_id)

    def launched(self, counts: Mapping[str, int]) -> None:
        """Takes launches off the queue once their task records are written and sent."""
        for app_id, count in counts.items():
            self._pending[app_id] = max(0, self._pending.get(app_id, 0) - count)
        self._touched.update(counts)

    def take_touched(self) -> set[str]:
        """The apps whose count changed since the last call."""
        touched, self._touched = self._touched, set()
        return touched

    def wanted(self) -> bool:
        """True while any launch waits for an offer."""
        return any(count > 0 for count in self._pending.values())

    def demands(self, apps: Mapping[str, Mapping[str, Any]], now: float) -> list[Demand]:
        """What offers should be matched against now: queued launches of existing apps out of backoff."""
        return [Demand(apps[app_id], count) for app_id, count in self._pending.items()
                if count > 0 and app_id in apps and self._backoff(apps[app_id]).ready(now)]

    def failed(self, app: Mapping[str, Any], now: float) -> None:
        """A task of the app's current version failed on its own: its next launch waits longer."""
        self._backoffs[app["id"]] = (app.get("version"), self._backoff(app).on_failure(app, now))

    def reset_delay(self, app_id: str) -> None:
        self._backoffs.pop(app_id, None)

    def record_reasons(self, reasons: Mapping[str, Any]) -> None:
        """Keeps why the last offers were not used for an app, for its next /v2/queue entry."""
        for app_id, counter in reasons.items():
            entry = self._entries.get(app_id)
            if entry is not None:
                entry["processedOffersSummary"] = {str(reason): count for reason, count in counter.items()}

    def publish(self, apps: Mapping[str, Any], now: float) -> None:
        """Writes /v2/queue's view (pending count and backoff delay) when it changes; forgets the launches
        of apps that no longer exist."""
        for app_id, count in list(self._pending.items()):
            if count <= 0 or app_id not in apps:
                self._pending.pop(app_id, None)
                if self._entries.pop(app_id, None) is not None:
                    self._store.delete(app_id)
                continue
            left = self._backoff(apps[app_id]).remaining(now)
            entry = {"count": count, "delay": {"timeLeftSeconds": round(left), "overdue": left <= 0}}
            previous = self._entries.get(app_id)
            if previous is None or previous["count"] != count or previous["delay"] != entry["delay"]:
                entry["since"] = (previous or {}).get("since") or format_ts(now)
                entry["processedOffersSummary"] = (previous or {}).get("processedOffersSummary", {})
                self._entries[app_id] = entry
                self._store.put(app_id, entry)

    def _backoff(self, app: Mapping[str, Any]) -> Backoff:
        """The app's backoff; a new version starts without one."""
        version, backoff = self._backoffs.get(app["id"], (None, Backoff()))
        return backoff if version == app.get("version") else Backoff()
