"""The lb's Prometheus metrics, on its own registry (served at /metrics behind the stats port).

prometheus_client rather than hand-written text: one process, and its exposition format is the one
every scraper parses."""

from __future__ import annotations

import time
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics

from lb.model import Routing


class LbMetrics:
    def __init__(self) -> None:
        disable_created_metrics()  # the *_created series only double what a scraper sees
        self.registry = CollectorRegistry()
        self.applies = Counter("balalaika_lb_applies", "Routings applied, by what was done",
                               ["outcome"], registry=self.registry)
        self.reloads = Counter("balalaika_lb_reloads", "HAProxy reloads", registry=self.registry)
        self.runtime_updates = Counter("balalaika_lb_runtime_updates",
                                       "Membership changes applied through the runtime API, without reload",
                                       registry=self.registry)
        self.apply_failures = Counter("balalaika_lb_apply_failures", "Routings HAProxy refused",
                                      registry=self.registry)
        self.events = Counter("balalaika_lb_events", "Events read from the API's event stream",
                              registry=self.registry)
        self.resyncs = Counter("balalaika_lb_resyncs", "Full snapshots read from the API", registry=self.registry)
        self.api_errors = Counter("balalaika_lb_api_errors", "Failed reads of the API", registry=self.registry)
        self.skipped = Gauge("balalaika_lb_skipped_apps", "Apps or service ports not routed, by reason",
                             ["reason"], registry=self.registry)
        self.services = Gauge("balalaika_lb_services", "Service ports routed", registry=self.registry)
        self.servers = Gauge("balalaika_lb_servers", "Servers (task endpoints) routed", registry=self.registry)
        self.last_apply = time.time()
        age = Gauge("balalaika_lb_last_apply_age_seconds", "Seconds since the routing was last applied",
                    registry=self.registry)
        age.set_function(lambda: time.time() - self.last_apply)
        self._reasons: set[str] = set()

    def applied(self, outcome: str, routing: Routing) -> None:
        self.applies.labels(outcome).inc()
        if outcome == "reload":
            self.reloads.inc()
        elif outcome == "runtime":
            self.runtime_updates.inc()
        self.last_apply = time.time()
        self.services.set(len(routing.services))
        self.servers.set(sum(len(service.servers) for service in routing.services))
        reasons = Tally(skip.reason for skip in routing.skipped)
        for reason in self._reasons | set(reasons):
            self.skipped.labels(reason).set(reasons.get(reason, 0))
        self._reasons |= set(reasons)
