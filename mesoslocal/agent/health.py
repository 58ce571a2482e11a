"""Mesos-native health checks (notes D5), run by the agent next to each task.

`HealthState` decides what a check result means (report healthy, report unhealthy, ignore, give up); it is
pure and fed with `(now, ok)`. `HealthChecker` is the thin I/O loop around it: wait `delay_seconds`, run one
HTTP/TCP/COMMAND check every `interval_seconds`, each bounded by `timeout_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthPolicy:
    """The timing fields of a v1 HealthCheck, with Mesos's defaults."""

    kind: str
    delay_seconds: float = 15.0
    interval_seconds: float = 10.0
    timeout_seconds: float = 20.0
    consecutive_failures: int = 3
    grace_period_seconds: float = 10.0

    @classmethod
    def from_health_check(cls, health_check: dict) -> HealthPolicy:
        """Reads a v1 HealthCheck dict; raises ValueError for an unknown or missing check type."""
        kind = health_check.get("type") or infer_type(health_check)
        if kind not in ("HTTP", "TCP", "COMMAND"):
            raise ValueError(f"unsupported health check type {kind!r}")
        fields = {name: health_check[name] for name in ("delay_seconds", "interval_seconds", "timeout_seconds",
                                                         "consecutive_failures", "grace_period_seconds")
                  if health_check.get(name) is not None}
        return cls(kind=kind, **fields)


def infer_type(health_check: dict) -> str:
    """Old frameworks omit `type`; the master infers it from the one check body that is set."""
    for kind in ("COMMAND", "HTTP", "TCP"):
        if kind.lower() in health_check:
            return kind
    raise ValueError("health check has no type and no command/http/tcp body")


@dataclass(frozen=True)
class Verdict:
    """What to tell the scheduler after one check: `report` is the `healthy` value to send (None: send
    nothing); `give_up` means the task must be killed and checking stops."""

    report: bool | None = None
    give_up: bool = False


class HealthState:
    """The D5 rules, without I/O or clocks:

    * a success reports healthy only when it is the first one or follows counted failures;
    * before the first success, failures within `grace_period_seconds` of `started_at` are ignored;
    * every other failure is counted and reports unhealthy;
    * `consecutive_failures` counted failures in a row give up (0 never does, as in Marathon).
    """

    def __init__(self, *, started_at: float, grace_period_seconds: float, consecutive_failures: int) -> None:
        self.started_at = started_at
        self.grace_period_seconds = grace_period_seconds
        self.consecutive_failures = consecutive_failures
        self.healthy: bool | None = None  # the last reported value
        self.seen_success = False
        self.failures_in_a_row = 0
        self.gave_up = False

    def record(self, now: float, ok: bool) -> Verdict:
        """Feeds one check result taken at `now`; returns what to report."""
        if self.gave_up:
            return Verdict()
        if ok:
            self.seen_success = True
            self.failures_in_a_row = 0
            if self.healthy is True:
                return Verdict()
            self.healthy = True
            return Verdict(report=True)
        if not self.seen_success and now - self.started_at < self.grace_period_seconds:
            return Verdict()
        self.failures_in_a_row += 1
        self.healthy = False
        self.gave_up = 0 < self.consecutive_failures <= self.failures_in_a_row
        return Verdict(report=False, give_up=self.gave_up)


class HealthChecker:
    """Runs one task's health check against its runner (`check_host`, `run_check_command`) and reports
    through the agent's callbacks: `on_result(healthy)` for every reported result, `on_give_up()` once."""

    def __init__(self, health_check: dict, runner: Any, on_result: Callable[[bool], Awaitable[None]],
                 on_give_up: Callable[[], Awaitable[None]], clock: Callable[[], float] = time.monotonic) -> None:
        self.health_check = health_check
        self.policy = HealthPolicy.from_health_check(health_check)
        self.runner = runner
        self.on_result = on_result
        self.on_give_up = on_give_up
        self.clock = clock
        self.state: HealthState | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        """Starts checking in the background (call from the event loop); the grace period begins now."""
        if self._task is not None:
            return
        self.state = HealthState(started_at=self.clock(), grace_period_seconds=self.policy.grace_period_seconds,
                                 consecutive_failures=self.policy.consecutive_failures)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="health-checker")

    def stop(self) -> None:
        """Stops checking; no callback is called after this returns (one in flight is cancelled)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def join(self) -> None:
        """Waits until checking has ended (stopped, or given up)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        assert self.state is not None
        try:
            await asyncio.sleep(self.policy.delay_seconds)
            while True:
                verdict = self.state.record(self.clock(), await self.check_once())
                if verdict.report is not None:
                    await self._call(self.on_result, verdict.report)
                if verdict.give_up:
                    await self._call(self.on_give_up)
                    return
                await asyncio.sleep(self.policy.interval_seconds)
        finally:
            if self._session is not None:
                await self._session.close()
                self._session = None

    async def _call(self, callback: Callable[..., Awaitable[None]], *args: Any) -> None:
        try:
            await callback(*args)
        except Exception:  # a failing callback must not end the checking of a live task
            log.exception("health check callback failed")

    async def check_once(self) -> bool:
        """One check, bounded by `timeout_seconds` (0: unbounded); any error counts as a failure."""
        timeout = self.policy.timeout_seconds if self.policy.timeout_seconds > 0 else None
        try:
            return await asyncio.wait_for(self._probe(), timeout)
        except (TimeoutError, OSError, aiohttp.ClientError) as error:
            log.debug("health check failed: %r", error)
            return False
        except Exception:  # e.g. the container vanished under run_check_command
            log.debug("health check failed", exc_info=True)
            return False

    async def _probe(self) -> bool:
        kind = self.policy.kind
        if kind == "COMMAND":
            return await self.runner.run_check_command(self.health_check.get("command", {})) == 0
        if kind == "TCP":
            _, writer = await asyncio.open_connection(self.runner.check_host, int(self.health_check["tcp"]["port"]))
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return True
        http = self.health_check["http"]
        path = http.get("path") or "/"
        url = f"{http.get('scheme') or 'http'}://{self.runner.check_host}:{int(http['port'])}" \
              f"{path if path.startswith('/') else '/' + path}"
        if self._session is None:
            # a new connection per check, as curl makes: a server that stops accepting must fail its check
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        # like curl without -L: a redirect is an answer (3xx counts as healthy); certificates are not checked
        async with self._session.get(url, allow_redirects=False, ssl=False) as response:
            return 200 <= response.status < 400
