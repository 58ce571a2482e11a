"""`--pretend-tasks`: command tasks reported as a real agent reports them, with no process and no sandbox."""

from __future__ import annotations

from collections.abc import Callable

from mesoslocal.cli import parse_args
from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, framework_info, running_driver
from tests.waiting import wait_for


def test_pretended_task_runs_until_killed_without_a_process(
        mesos_cluster_factory: Callable[..., LocalCluster]) -> None:
    cluster = mesos_cluster_factory(pretend_tasks=True)
    with running_driver(cluster.master_url, framework_info(capabilities=("TASK_KILLING_STATE",))) as (driver, rec):
        offer = rec.take_offer()
        # would finish at once (and fail) if it really ran
        task = command_task(offer, "exit 3")
        task_id = task["task_id"]["value"]
        driver.launchTasks(offer["id"], [task])
        running = rec.wait_state(task_id, "TASK_RUNNING")
        assert rec.states(task_id) == ["TASK_STARTING", "TASK_RUNNING"]
        assert running["source"] == "SOURCE_EXECUTOR" and running["executor_id"]["value"] == task_id
        assert running["container_status"]["network_infos"][0]["ip_addresses"][0]["ip_address"] == offer["url"][
            "address"]["ip"]
        agent = next(a for a in cluster.agents if a.id == offer["agent_id"]["value"]).agent
        run = agent.tasks[(rec.framework_id, task_id)]
        assert run.runner is not None and not hasattr(run.runner, "process")
        assert not run.sandbox.exists()
        framework = next(f for f in cluster.state()["frameworks"] if f["id"] == rec.framework_id)
        assert [(t["id"], t["state"]) for t in framework["tasks"]] == [(task_id, "TASK_RUNNING")]

        driver.reconcileTasks([{"task_id": {"value": task_id}}])
        wait_for(lambda: len(rec.updates(task_id)) == 3, 10, "the reconciliation answer")
        assert rec.updates(task_id)[2]["state"] == "TASK_RUNNING"

        driver.killTask({"value": task_id})
        killed = rec.wait_state(task_id, "TASK_KILLED")
        assert rec.states(task_id)[-2:] == ["TASK_KILLING", "TASK_KILLED"]
        assert killed["message"] == "Command terminated with signal Terminated"


def test_pretend_mode_is_off_unless_asked() -> None:
    assert parse_args(["--pretend-tasks"]).pretend_tasks is True
    assert parse_args([]).pretend_tasks is False


def test_an_accept_above_one_megabyte_is_read(mesos_cluster_factory: Callable[..., LocalCluster]) -> None:
    """Mesos reads calls of any size; an ACCEPT of a few hundred real TaskInfos passes 1 MB."""
    cluster = mesos_cluster_factory(agents=1, pretend_tasks=True)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        padding = "x" * 2048
        tasks = [command_task(offer, f"sleep 60 # {padding}", cpus=0.005, mem=1) for _ in range(600)]
        driver.launchTasks(offer["id"], tasks)
        ids = [t["task_id"]["value"] for t in tasks]
        wait_for(lambda: all("TASK_RUNNING" in rec.states(i) for i in ids), 30, "600 tasks RUNNING")
