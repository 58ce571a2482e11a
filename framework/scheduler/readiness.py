"""Readiness checks: HTTP probes the scheduler itself runs against new tasks during a deployment.

Marathon's readiness checks are not Mesos checks: the scheduler polls
``<protocol>://<host>:<port named portName><path>`` every ``intervalSeconds`` until the answer's status
is in ``httpStatusCodesForReady``; from then on the task is ready (it stays ready, as in Marathon).

The HTTP requests run on a small thread pool, never on the loop's thread: `ReadinessProber.probe`
only submits, and each result comes back to the loop as a `ReadinessResult` on its event queue.
`readiness_url` is the pure part.
"""

from __future__ import annotations

import logging
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from framework.model.ports import port_specs, task_host_ports

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadinessResult:
    task_id: str
    ready: bool
    status: int | None = None


def readiness_url(app: Mapping[str, Any], task: Mapping[str, Any]) -> str | None:
    """The URL of the app's (single) readiness check for ``task``; None when it cannot be built."""
    checks = app.get("readinessChecks") or []
    if not checks:
        return None
    check = checks[0]
    spec = next((spec for spec in port_specs(app) if spec.name == check.get("portName")), None)
    port = None if spec is None else task_host_ports(app, task.get("ports") or [])[spec.index]
    if port is None or not task.get("host"):
        return None
    scheme = "https" if check.get("protocol") == "HTTPS" else "http"
    return f"{scheme}://{task['host']}:{port}{check.get('path') or '/'}"


def _get_status(url: str, timeout: float) -> int | None:
    context = ssl._create_unverified_context() if url.startswith("https") else None  # unverified, like Marathon
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


class ReadinessProber:
    """Runs probes off the loop thread; `deliver` (the loop's queue put) receives each ReadinessResult."""

    def __init__(self, deliver: Callable[[object], None], workers: int = 4) -> None:
        self.deliver = deliver
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="readiness")
        self.in_flight: set[str] = set()
        self.last_probe: dict[str, float] = {}

    def due(self, task_id: str, interval: float, now: float) -> bool:
        return task_id not in self.in_flight and now - self.last_probe.get(task_id, -1e18) >= interval

    def probe(self, task_id: str, url: str, check: Mapping[str, Any], now: float) -> None:
        """Submits one probe; the result arrives later through `deliver`."""
        self.in_flight.add(task_id)
        self.last_probe[task_id] = now
        codes = set(check.get("httpStatusCodesForReady") or [200])
        timeout = float(check.get("timeoutSeconds", 10))

        def run() -> None:
            status = _get_status(url, timeout)
            self.deliver(ReadinessResult(task_id, status in codes, status))

        self.pool.submit(run)

    def settled(self, result: ReadinessResult) -> None:
        self.in_flight.discard(result.task_id)

    def forget(self, keep: set[str]) -> None:
        """Drops the bookkeeping of tasks not in ``keep``."""
        for task_id in list(self.last_probe):
            if task_id not in keep:
                self.last_probe.pop(task_id, None)

    def stop(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
