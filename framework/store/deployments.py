"""Deployment plans: one node per plan under `deployments/`, rewritten by the leader as it progresses.

A plan is created together with its app changes by `AppStore.commit`, which asks `add_create` and
`add_cancel` for the plan's part of its transaction; the rest covers the plan on its own afterwards
(progress compare-and-set, cancel, listing).
"""

from __future__ import annotations

from typing import Any

from kazoo.exceptions import BadVersionError, NoNodeError

from framework.store.codec import encode
from framework.store.errors import NotFound
from framework.store.nodes import Nodes, error_for, translated


class DeploymentStore:
    """Owns `deployments/<id>`."""

    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes
        self._layout = nodes.layout

    @translated
    def put(self, plan: dict, expected_version: int | None = None) -> int:
        """Writes a plan: unconditionally when `expected_version` is None (create or overwrite), else
        compare-and-set. Returns the new znode version. Raises Conflict, NotFound (CAS on a missing plan)."""
        deployment_id = plan["id"]
        path, data = self._layout.deployment(deployment_id), encode(plan, what=f"deployment {deployment_id}")
        client = self._nodes.client
        if expected_version is None:
            self._nodes.upsert(path, data)
            return client.retry(client.exists, path).version
        try:
            return client.set(path, data, version=expected_version).version
        except (NoNodeError, BadVersionError) as error:
            raise error_for(error, f"deployment {deployment_id}") from error

    @translated
    def get(self, deployment_id: str) -> tuple[dict, int] | None:
        """The plan and its znode version (for `put`'s compare-and-set), or None."""
        return self._nodes.versioned(self._layout.deployment(deployment_id))

    @translated
    def delete(self, deployment_id: str) -> None:
        """Raises NotFound if there is no such deployment (the api answers 404)."""
        if not self._nodes.delete_quietly(self._layout.deployment(deployment_id)):
            raise NotFound(f"deployment {deployment_id}: does not exist")

    @translated
    def all(self) -> dict[str, dict]:
        """Every plan by id (pipelined; the api and the leader read plans from the Mirror)."""
        found = self._nodes.get_children(self._layout.deployments_dir, "deployments directory")
        return {plan["id"]: plan for plan, _ in found}

    def add_create(self, tx: Any, described: list[str], plan: dict) -> None:
        """Adds the creation of `plan` to a transaction (it fails if the id is in use)."""
        deployment_id = plan["id"]
        tx.create(self._layout.deployment(deployment_id), encode(plan, what=f"deployment {deployment_id}"))
        described.append(f"deployment {deployment_id}")

    def add_cancel(self, tx: Any, described: list[str], deployment_id: str) -> None:
        """Adds the deletion of a plan to a transaction (it fails if the plan is gone)."""
        tx.delete(self._layout.deployment(deployment_id))
        described.append(f"deployment {deployment_id} (cancelled)")
