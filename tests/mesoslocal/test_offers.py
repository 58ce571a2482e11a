"""Offers, filters, suppression and task validation through pymesos (notes C4, C5, G4, G5)."""

from __future__ import annotations

import time

from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, framework_info, ports, running_driver, scalar
from tests.waiting import wait_for


def _quiet_for(seconds: float, condition) -> bool:
    """True when `condition` stayed false for `seconds` (used to assert that nothing arrives)."""
    deadline = time.monotonic() + seconds
    return wait_for(lambda: condition() or time.monotonic() >= deadline, seconds + 5, "quiet period") is True \
        and not condition()


def test_decline_filters_and_revive(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        driver.declineOffer(offer["id"])  # no filters: the 5 s proto default applies (G5)
        assert _quiet_for(1.5, lambda: rec.offers)
        driver.reviveOffers()  # REVIVE clears filters
        offer = rec.take_offer(timeout=3)
        started = time.monotonic()
        driver.declineOffer(offer["id"], {"refuse_seconds": 1})
        rec.take_offer(timeout=5)
        assert time.monotonic() - started >= 0.9


def test_suppress_and_revive(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        driver.suppressOffers()
        driver.declineOffer(offer["id"], {"refuse_seconds": 0})
        assert _quiet_for(1.0, lambda: rec.offers)
        driver.reviveOffers()
        rec.take_offer(timeout=3)


def test_accept_leftover_is_filtered_but_freed_resources_pass(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "sleep 0.5", cpus=1, mem=100)
        driver.launchTasks(offer["id"], [task], {"refuse_seconds": 60})
        rec.wait_state(task["task_id"]["value"], "TASK_FINISHED")
        # the agent's free resources are no longer a subset of the refused leftover, so they pass the filter
        # (G5); as in Mesos the offer then covers everything unallocated on the agent
        freed = rec.take_offer(timeout=5)
        resources = {r["name"]: r for r in freed["resources"]}
        assert resources["cpus"]["scalar"]["value"] == 4.0
        assert resources["mem"]["scalar"]["value"] == 4096.0


def test_task_validation_errors(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        good = command_task(offer, "sleep 30", task_id="dup")
        dup = command_task(offer, "sleep 30", task_id="dup")
        greedy = command_task(offer, "true", task_id="greedy", cpus=100)
        empty = command_task(offer, "true", task_id="empty")
        empty["resources"] = []
        both = command_task(offer, "true", task_id="both", executor={
            "executor_id": {"value": "e"}, "command": {"value": "true"}})
        bad_id = command_task(offer, "true", task_id="a/b")
        wrong_agent = command_task(offer, "true", task_id="wrong")
        wrong_agent["agent_id"] = {"value": "other"}
        out_of_ports = command_task(offer, "true", task_id="ports", extra_resources=(ports(1, 2),))
        driver.launchTasks(offer["id"], [good, dup, greedy, empty, both, bad_id, wrong_agent, out_of_ports])
        rec.wait_state("dup", "TASK_RUNNING")
        errors = {s["task_id"]["value"]: s for s in rec.updates() if s["state"] == "TASK_ERROR"}
        wait_for(lambda: len({s["task_id"]["value"] for s in rec.updates() if s["state"] == "TASK_ERROR"}) == 7,
                 10, "seven TASK_ERRORs")
        errors = {s["task_id"]["value"]: s for s in rec.updates() if s["state"] == "TASK_ERROR"}
        assert errors["dup"]["message"] == "Task has duplicate ID: dup"
        assert errors["greedy"]["message"].startswith("Total resources cpus:100")
        assert "more than available" in errors["greedy"]["message"]
        assert errors["empty"]["message"] == "Task uses no resources"
        assert errors["both"]["message"] == ("Task should have at least one (but not both) of CommandInfo or "
                                             "ExecutorInfo present")
        assert errors["a/b"]["message"].startswith("Task ID is invalid")
        assert errors["wrong"]["message"] == f"Task uses invalid agent other while agent {offer['agent_id']['value']}" \
                                             " is expected"
        assert "more than available" in errors["ports"]["message"]
        for status in errors.values():
            assert status["source"] == "SOURCE_MASTER" and status["reason"] == "REASON_TASK_INVALID"
            assert "uuid" not in status


def test_task_ports_must_come_from_offer(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "true", extra_resources=(ports(31000), scalar("disk", 1)))
        driver.launchTasks(offer["id"], [task])
        rec.wait_state(task["task_id"]["value"], "TASK_FINISHED")


def test_resubscribe_discards_offers_without_rescind(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url, framework_info(failover_timeout=100)) as (driver, rec):
        old = rec.take_offer()
        framework_id = rec.framework_id
    info = framework_info(failover_timeout=100, id={"value": framework_id})
    with running_driver(mesos_cluster.master_url, info) as (driver, rec2):
        assert rec2.of("reregistered")
        wait_for(lambda: len(rec2.offers) == 3, 10, "three fresh offers")
        assert old["id"]["value"] not in rec2.offers
        assert not rec2.of("rescind") and not rec.of("rescind")
        task = command_task(old, "true", task_id="late")
        driver.launchTasks(old["id"], [task])
        lost = rec2.wait_state("late", "TASK_LOST")
        assert lost["reason"] == "REASON_INVALID_OFFERS"


def test_partition_aware_invalid_offer_is_dropped(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url, framework_info(capabilities=("PARTITION_AWARE",))) as (driver, rec):
        offer = rec.take_offer()
        driver.declineOffer(offer["id"])
        task = command_task(offer, "true", task_id="x")
        driver.launchTasks(offer["id"], [task])
        assert rec.wait_state("x", "TASK_DROPPED")["reason"] == "REASON_INVALID_OFFERS"
