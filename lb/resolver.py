"""Task host names to addresses for server lines (HAProxy's runtime API takes addresses, not names)."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable

_FOREVER = float("inf")


class Resolver:
    """Resolves with the system resolver and remembers answers for `ttl` seconds, failures included,
    so an unresolvable agent costs one lookup per `ttl`, not one per event."""

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.cache: dict[str, tuple[float, str | None]] = {}  # host -> (expires at, address or None)

    def __call__(self, host: str) -> str | None:
        """The address of `host` (itself when it is one: the usual case, answered from the cache, since
        a snapshot names the same agents thousands of times)."""
        cached = self.cache.get(host)
        if cached is not None and (cached[0] == _FOREVER or self.clock() < cached[0]):
            return cached[1]
        if not host:
            return None
        try:
            address: str | None = str(ipaddress.ip_address(host))
            expires = _FOREVER
        except ValueError:
            try:
                address = socket.gethostbyname(host)
            except OSError:
                address = None
            expires = self.clock() + self.ttl
        self.cache[host] = (expires, address)
        return address
