"""The scheduler's own Prometheus metrics, served on their own port (``balalaika-scheduler --metrics-port``).

One `SchedulerMetrics` per process owns every metric object, on its own registry (no global default
registry: tests make several). The counting sites call one short method each. A standby serves them too:
its leader gauge is 0 and its counters do not move, which is how a scrape tells the two apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, start_http_server

# ZooKeeper round trips on loopback are ~1 ms; a struggling ensemble takes seconds.
ZK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class SchedulerMetrics:
    """Offers, launches, task status updates, deployments, leadership and ZooKeeper latency. Thread-safe
    (prometheus_client's metrics are): the loop counts, kazoo's thread observes latencies."""

    def __init__(self) -> None:
        disable_created_metrics()  # the *_created series only double what a scraper sees
        self.registry = CollectorRegistry()
        r = self.registry
        self.offers_received = Counter("balalaika_scheduler_offers_received", "Offers received from Mesos",
                                       registry=r)
        self.offers_declined = Counter("balalaika_scheduler_offers_declined", "Offers declined", registry=r)
        self.offers_used = Counter("balalaika_scheduler_offers_used", "Offers accepted with launches", registry=r)
        self.launches = Counter("balalaika_scheduler_task_launches", "Tasks sent to Mesos to launch", registry=r)
        self.status_updates = Counter("balalaika_scheduler_task_status_updates",
                                      "Task status updates from Mesos, by state", ["state"], registry=r)
        self.deployments_started = Counter("balalaika_scheduler_deployments_started",
                                           "Deployments this leader began carrying out (a new leader counts the "
                                           "ones it resumes)", registry=r)
        self.deployments_finished = Counter("balalaika_scheduler_deployments_finished",
                                            "Deployments finished successfully", registry=r)
        self.deployments_failed = Counter("balalaika_scheduler_deployments_failed",
                                          "Deployments failed or cancelled, by reason kind", ["reason"], registry=r)
        self.leader = Gauge("balalaika_scheduler_leader", "1 while this scheduler leads, else 0", registry=r)
        self.zk_latency = Histogram("balalaika_scheduler_zookeeper_operation_seconds",
                                    "ZooKeeper request latency, by operation", ["operation"], buckets=ZK_BUCKETS,
                                    registry=r)

    # --- the counting sites ----------------------------------------------------------------------

    def offers(self, received: int, declined: int, used: int) -> None:
        self.offers_received.inc(received)
        self.offers_declined.inc(declined)
        self.offers_used.inc(used)

    def launched(self, count: int) -> None:
        self.launches.inc(count)

    def status_update(self, state: str) -> None:
        self.status_updates.labels(state).inc()

    def deployment_started(self) -> None:
        self.deployments_started.inc()

    def deployment_finished(self) -> None:
        self.deployments_finished.inc()

    def deployment_failed(self, cancelled: bool = False) -> None:
        self.deployments_failed.labels("cancelled" if cancelled else "failed").inc()

    def leading(self, is_leader: Callable[[], bool]) -> None:
        """The leader gauge reads ``is_leader()`` at each scrape (so a paused leadership shows at once)."""
        self.leader.set_function(lambda: 1.0 if is_leader() else 0.0)

    def zookeeper_operation(self, operation: str, seconds: float) -> None:
        self.zk_latency.labels(operation).observe(seconds)

    # --- serving ---------------------------------------------------------------------------------

    def serve(self, port: int, host: str = "127.0.0.1") -> Any:
        """Serves /metrics on ``host:port`` from a daemon thread; returns the server (``shutdown()`` stops it).
        Raises OSError when the port is taken."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server
