"""Timing every request a kazoo client sends, for a latency histogram (the scheduler's metrics).

kazoo has no hook for this, so `time_requests` wraps its one funnel, ``KazooClient._call`` (kazoo 2.x: every
read, write and transaction goes through it with the future it completes; pings and watches do not). Kept
here, at the store's edge, so that nothing else knows a kazoo internal; if kazoo drops ``_call``, nothing is
timed and a warning says so rather than anything breaking.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient

log = logging.getLogger(__name__)


def time_requests(client: KazooClient, observe: Callable[[str, float], None]) -> bool:
    """Calls ``observe(operation, seconds)`` when each request of `client` completes (on kazoo's thread), the
    operation being kazoo's request type name (``GetData``, ``Create``, ``Transaction``, ...). Returns whether
    timing could be installed."""
    send = getattr(client, "_call", None)
    if send is None:
        log.warning("this kazoo has no KazooClient._call: ZooKeeper latencies are not measured")
        return False

    def timed(request: Any, async_object: Any) -> Any:
        started = time.perf_counter()
        operation = type(request).__name__

        def done(_result: Any) -> None:
            observe(operation, time.perf_counter() - started)

        result = send(request, async_object)
        if result is not False:  # False: refused at once (closed session), never sent
            async_object.rawlink(done)
        return result

    client._call = timed  # type: ignore[method-assign]
    return True
