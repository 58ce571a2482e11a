"""Custom executors driven by pymesos's MesosExecutorDriver (notes B, C10, C11, D2, G12)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pymesos import decode_data, encode_data

from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, running_driver, scalar
from tests.waiting import wait_for

SCRIPT = Path(__file__).with_name("pymesos_executor.py")


def executor_task(offer: dict, task_id: str, name: str = "t") -> dict:
    task = command_task(offer, "", task_id=task_id)
    del task["command"]
    task["name"] = name
    task["executor"] = {"executor_id": {"value": "echo"}, "name": "echo executor",
                        "command": {"value": f"exec {sys.executable} {SCRIPT}"},
                        "resources": [scalar("cpus", 0.1), scalar("mem", 32)]}
    return task


def test_executor_lifecycle(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        driver.launchTasks(offer["id"], [executor_task(offer, "e1"), executor_task(offer, "e2", "finish")])
        running = rec.wait_state("e1", "TASK_RUNNING")
        assert running["executor_id"] == {"value": "echo"} and running["agent_id"] == offer["agent_id"]
        assert running["source"] == "SOURCE_EXECUTOR" and "container_status" in running
        rec.wait_state("e2", "TASK_FINISHED")
        # the executor's env and session
        agent = cluster.agents[0].agent
        executor = agent.executors[(rec.framework_id, "echo")]
        environ = Path(f"/proc/{executor.process.pid}/environ").read_bytes().split(b"\0")
        env = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
        assert env["MESOS_CHECKPOINT"] in ("0", "1") and env["MESOS_EXECUTOR_ID"] == "echo"
        assert env["MESOS_AGENT_ENDPOINT"] == cluster.agents[0].endpoint
        assert executor.process.pid == int(Path(f"/proc/{executor.process.pid}/stat").read_text().split()[5])
        # the next offer lists the running executor
        next_offer = rec.take_offer(timeout=10)
        assert next_offer["executor_ids"] == [{"value": "echo"}]
        driver.sendFrameworkMessage({"value": "echo"}, offer["agent_id"], encode_data(b"ping"))
        wait_for(lambda: rec.of("message"), 10, "the executor's answer")
        executor_id, agent_id, data = rec.of("message")[0]
        assert (executor_id, agent_id, decode_data(data)) == ({"value": "echo"}, offer["agent_id"], b"pong:2")
        driver.killTask({"value": "e1"})
        rec.wait_state("e1", "TASK_KILLED")
        driver.launchTasks(next_offer["id"], [executor_task(next_offer, "e3")])
        rec.wait_state("e3", "TASK_RUNNING")
        driver.sendFrameworkMessage({"value": "echo"}, offer["agent_id"], encode_data(b"exit"))
        failed = rec.wait_state("e3", "TASK_FAILED")
        assert failed["reason"] == "REASON_EXECUTOR_TERMINATED" and failed["source"] == "SOURCE_AGENT"
        assert "uuid" in failed
        wait_for(lambda: rec.of("executor_lost"), 10, "FAILURE with executor_id")
        executor_id, agent_id, status = rec.of("executor_lost")[0]
        assert executor_id == {"value": "echo"} and status == 3 << 8


def test_executor_shutdown_on_teardown(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        driver.launchTasks(offer["id"], [executor_task(offer, "s1")])
        rec.wait_state("s1", "TASK_RUNNING")
        process = cluster.agents[0].agent.executors[(rec.framework_id, "echo")].process
        driver.stop()  # TEARDOWN: the executor gets SHUTDOWN and kills its own process group, not us
        driver.join()
        wait_for(lambda: process.returncode is not None, 15, "the executor gone")


def post_shutdown(cluster: LocalCluster, driver, framework_id: str, executor_id: str, agent_id: dict) -> int:
    """The v1 SHUTDOWN call as JSON (pymesos's scheduler driver has no method for it)."""
    call = {"type": "SHUTDOWN", "framework_id": {"value": framework_id},
            "shutdown": {"executor_id": {"value": executor_id}, "agent_id": agent_id}}
    request = urllib.request.Request(f"http://{cluster.master_url}/api/v1/scheduler", data=json.dumps(call).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Mesos-Stream-Id": driver.stream_id})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def _group_gone(pid: int) -> bool:
    return subprocess.run(["pgrep", "-g", str(pid)], capture_output=True, check=False).stdout == b""


@pytest.mark.parametrize(("hang", "grace"), [(False, 2.0), (True, 0.5)], ids=["exits", "killed-after-grace"])
def test_shutdown_executor(mesos_cluster_factory, hang: bool, grace: float) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = executor_task(offer, "x1")
        task["executor"]["shutdown_grace_period"] = {"nanoseconds": int(grace * 1e9)}
        if hang:  # ignores SHUTDOWN: pymesos's own kill off (MESOS_LOCAL), shutdown() never returns
            task["executor"]["command"]["environment"] = {"variables": [
                {"name": "MESOS_LOCAL", "value": "1"}, {"name": "ECHO_HANG_ON_SHUTDOWN", "value": "1"}]}
        driver.launchTasks(offer["id"], [task])
        rec.wait_state("x1", "TASK_RUNNING")
        executor = cluster.agents[0].agent.executors[(rec.framework_id, "echo")]
        started = time.monotonic()
        assert post_shutdown(cluster, driver, rec.framework_id, "echo", offer["agent_id"]) == 202
        failed = rec.wait_state("x1", "TASK_FAILED")
        elapsed = time.monotonic() - started
        assert elapsed >= grace if hang else elapsed < grace  # killed only once the grace period is over
        assert (failed["reason"], failed["source"], failed["message"]) == (
            "REASON_EXECUTOR_TERMINATED", "SOURCE_AGENT", "Executor terminated")
        assert (executor.sandbox / "shutdown-received").read_text() == f"{grace:g}secs"
        wait_for(lambda: rec.of("executor_lost"), 10, "FAILURE with executor_id")
        executor_id, agent_id, status = rec.of("executor_lost")[0]
        assert executor_id == {"value": "echo"} and agent_id == offer["agent_id"]
        assert status == (9 if hang else 0)  # SIGKILLed by the agent, or a clean exit
        assert _group_gone(executor.process.pid)
        assert (rec.framework_id, "echo") not in cluster.agents[0].agent.executors


def test_shutdown_command_executor_and_unknown(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "sleep 60", task_id="c1")
        driver.launchTasks(offer["id"], [task])
        rec.wait_state("c1", "TASK_RUNNING")
        assert post_shutdown(cluster, driver, rec.framework_id, "nobody", offer["agent_id"]) == 202
        assert post_shutdown(cluster, driver, rec.framework_id, "c1", {"value": "no-such-agent"}) == 202
        assert post_shutdown(cluster, driver, rec.framework_id, "c1", offer["agent_id"]) == 202  # its executor id
        rec.wait_state("c1", "TASK_KILLED")
        assert rec.states("c1") == ["TASK_STARTING", "TASK_RUNNING", "TASK_KILLED"]
        assert not rec.of("executor_lost")  # never for command executors
