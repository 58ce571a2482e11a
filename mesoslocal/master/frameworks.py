"""The framework registry: which frameworks the master knows, and which ids it has removed for good (notes C9)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from mesoslocal.master.records import Framework, Subscription

COMPLETED_FRAMEWORKS_KEEP = 50


class FrameworkRegistry:
    """Active frameworks by id (subscribed, or disconnected within their failover timeout, or recovered from an
    agent), the last few removed ones for /state, and every removed id, so a scheduler that comes back with one is
    refused. The framework lifecycle (lifecycle.py) is the only one that adds or retires a framework."""

    def __init__(self) -> None:
        self._active: dict[str, Framework] = {}
        self._completed: deque[Framework] = deque(maxlen=COMPLETED_FRAMEWORKS_KEEP)
        self._removed_ids: set[str] = set()

    def get(self, framework_id: str) -> Framework | None:
        return self._active.get(framework_id)

    def __getitem__(self, framework_id: str) -> Framework:
        return self._active[framework_id]

    def __iter__(self) -> Iterator[Framework]:
        return iter(list(self._active.values()))

    def completed(self) -> list[Framework]:
        return list(self._completed)

    def is_removed(self, framework_id: str | None) -> bool:
        return framework_id in self._removed_ids

    def with_subscription(self, subscription: Subscription) -> Framework | None:
        return next((f for f in self._active.values() if f.subscription is subscription), None)

    def add(self, framework: Framework) -> None:
        self._active[framework.id] = framework

    def retire(self, framework: Framework) -> None:
        """Forget an active framework; its id is never accepted again."""
        del self._active[framework.id]
        self._removed_ids.add(framework.id)
        self._completed.append(framework)
