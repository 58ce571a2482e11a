"""The `mesos-local` command and ZooKeeper discovery with pymesos's `zk://` detector (notes A2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from kazoo.client import KazooClient

from launchers.process import children, free_port
from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, running_driver
from tests.waiting import wait_for


def test_cli_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "mesoslocal.cli", "--port", str(port), "--agents", "2",
                                "--work-dir", str(tmp_path), "--allocation-interval", "0.2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2])
    try:
        version = wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/version", timeout=1).json(), 20,
                           "mesos-local answering")
        assert version["version"] == "1.11.0"
        with running_driver(f"127.0.0.1:{port}") as (driver, rec):
            offer = rec.take_offer()
            driver.launchTasks(offer["id"], [command_task(offer, "sleep 60", task_id="cli-task")])
            rec.wait_state("cli-task", "TASK_RUNNING")
            session_leaders = children(process.pid)
            assert session_leaders
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in session_leaders), 5,
                 "no task process left")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_zk_discovery(zk_hosts: str, kazoo_client: KazooClient, mesos_cluster_factory) -> None:
    url = f"zk://{zk_hosts}/mesos"
    cluster: LocalCluster = mesos_cluster_factory(agents=1, zk=url)
    nodes = kazoo_client.get_children("/mesos")
    assert len(nodes) == 1 and nodes[0].startswith("json.info_")
    info = json.loads(kazoo_client.get(f"/mesos/{nodes[0]}")[0])
    assert info["address"] == {"hostname": "127.0.0.1", "ip": "127.0.0.1", "port": cluster.core.port}
    with running_driver(url) as (driver, rec):
        offer = rec.take_offer()
        driver.launchTasks(offer["id"], [command_task(offer, "true", task_id="zk-task")])
        rec.wait_state("zk-task", "TASK_FINISHED")
    cluster.stop()
    assert kazoo_client.get_children("/mesos") == []


def test_no_leftover_processes_after_stop(mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 60 & sleep 60", task_id="bg")])
        rec.wait_state("bg", "TASK_RUNNING")
        pid = cluster.agents[0].agent.tasks[(rec.framework_id, "bg")].runner.process.pid
    cluster.stop()
    # killed with SIGKILL; orphans are reaped by init a moment later
    wait_for(lambda: subprocess.run(["pgrep", "-g", str(pid)], capture_output=True, check=False).stdout == b"", 5,
             "the whole process group gone")
    assert not os.path.exists(f"/proc/{pid}")
