"""Framework failover, teardown, reconciliation and the status-update pipeline (notes C2, C6, C8, C9, G8–G11)."""

from __future__ import annotations

import signal

from pymesos import MesosSchedulerDriver

from launchers.process import pid_alive
from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import Recorder, command_task, framework_info, running_driver
from tests.waiting import wait_for


def _task_pid(cluster: LocalCluster, task_id: str) -> int:
    for handle in cluster.agents:
        for run in handle.agent.tasks.values():
            if run.id == task_id:
                return run.runner.process.pid
    raise AssertionError(task_id)


def test_failover_keeps_tasks_and_reconcile(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):  # pymesos sends failover_timeout 100
        offer = rec.take_offer()
        task = command_task(offer, "sleep 60", task_id="keep")
        driver.launchTasks(offer["id"], [task])
        rec.wait_state("keep", "TASK_RUNNING")
        framework_id = rec.framework_id
    wait_for(lambda: not mesos_cluster.state()["frameworks"][0]["connected"], 10, "disconnection noticed")
    assert mesos_cluster.state()["frameworks"][0]["failover_timeout"] == 100.0
    assert pid_alive(_task_pid(mesos_cluster, "keep"))
    with running_driver(mesos_cluster.master_url, framework_info(id={"value": framework_id})) as (driver, rec):
        assert rec.of("reregistered") and not rec.of("registered")
        driver.reconcileTasks([{"task_id": {"value": "keep"}}, {"task_id": {"value": "never"}}])
        wait_for(lambda: len(rec.updates()) >= 2, 10, "reconciliation answers")
        keep = rec.updates("keep")[0]
        assert keep["state"] == "TASK_RUNNING" and keep["reason"] == "REASON_RECONCILIATION"
        assert keep["message"] == "Reconciliation: Latest task state" and "uuid" not in keep
        assert keep["agent_id"] == offer["agent_id"]
        never = rec.updates("never")[0]
        assert (never["state"], never["message"]) == ("TASK_LOST", "Reconciliation: Task is unknown")
        driver.reconcileTasks([])
        wait_for(lambda: len(rec.updates("keep")) == 2, 10, "implicit reconciliation")
        driver.killTask({"value": "gone-already"})
        assert rec.wait_state("gone-already", "TASK_LOST")["reason"] == "REASON_RECONCILIATION"


def test_partition_aware_reconcile_unknown(mesos_cluster: LocalCluster) -> None:
    info = framework_info(capabilities=("PARTITION_AWARE",))
    with running_driver(mesos_cluster.master_url, info) as (driver, rec):
        driver.reconcileTasks([{"task_id": {"value": "nope"}}])
        assert rec.wait_state("nope", "TASK_UNKNOWN")["source"] == "SOURCE_MASTER"


def test_teardown_kills_tasks_and_id_is_refused(mesos_cluster: LocalCluster) -> None:
    rec = Recorder()
    driver = MesosSchedulerDriver(rec, framework_info(), mesos_cluster.master_url)
    driver.start()
    try:
        offer = rec.take_offer()
        task = command_task(offer, "sleep 60", task_id="doomed")
        driver.launchTasks(offer["id"], [task])
        rec.wait_state("doomed", "TASK_RUNNING")
        pid = _task_pid(mesos_cluster, "doomed")
        framework_id = rec.framework_id
    finally:
        driver.stop()  # TEARDOWN (G10)
        driver.join()
    wait_for(lambda: not pid_alive(pid), 10, "the task process killed")
    state = mesos_cluster.state()
    assert state["frameworks"] == []
    completed = state["completed_frameworks"][0]
    assert completed["id"] == framework_id
    assert completed["completed_tasks"][0]["state"] == "TASK_KILLED"
    rec2 = Recorder()
    driver = MesosSchedulerDriver(rec2, framework_info(id={"value": framework_id}), mesos_cluster.master_url)
    driver.start()
    try:
        wait_for(lambda: rec2.of("error"), 10, "ERROR for a removed framework")
        assert rec2.of("error")[0] == "Framework has been removed"
    finally:
        driver.stop(failover=True)
        driver.join()


