"""Prometheus text metrics: request counts and latency (per worker), plus state gauges from the mirror.

Hand-written rather than prometheus_client: a handful of series, and no multiprocess directory to
manage under gunicorn. Request series are per worker process (``worker`` label = pid), because each
gunicorn worker counts its own requests; the state gauges come from the shared ZooKeeper state, so any
worker reports the same values.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

from flask import Flask, Response, g, request

from framework.store import Snapshot

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """Counts and a latency histogram per (method, route, status); thread-safe for gthread workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self.buckets: Counter[tuple[str, str, float]] = Counter()
        self.sums: Counter[tuple[str, str]] = Counter()
        self.counts: Counter[tuple[str, str]] = Counter()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            self.sums[(method, route)] += seconds
            self.counts[(method, route)] += 1
            for bound in BUCKETS:
                if seconds <= bound:
                    self.buckets[(method, route, bound)] += 1

    def render(self) -> list[str]:
        worker = os.getpid()
        lines = ["# HELP balalaika_api_requests_total HTTP requests served, by route and status.",
                 "# TYPE balalaika_api_requests_total counter"]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'balalaika_api_requests_total{{worker="{worker}",method="{method}",'
                             f'route="{_escape(route)}",status="{status}"}} {n}')
            lines += ["# HELP balalaika_api_request_duration_seconds Request latency.",
                      "# TYPE balalaika_api_request_duration_seconds histogram"]
            for (method, route), total in sorted(self.counts.items()):
                labels = f'worker="{worker}",method="{method}",route="{_escape(route)}"'
                for bound in BUCKETS:
                    n = self.buckets[(method, route, bound)]
                    lines.append(f'balalaika_api_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
                lines.append(f'balalaika_api_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total}')
                lines.append(f"balalaika_api_request_duration_seconds_sum{{{labels}}} {self.sums[(method, route)]:.6f}")
                lines.append(f"balalaika_api_request_duration_seconds_count{{{labels}}} {total}")
        return lines


def state_lines(snapshot: Snapshot) -> list[str]:
    """Gauges of the cluster state as the mirror sees it."""
    apps = snapshot.apps
    by_state: Counter[str] = Counter()
    for tasks in snapshot.tasks.values():
        for task in tasks.values():
            by_state[task.get("state", "TASK_STAGING")] += 1
    lines = ["# HELP balalaika_apps Apps defined.", "# TYPE balalaika_apps gauge", f"balalaika_apps {len(apps)}",
             "# HELP balalaika_tasks Tasks known, by Mesos state.", "# TYPE balalaika_tasks gauge"]
    lines += [f'balalaika_tasks{{state="{state}"}} {n}' for state, n in sorted(by_state.items())]
    lines += ["# HELP balalaika_deployments Deployments in progress.", "# TYPE balalaika_deployments gauge",
              f"balalaika_deployments {len(snapshot.deployments)}",
              "# HELP balalaika_queue_apps Apps waiting for launches.", "# TYPE balalaika_queue_apps gauge",
              f"balalaika_queue_apps {len(snapshot.queue)}"]
    return lines


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def init_app(app: Flask) -> RequestMetrics:
    """Times every request; the /metrics view (blueprints/info.py) renders what was collected."""
    metrics = RequestMetrics()
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
