"""Deciding on health from check results, as Mesos's executors do. Pure; the probes are in probes.py.

A check first runs `delay` seconds after the task started, then every `interval`. Failures before the
first success and within `grace_period` of the start do not count. The verdict is reported on the first
success, on the first success after failures, and on every counted failure; after
`consecutive_failures` counted failures in a row the task is to be killed.
"""

from __future__ import annotations

from dataclasses import dataclass

from executor.spec import CheckSpec


@dataclass(frozen=True)
class Verdict:
    report: bool | None  # the health to report now (None: nothing to report)
    kill: bool = False
    cause: str = ""


class HealthPolicy:
    def __init__(self, spec: CheckSpec, started: float) -> None:
        self.spec = spec
        self.started = started
        self.next_due = started + spec.delay
        self.succeeded_once = False
        self.failures = 0
        self.healthy: bool | None = None

    def due(self, now: float) -> bool:
        return now >= self.next_due

    def probed(self, now: float) -> None:
        """A probe was started at `now`: the next one is due an interval later."""
        self.next_due = now + self.spec.interval

    def result(self, ok: bool, now: float, cause: str = "") -> Verdict:
        if ok:
            self.failures = 0
            self.succeeded_once = True
            changed = self.healthy is not True
            self.healthy = True
            return Verdict(True if changed else None)
        if not self.succeeded_once and now - self.started < self.spec.grace_period:
            return Verdict(None)
        self.failures += 1
        self.healthy = False
        return Verdict(False, kill=self.failures >= self.spec.consecutive_failures, cause=cause)
