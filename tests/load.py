"""Steady HTTP load that counts every request and every failure, for "zero failed requests" tests.

    with LoadCounter(f"http://127.0.0.1:{port}/", host_header="web.example") as load:
        stack.restart("/web")
        stack.wait_running("/web", 3)
    assert load.failed == 0, load.failures[:5]
    assert len(load.bodies) == 3  # three backend instances answered

Each request goes over a new connection (`Connection: close`), so that a balancer chooses a server for
every one of them: with keep-alive, one connection would stick to one backend and hide a bad choice.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

MAX_FAILURES_KEPT = 50
MAX_BODY = 64 * 1024


class LoadCounter:
    """`threads` threads each GET `url` in a loop, `interval` apart, until stopped or `max_duration` is over.

    A failure is a connection error, a timeout or a non-2xx status; `failures` keeps the first reasons.
    `bodies` counts the first lines of the 2xx bodies. Counts are final once stop() (or the with block)
    returns."""

    def __init__(self, url: str, host_header: str | None = None, *, threads: int = 4, timeout: float = 2.0,
                 interval: float = 0.01, max_duration: float = 300.0) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.headers = {"Connection": "close", **({"Host": host_header} if host_header else {})}
        self.timeout, self.interval, self.max_duration = timeout, interval, max_duration
        self.total = 0
        self.failed = 0
        self.failures: list[str] = []
        self.bodies: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.thread_count = threads
        self._threads: list[threading.Thread] = []

    @property
    def succeeded(self) -> int:
        return self.total - self.failed

    def start(self) -> LoadCounter:
        deadline = time.monotonic() + self.max_duration
        self._threads = [threading.Thread(target=self._run, args=(deadline,), name=f"load-{i}", daemon=True)
                         for i in range(self.thread_count)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Ends the loops and waits for the requests in flight (each ends within `timeout`)."""
        self._stopped.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def __enter__(self) -> LoadCounter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, deadline: float) -> None:
        while not self._stopped.is_set() and time.monotonic() < deadline:
            self._record(*self._request())
            self._stopped.wait(self.interval)

    def _request(self) -> tuple[str | None, str | None]:
        """One GET on a new connection: (first line of a 2xx body, None) or (None, why it failed)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("GET", self.path, headers=self.headers)
            response = connection.getresponse()
            first_line = response.read(MAX_BODY).decode(errors="replace").partition("\n")[0].strip()
        except (OSError, http.client.HTTPException) as error:
            return None, f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            return None, f"HTTP {response.status}: {first_line[:200]}"
        return first_line, None

    def _record(self, body: str | None, failure: str | None) -> None:
        with self._lock:
            self.total += 1
            if failure is not None:
                self.failed += 1
                if len(self.failures) < MAX_FAILURES_KEPT:
                    self.failures.append(failure)
            else:
                self.bodies[body or ""] += 1
