"""balalaika-scheduler --metrics-port on a running stack: deploying an app moves the offer, launch, status and
deployment counters of the leader, ZooKeeper latencies are observed, and the leader gauge is 1 on the leader
and 0 on the standby (framework/scheduler/metrics.py)."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.waiting import wait_for

APP = {"id": "/metered", "cmd": "sleep 3600", "instances": 2, "cpus": 0.1, "mem": 16}


def scrape(url: str) -> list:
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return [sample for family in text_string_to_metric_families(response.text) for sample in family.samples]


def value(samples: list, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(sample.value for sample in samples
               if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


def test_a_deploy_moves_the_leaders_counters_and_only_the_leader_leads(backend_stack_factory):
    stack = backend_stack_factory(standby=True, scheduler_metrics=True)
    leader_url, standby_url = stack.metrics_urls["scheduler0"], stack.metrics_urls["scheduler1"]
    before = scrape(leader_url)
    assert value(before, "balalaika_scheduler_leader") == 1
    assert value(scrape(standby_url), "balalaika_scheduler_leader") == 0

    stack.post_app(APP)
    stack.wait_running(APP["id"], 2)
    finished = "balalaika_scheduler_deployments_finished_total"
    wait_for(lambda: value(scrape(leader_url), finished) > value(before, finished), 30,
             "the deployment counted as finished")

    after = scrape(leader_url)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("balalaika_scheduler_task_launches_total") == 2
    assert moved("balalaika_scheduler_offers_used_total") >= 1
    assert moved("balalaika_scheduler_offers_received_total") >= moved("balalaika_scheduler_offers_used_total")
    assert moved("balalaika_scheduler_task_status_updates_total", state="TASK_RUNNING") >= 2
    assert moved("balalaika_scheduler_deployments_started_total") >= 1
    assert moved("balalaika_scheduler_deployments_failed_total") == 0
    assert value(after, "balalaika_scheduler_zookeeper_operation_seconds_count", operation="Create") > 0
    assert value(after, "balalaika_scheduler_leader") == 1

    standby = scrape(standby_url)
    assert value(standby, "balalaika_scheduler_leader") == 0
    assert value(standby, "balalaika_scheduler_task_launches_total") == 0
