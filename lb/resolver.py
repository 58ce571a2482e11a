"""Task host names to addresses for server lines (HAProxy's runtime API takes addresses, not names)."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable


class Resolver:
    """Resolves with the system resolver and remembers answers for `ttl` seconds, failures included,
    so an unresolvable agent costs one lookup per `ttl`, not one per event."""

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.cache: dict[str, tuple[float, str | None]] = {}

    def __call__(self, host: str) -> str | None:
        if not host:
            return None
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
        now = self.clock()
        cached = self.cache.get(host)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            address: str | None = socket.gethostbyname(host)
        except OSError:
            address = None
        self.cache[host] = (now, address)
        return address
