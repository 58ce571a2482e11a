"""A mixed load on the api: readers, writers and event subscribers at once, every answer timed and counted.

    with Soak(api_url, readers=30, writers=10, subscribers=10) as soak:
        soak.run_for(60)
    soak.report()  # "reads: 12345, p50 9 ms, p99 80 ms; writes: ... 5xx: 0, failed: 0"

Readers cycle over the GET routes clients poll; each writer owns one app and replaces it (new env, 0 or 1
instance, `force=true` as deployment tools do) about once a second; subscribers hold /v2/events streams
and count the `api_post_event`s they receive. A failure is a connection error, a timeout or a status
other than 200/201; `failures` keeps the first reasons.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

import requests

from tests.sse import RawStream, read_for

READ_PATHS = ("/v2/apps", "/v2/apps?embed=apps.tasks", "/v2/tasks", "/v2/deployments", "/v2/queue", "/v2/info",
              "/v2/groups", "/ping", "/metrics", "/v2/leader")
WRITE_INTERVAL = 1.0
MAX_FAILURES_KEPT = 20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


class Soak:
    def __init__(self, api_url: str, *, readers: int, writers: int, subscribers: int,
                 timeout: float = 10.0) -> None:
        self.url = api_url.rstrip("/")
        self.readers, self.writers, self.subscribers = readers, writers, subscribers
        self.timeout = timeout
        self.latencies: dict[str, list[float]] = {"read": [], "write": []}
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.failed = 0
        self.writes = 0
        self.streams: list[RawStream] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def __enter__(self) -> Soak:
        port = int(self.url.rsplit(":", 1)[1])
        self.streams = [RawStream(port) for _ in range(self.subscribers)]
        self._threads = [threading.Thread(target=self._read, args=(n,), daemon=True) for n in range(self.readers)]
        self._threads += [threading.Thread(target=self._write, args=(n,), daemon=True)
                          for n in range(self.writers)]
        for thread in self._threads:
            thread.start()
        return self

    def run_for(self, seconds: float) -> None:
        """Keeps the streams read while the load runs; a stream the server closed is a failure."""
        read_for(self.streams, seconds)
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        for stream in self.streams:
            if not stream.read_available():
                self._fail(f"event stream closed by the server after {len(stream.received)} bytes")

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for stream in self.streams:
            stream.close()

    def events_received(self) -> list[int]:
        """`api_post_event`s each subscriber got."""
        return [stream.received.count(b"event: api_post_event") for stream in self.streams]

    def report(self) -> str:
        parts = []
        for kind, values in self.latencies.items():
            parts.append(f"{kind}s: {len(values)}, p50 {percentile(values, 0.5) * 1000:.0f} ms, "
                         f"p99 {percentile(values, 0.99) * 1000:.0f} ms")
        events = self.events_received()
        return (f"{'; '.join(parts)}; {self.subscribers} subscribers got {min(events, default=0)}-"
                f"{max(events, default=0)} api_post_events; 5xx: {self.server_errors}, failed: {self.failed}")

    def _read(self, index: int) -> None:
        session = requests.Session()
        for path in itertools.islice(itertools.cycle(READ_PATHS), index, None):
            if self._stop.is_set():
                return
            self._timed("read", session, "GET", self.url + path)

    def _write(self, index: int) -> None:
        session = requests.Session()
        app_id = f"/soak/writer-{index}"
        for n in itertools.count():
            if self._stop.is_set():
                return
            started = time.monotonic()
            body = {"id": app_id, "cmd": "exec sleep 600", "cpus": 0.01, "mem": 8, "instances": n % 2,
                    "env": {"GENERATION": str(n)}}
            self._timed("write", session, "PUT", f"{self.url}/v2/apps{app_id}", json=body, params={"force": "true"})
            self._stop.wait(max(0.0, WRITE_INTERVAL - (time.monotonic() - started)))  # pacing, not waiting

    def _timed(self, kind: str, session: requests.Session, method: str, url: str, **options: object) -> None:
        started = time.perf_counter()
        try:
            response = session.request(method, url, timeout=self.timeout, **options)
        except requests.RequestException as error:
            self._fail(f"{kind}: {error}")
            return
        elapsed = time.perf_counter() - started
        with self._lock:
            self.statuses[response.status_code] += 1
            self.latencies[kind].append(elapsed)
            if kind == "write":
                self.writes += 1
        if response.status_code not in (200, 201):
            self._fail(f"{method} {url}: {response.status_code} {response.text[:200]}")

    def _fail(self, reason: str) -> None:
        with self._lock:
            self.failed += 1
            if len(self.failures) < MAX_FAILURES_KEPT:
                self.failures.append(reason)
