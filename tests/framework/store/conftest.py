"""Helpers for the store tests: clients on the test's chroot, session expiry, sample data."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from framework.store import Store, connect
from tests.waiting import wait_for

ROOT = "/balalaika"


def app_def(app_id: str, version: str = "2026-11-26T20:00:00.000Z", **fields: object) -> dict:
    """A small app in the normalized shape (only the fields the store looks at matter here)."""
    return {"id": app_id, "cmd": "sleep 1000", "instances": 1, "cpus": 0.1, "mem": 32.0, "version": version,
            **fields}


def task_rec(app_id: str, state: str = "TASK_RUNNING") -> dict:
    task_id = f"{app_id.lstrip('/').replace('/', '_')}.{uuid.uuid4()}"
    return {"id": task_id, "appId": app_id, "version": "2026-11-26T20:00:00.000Z", "host": "127.0.0.1",
            "ports": [31000], "state": state, "healthy": None}


def version_ts(n: int) -> str:
    """Distinct, lexicographically ordered version timestamps."""
    return f"2026-11-26T20:{n // 60:02d}:{n % 60:02d}.000Z"


def expire_session(client: KazooClient, hosts: str) -> None:
    """kazoo's testing trick: a second client takes over the session id and closes it, so the server
    expires the session and `client` sees LOST when it reconnects."""
    lost = []
    client.add_listener(lambda state: lost.append(state) if state == KazooState.LOST else None)
    session_id, password = client.client_id
    thief = KazooClient(hosts=hosts, client_id=(session_id, password), timeout=10)
    thief.start(timeout=15)
    thief.stop()
    thief.close()
    wait_for(lambda: lost, 15, "the session to expire")


@pytest.fixture
def clients(zk_hosts: str) -> Iterator[Callable[..., KazooClient]]:
    """A factory of started clients on the test's chroot, all closed at teardown."""
    made: list[KazooClient] = []

    def make(**kwargs: object) -> KazooClient:
        client = connect(zk_hosts, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.stop()
        client.close()


@pytest.fixture
def store(kazoo_client: KazooClient) -> Store:
    store = Store(kazoo_client, ROOT, max_versions=5)
    store.ensure_layout()
    return store
