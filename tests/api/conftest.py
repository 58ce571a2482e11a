"""Fixtures for the API tests: the Flask app on a real ZooKeeper chroot, and a Store playing the scheduler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from kazoo.client import KazooClient

from api import create_app
from framework.store import Store
from framework.timeutil import now_ts

ROOT = "/balalaika"


@pytest.fixture
def api_app(zk_hosts: str) -> Iterator[Flask]:
    app = create_app({"ZK_HOSTS": zk_hosts, "ZK_ROOT": ROOT, "TESTING": True, "EVENT_HEARTBEAT": 0.2})
    try:
        yield app
    finally:
        app.extensions["balalaika.backend"].close()


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
                 healthy: bool | None = None, state: str = "TASK_RUNNING") -> dict:
    """A task record as the scheduler writes it (CONTRIBUTING.md's task record)."""
    now = now_ts()
    return {"id": task_id, "appId": app["id"], "version": app["version"], "agentId": "agent-1-S0",
            "host": host, "ports": [port], "servicePorts": [], "state": state, "stagedAt": now,
            "startedAt": now if state == "TASK_RUNNING" else None, "healthy": healthy,
            "ipAddresses": [{"ipAddress": "127.0.0.1", "protocol": "IPv4"}], "updatedAt": now,
            "unreachableSince": None, "message": None}
