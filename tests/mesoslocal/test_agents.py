"""Agents cut off, stopped and restarted (notes C10, G7): TASK_LOST vs TASK_UNREACHABLE, RESCIND, FAILURE."""

from __future__ import annotations

import pytest

from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, framework_info, running_driver
from tests.waiting import wait_for


@pytest.mark.parametrize(("capabilities", "state"), [((), "TASK_LOST"), (("PARTITION_AWARE",), "TASK_UNREACHABLE")])
def test_agent_cut_off(mesos_cluster: LocalCluster, capabilities: tuple[str, ...], state: str) -> None:
    with running_driver(mesos_cluster.master_url, framework_info(capabilities=capabilities)) as (driver, rec):
        wait_for(lambda: len(rec.offers) == 3, 10, "three offers")
        offer = rec.take_offer(where=lambda o: o["hostname"] == "127.0.0.1")
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 60", task_id="cut")])
        rec.wait_state("cut", "TASK_RUNNING")
        held = rec.take_offer(where=lambda o: o["hostname"] == "127.0.0.2")
        rec.offers[held["id"]["value"]] = held  # keep it outstanding
        mesos_cluster.agents[1].disconnect()
        mesos_cluster.agents[0].disconnect()
        lost = rec.wait_state("cut", state, timeout=10)
        assert lost["reason"] == "REASON_AGENT_REMOVED" and lost["source"] == "SOURCE_MASTER"
        assert "uuid" not in lost
        assert ("unreachable_time" in lost) == (state == "TASK_UNREACHABLE")
        wait_for(lambda: {a["value"] for a in rec.of("agent_lost")} == {mesos_cluster.agents[0].id,
                                                                         mesos_cluster.agents[1].id}, 10, "FAILURE")
        assert {"value": held["id"]["value"]} in rec.of("rescind")
        mesos_cluster.agents[0].reconnect()
        if state == "TASK_UNREACHABLE":  # tasks of a returning agent reappear for partition-aware frameworks
            driver.reconcileTasks([{"task_id": {"value": "cut"}}])
            wait_for(lambda: rec.states("cut")[-1] == "TASK_RUNNING", 10, "task back to RUNNING")
        else:
            agent = mesos_cluster.agents[0].agent
            wait_for(lambda: not agent.tasks, 10, "the task killed on re-registration")


def test_agent_stop_and_restart(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer(where=lambda o: o["hostname"] == "127.0.0.3")
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 60", task_id="on3")])
        rec.wait_state("on3", "TASK_RUNNING")
        old_id = mesos_cluster.agents[2].id
        mesos_cluster.agents[2].restart()
        assert mesos_cluster.agents[2].id != old_id
        lost = rec.wait_state("on3", "TASK_LOST")
        assert lost["reason"] == "REASON_AGENT_REMOVED"
        wait_for(lambda: {"value": old_id} in rec.of("agent_lost"), 10, "FAILURE for the old agent")
        rec.take_offer(where=lambda o: o["agent_id"]["value"] == mesos_cluster.agents[2].id)
        mesos_cluster.agents[1].stop()
        wait_for(lambda: mesos_cluster.state()["unreachable_slaves"] == 1, 10, "agent 1 unreachable")


@pytest.mark.parametrize(("capabilities", "state"), [((), "TASK_LOST"), (("PARTITION_AWARE",), "TASK_DROPPED")])
def test_a_launch_lost_on_the_way_is_reconciled_when_the_agent_re_registers(
        mesos_cluster: LocalCluster, capabilities: tuple[str, ...], state: str) -> None:
    with running_driver(mesos_cluster.master_url, framework_info(capabilities=capabilities)) as (driver, rec):
        offer = rec.take_offer(where=lambda o: o["hostname"] == "127.0.0.1")
        mesos_cluster.agents[0].disconnect()  # shorter than the agent timeout: only the launch is lost
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 60", task_id="lost-launch")])
        wait_for(lambda: [t["state"] for f in mesos_cluster.state()["frameworks"] for t in f["tasks"]]
                 == ["TASK_STAGING"], 5, "the task placed on the agent")
        mesos_cluster.agents[0].reconnect()
        dropped = rec.wait_state("lost-launch", state)
        assert dropped["reason"] == "REASON_RECONCILIATION" and dropped["source"] == "SOURCE_AGENT"
        wait_for(lambda: not [t for f in mesos_cluster.state()["frameworks"] for t in f["tasks"]], 5,
                 "the master forgot the task once its update was acknowledged")
        assert not mesos_cluster.agents[0].agent.tasks
