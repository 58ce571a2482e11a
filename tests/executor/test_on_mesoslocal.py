"""balalaika-executor started by a mesoslocal agent: one process hosts every task of one ExecutorInfo,
counts its resources once, survives one task's failure, and leaves when its last task has ended."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cli.up import bin_path
from launchers.process import wait_gone
from mesoslocal.agent.processes import container_processes
from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import running_driver, scalar
from tests.waiting import wait_for

EXECUTOR_ID = "balalaika.web.v1"


def executor_info() -> dict:
    return {"executor_id": {"value": EXECUTOR_ID}, "name": "balalaika executor for /web",
            "command": {"value": f"exec {bin_path('balalaika-executor')} --idle-exit 0.5"},
            "resources": [scalar("cpus", 0.05), scalar("mem", 32)]}


def task(offer: dict, task_id: str, cmd: str) -> dict:
    command = {"shell": True, "value": cmd}
    return {"name": "web", "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
            "resources": [scalar("cpus", 0.1), scalar("mem", 16)], "executor": executor_info(),
            "data": base64.b64encode(json.dumps(command).encode()).decode()}


def test_one_executor_hosts_the_tasks_and_exits_after_the_last(mesos_cluster_factory):
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        tasks = [task(offer, f"web.{n}", "exec sleep 60") for n in range(4)] + [task(offer, "web.bad", "exit 3")]
        driver.launchTasks(offer["id"], tasks)
        for n in range(4):
            rec.wait_state(f"web.{n}", "TASK_RUNNING")
        failed = rec.wait_state("web.bad", "TASK_FAILED")
        assert failed["message"] == "Command exited with status 3" and failed["executor_id"]["value"] == EXECUTOR_ID
        executor = cluster.agents[0].agent.executors[(rec.framework_id, EXECUTOR_ID)]
        pids = {update.get("container_status", {}).get("executor_pid") for update in rec.updates()
                if update["state"] == "TASK_RUNNING"}
        assert pids == {executor.process.pid}  # every task reported by one executor process
        children = Path(f"/proc/{executor.process.pid}/task/{executor.process.pid}/children")
        task_pids = [int(pid) for pid in children.read_text().split()]
        assert len(task_pids) == 4
        next_offer = rec.take_offer(timeout=10)
        assert next_offer["executor_ids"] == [{"value": EXECUTOR_ID}]
        for n in range(4):
            driver.killTask({"value": f"web.{n}"})
        for n in range(4):
            assert rec.wait_state(f"web.{n}", "TASK_KILLED")["message"] == "Command terminated with signal SIGTERM"
        wait_for(lambda: executor.process.returncode is not None, 15, "the executor to leave after its last task")
        assert executor.process.returncode == 0
        for pid in task_pids:
            wait_gone(pid, 5)
        assert not os.path.exists(f"/proc/{executor.process.pid}")


def test_an_executor_killed_hard_takes_every_task_process_with_it(mesos_cluster_factory):
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        # `sleep 600` without exec: the shell forks it, so the task is two processes in its own session
        driver.launchTasks(offer["id"], [task(offer, f"web.{n}", "sleep 600; true") for n in range(2)])
        for n in range(2):
            rec.wait_state(f"web.{n}", "TASK_RUNNING")
        executor = cluster.agents[0].agent.executors[(rec.framework_id, EXECUTOR_ID)]
        members = container_processes(executor.sandbox)
        assert len(members) >= 5  # the executor, two shells, two sleeps
        os.kill(executor.process.pid, 9)
        for n in range(2):
            assert rec.wait_state(f"web.{n}", "TASK_FAILED")["reason"] == "REASON_EXECUTOR_TERMINATED"
        for pid in members:
            wait_gone(pid, 10)
