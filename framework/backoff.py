"""Per-app launch backoff: after failed tasks, wait longer and longer before launching again.

Marathon's rule: after the k-th failure in a row the next launch waits
``min(backoffSeconds · backoffFactor^(k-1), maxLaunchDelaySeconds)`` seconds. A new app version
starts from scratch (``reset``): the failures of the old version say nothing about the new one. A task
that merely reached TASK_RUNNING does not reset the streak, so an app that crashes a second after it
starts still backs off. Pure: ``now`` is an input and a ``Backoff`` is an immutable value that the
scheduler keeps per app and replaces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def next_delay(app: Mapping[str, Any], failures: int) -> float:
    """Seconds to wait before the next launch after ``failures`` failures in a row (0 for none)."""
    if failures < 1:
        return 0.0
    base = float(app["backoffSeconds"])
    factor = float(app["backoffFactor"])
    ceiling = float(app["maxLaunchDelaySeconds"])
    try:
        delay = base * factor ** (failures - 1)
    except OverflowError:  # a long failure streak with factor > 1: far past any ceiling
        return ceiling
    return min(delay, ceiling) if math.isfinite(delay) else ceiling


@dataclass(frozen=True)
class Backoff:
    """An app's failure streak and the time before which no launch may start (None: no wait)."""

    failures: int = 0
    delay_until: float | None = None

    def on_failure(self, app: Mapping[str, Any], now: float) -> Backoff:
        """The backoff after one more failed task, observed at ``now``."""
        failures = self.failures + 1
        return Backoff(failures, now + next_delay(app, failures))

    def reset(self) -> Backoff:
        """No backoff: for a new app version (or an operator's explicit reset of the delay)."""
        return Backoff()

    def ready(self, now: float) -> bool:
        """True when a launch may start at ``now``."""
        return self.delay_until is None or now >= self.delay_until

    def remaining(self, now: float) -> float:
        """Seconds still to wait at ``now`` (for ``/v2/queue``'s delay and for timers)."""
        return 0.0 if self.delay_until is None else max(0.0, self.delay_until - now)
