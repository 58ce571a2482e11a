"""Fixtures for the API tests: the Flask app on a real ZooKeeper chroot, and a Store playing the scheduler."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from kazoo.client import KazooClient

from api import create_app
from framework.model import service_ports
from framework.scheduler import records
from framework.store import Store
from launchers.process import Daemon, free_port, port_answers
from tests.waiting import wait_for

ROOT = "/balalaika"


@pytest.fixture
def api_app(zk_hosts: str) -> Iterator[Flask]:
    app = create_app({"ZK_HOSTS": zk_hosts, "ZK_ROOT": ROOT, "TESTING": True, "EVENT_HEARTBEAT": 0.2})
    try:
        yield app
    finally:
        app.extensions["balalaika.backend"].close()


@pytest.fixture
def gunicorn_api(zk_hosts: str, tmp_path) -> Iterator[str]:
    """balalaika-api under gunicorn (2 workers) on the test's ZooKeeper chroot; its URL."""
    port = free_port()
    daemon = Daemon([sys.executable, "-m", "api.serve", "--zk", zk_hosts, "--root", ROOT,
                     "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                    tmp_path / "api.log").start()
    try:
        wait_for(lambda: port_answers("127.0.0.1", port) or not daemon.alive(), 30, "balalaika-api to listen")
        assert daemon.alive(), daemon.log_tail()
        yield f"http://127.0.0.1:{port}"
    finally:
        daemon.stop()
        assert daemon.process.returncode == 0, daemon.log_tail()  # clean exit on SIGTERM


@pytest.fixture
def client(api_app: Flask) -> FlaskClient:
    return api_app.test_client()


@pytest.fixture
def store(kazoo_client: KazooClient) -> Store:
    """The scheduler's side: writes observed state (tasks, queue, leader) the way the leader would."""
    found = Store(kazoo_client, ROOT)
    found.ensure_layout()
    return found


def running_task(app: dict, task_id: str, *, host: str = "agent1.local", port: int = 31000,
                 healthy: bool | None = None, state: str = records.RUNNING) -> dict:
    """A task record of `app` made by the scheduler's own record functions, so that these tests break when
    the record's shape changes: written at launch on agent `agent-1-S0` at `host` with host port `port`,
    then, unless `state` is TASK_STAGING, moved to `state` by a Mesos status (reporting the task's address,
    and a health check result when `healthy` is not None)."""
    now = time.time()
    record = records.new_record(app, task_id, agent_id="agent-1-S0", host=host, ports=(port,),
                                service_ports=service_ports(app), now=now)
    if state == records.STAGING:
        return record
    status: dict = {"state": state, "container_status": {"network_infos": [
        {"ip_addresses": [{"ip_address": "127.0.0.1", "protocol": "IPv4"}]}]}}
    if healthy is not None:
        status.update(healthy=healthy, reason=records.HEALTH_REASON)
    return records.apply_status(record, status, now=now)
