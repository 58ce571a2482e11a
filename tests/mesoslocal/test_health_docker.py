"""Mesos-native health checks on command and Docker tasks, and Docker tasks end to end (notes D4, D5)."""

from __future__ import annotations

import sys

from launchers.docker import TEST_IMAGE
from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, first_port, ports, running_driver
from tests.waiting import wait_for

FAST = {"delay_seconds": 0, "interval_seconds": 0.3, "timeout_seconds": 2, "grace_period_seconds": 0,
        "consecutive_failures": 2}


def test_http_health_check_on_command_task(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        port = first_port(offer)
        task = command_task(offer, f"exec {sys.executable} -m http.server {port} --bind {offer['hostname']}",
                            task_id="web", extra_resources=(ports(port),),
                            health_check=dict(FAST, type="HTTP", http={"port": port, "path": "/"},
                                              grace_period_seconds=15))
        driver.launchTasks(offer["id"], [task])
        healthy = wait_for(lambda: next((s for s in rec.updates("web") if s.get("healthy") is True), None), 20,
                           "a healthy update")
        assert healthy["state"] == "TASK_RUNNING"
        assert healthy["reason"] == "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED" and "uuid" in healthy
        driver.killTask({"value": "web"})
        rec.wait_state("web", "TASK_KILLED")


def test_failing_command_check_kills_task(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "sleep 60", task_id="sick", kill_policy={"grace_period": {"nanoseconds": 0}},
                            health_check=dict(FAST, type="COMMAND", command={"value": "exit 1"}))
        driver.launchTasks(offer["id"], [task])
        killed = rec.wait_state("sick", "TASK_KILLED", timeout=20)
        assert killed["healthy"] is False
        unhealthy = [s for s in rec.updates("sick") if s["state"] == "TASK_RUNNING" and s.get("healthy") is False]
        assert len(unhealthy) == 2


def test_docker_bridge_task_with_health_and_kill(docker_daemon, mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1, docker_host=docker_daemon.host)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        port = first_port(offer)
        task = command_task(offer, "httpd -f -p 80", task_id="box", extra_resources=(ports(port),),
                            container={"type": "DOCKER", "docker": {
                                "image": TEST_IMAGE, "network": "BRIDGE",
                                "port_mappings": [{"host_port": port, "container_port": 80, "protocol": "tcp"}]}},
                            health_check=dict(FAST, type="TCP", tcp={"port": 80}),
                            kill_policy={"grace_period": {"nanoseconds": 1_000_000_000}})
        driver.launchTasks(offer["id"], [task])
        running = rec.wait_state("box", "TASK_RUNNING", timeout=60)
        ip = running["container_status"]["network_infos"][0]["ip_addresses"][0]["ip_address"]
        assert ip != offer["hostname"]
        wait_for(lambda: any(s.get("healthy") is True for s in rec.updates("box")), 30, "healthy container")
        driver.killTask({"value": "box"})
        rec.wait_state("box", "TASK_KILLED", timeout=30)


def test_docker_port_mapping_outside_task_ports(docker_daemon, mesos_cluster_factory) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1, docker_host=docker_daemon.host)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        port = first_port(offer)
        task = command_task(offer, "httpd -f -p 80", task_id="badport", extra_resources=(ports(port),),
                            container={"type": "DOCKER", "docker": {
                                "image": TEST_IMAGE, "network": "BRIDGE",
                                "port_mappings": [{"host_port": port + 1, "container_port": 80}]}})
        driver.launchTasks(offer["id"], [task])
        failed = rec.wait_state("badport", "TASK_FAILED", timeout=30)
        assert failed["reason"] == "REASON_CONTAINER_LAUNCH_FAILED"
        assert failed["message"].startswith("Failed to launch container: ")
        assert f"Port [{port + 1}] not included in resources" in failed["message"]