def test_second_subscription_fails_over_the_first(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        info = framework_info(id={"value": rec.framework_id})
        with running_driver(mesos_cluster.master_url, info) as (driver2, rec2):
            wait_for(lambda: "Framework failed over" in rec.of("error"), 10, "the first stream told")
            assert rec2.of("reregistered")
            driver.stop(failover=True)  # or it would reconnect and steal the subscription back (G11)
            driver.join()


def test_unacknowledged_update_blocks_and_is_retried(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url, implicit_acknowledgements=False) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "sleep 60", task_id="slow-ack")
        driver.launchTasks(offer["id"], [task])
        starting = rec.wait_state("slow-ack", "TASK_STARTING")
        # the RUNNING update waits for the ack of STARTING; STARTING is re-sent after the retry interval (2 s)
        wait_for(lambda: rec.states("slow-ack").count("TASK_STARTING") == 2, 6, "STARTING retried")
        assert "TASK_RUNNING" not in rec.states("slow-ack")
        assert rec.updates("slow-ack")[1]["uuid"] == starting["uuid"]
        driver.acknowledgeStatusUpdate(starting)
        running = rec.wait_state("slow-ack", "TASK_RUNNING")
        driver.acknowledgeStatusUpdate(running)
        driver.killTask({"value": "slow-ack"})
        killed = rec.wait_state("slow-ack", "TASK_KILLED")
        # terminal but unacknowledged: still active — reconciled and blocking its id (G9)
        driver.reconcileTasks([])
        wait_for(lambda: any(s.get("reason") == "REASON_RECONCILIATION" for s in rec.updates("slow-ack")), 10,
                 "implicit reconciliation includes the unacked terminal task")
        offer = rec.take_offer(where=lambda o: o["agent_id"] == offer["agent_id"])
        again = command_task(offer, "true", task_id="slow-ack")
        driver.launchTasks(offer["id"], [again])
        wait_for(lambda: "TASK_ERROR" in rec.states("slow-ack"), 10, "duplicate id refused")
        driver.acknowledgeStatusUpdate(killed)
        wait_for(lambda: mesos_cluster.state()["frameworks"][0]["completed_tasks"], 10, "task completed")


def test_updates_resent_on_resubscribe(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url, implicit_acknowledgements=False) as (driver, rec):
        offer = rec.take_offer()
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 60", task_id="resend")])
        rec.wait_state("resend", "TASK_STARTING")
        framework_id = rec.framework_id
    with running_driver(mesos_cluster.master_url, framework_info(id={"value": framework_id})) as (driver, rec):
        rec.wait_state("resend", "TASK_STARTING", timeout=1.5)  # at once, not after the retry interval
        rec.wait_state("resend", "TASK_RUNNING")


def test_master_failover_keeps_tasks(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 60", task_id="survivor")])
        rec.wait_state("survivor", "TASK_RUNNING")
        pid = _task_pid(mesos_cluster, "survivor")
        old_master = mesos_cluster.master.id
        mesos_cluster.restart_master()
        assert mesos_cluster.master.id != old_master
        wait_for(lambda: len(rec.of("reregistered")) >= 1, 20, "re-subscription to the new master")
        assert pid_alive(pid)
        driver.reconcileTasks([{"task_id": {"value": "survivor"}}])
        wait_for(lambda: rec.states("survivor")[-1:] == ["TASK_RUNNING"] and
                 rec.updates("survivor")[-1].get("reason") == "REASON_RECONCILIATION", 10, "task known again")
        driver.killTask({"value": "survivor"})
        rec.wait_state("survivor", "TASK_KILLED")
        wait_for(lambda: not pid_alive(pid), 10, "killed")


def test_sigterm_default_grace(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        driver.launchTasks(offer["id"], [command_task(offer, "exec sleep 60", task_id="term")])
        rec.wait_state("term", "TASK_RUNNING")
        driver.killTask({"value": "term"})
        killed = rec.wait_state("term", "TASK_KILLED")
        assert killed["message"] == f"Command terminated with signal {signal.strsignal(signal.SIGTERM)}"
