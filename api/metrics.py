"""Prometheus metrics of the api: request counts and latency summed over every gunicorn worker, and state
gauges read from the mirror at scrape time.

Request series use prometheus_client's multiprocess mode under gunicorn: each worker writes its counters to
files in ``PROMETHEUS_MULTIPROC_DIR`` (a private directory balalaika-api makes per server, api/serve.py), and
a scrape, whichever worker answers it, sums the files of every worker, dead ones included, so counters never
go backwards. Without that variable (one process: tests, a plain Flask run) the same series live in memory.

prometheus_client picks its value storage once, when it is first imported, from that variable; so this
module imports it only inside functions, which under gunicorn run in the workers, after the server set the
variable. Importing it in the master earlier would silently make counts per worker again:
`RequestMetrics` logs an error if that happened.

State gauges (apps, tasks by state, deployments, queue) are not counted but read from the ZooKeeper
mirror by a collector at scrape time: the same whichever worker answers (aggregate them with ``max``).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request

from api.backend import backend
from framework.store import Snapshot

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def state_families(snapshot: Snapshot) -> list[Any]:
    """Gauges of the cluster state as the mirror sees it."""
    from prometheus_client.core import GaugeMetricFamily

    by_state: Tally[str] = Tally()
    for tasks in snapshot.tasks.values():
        for task in tasks.values():
            by_state[task.get("state", "TASK_STAGING")] += 1
    tasks = GaugeMetricFamily("balalaika_tasks", "Tasks known, by Mesos state.", labels=["state"])
    for state, count in sorted(by_state.items()):
        tasks.add_metric([state], count)
    return [GaugeMetricFamily("balalaika_apps", "Apps defined.", value=len(snapshot.apps)), tasks,
            GaugeMetricFamily("balalaika_deployments", "Deployments in progress.", value=len(snapshot.deployments)),
            GaugeMetricFamily("balalaika_queue_apps", "Apps waiting for launches.", value=len(snapshot.queue))]


class StateCollector:
    """A prometheus_client collector over the snapshot ``snapshot()`` returns at each scrape."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Any]:
        yield from state_families(self._snapshot())


class RequestMetrics:
    """Counts and a latency histogram per (method, route, status); thread-safe (gthread workers)."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram, values
        from prometheus_client.multiprocess import MultiProcessCollector

        self.registry: CollectorRegistry = CollectorRegistry()
        shared = multiprocess_dir() is not None
        if shared and not getattr(values.ValueClass, "_multiprocess", False):
            log.error("prometheus_client was imported before %s was set: request counts are per worker",
                      MULTIPROC_ENV)
        if shared:
            MultiProcessCollector(self.registry)
        own = None if shared else self.registry  # shared: the values go to files, a scrape reads them all
        self.requests = Counter("balalaika_api_requests", "HTTP requests served, by route and status.",
                                ["method", "route", "status"], registry=own)
        self.duration = Histogram("balalaika_api_request_duration_seconds", "Request latency.",
                                  ["method", "route"], buckets=BUCKETS, registry=own)
        self.registry.register(StateCollector(snapshot))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def exposition(self) -> Response:
        """The Prometheus text of every worker's request series and the current state gauges."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(self.registry), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> RequestMetrics:
    """Times every request; the /metrics view (blueprints/info.py) renders what was collected."""
    metrics = RequestMetrics(lambda: backend().snapshot())
    app.extensions["balalaika.metrics"] = metrics

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.observe(request.method, route, response.status_code, time.perf_counter() - started)
        return response

    return metrics
