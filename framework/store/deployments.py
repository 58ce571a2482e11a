"""Deployment plans: one node per plan under `deployments/`, rewritten by the leader as it progresses.

A plan is created together with its app changes by `AppsMixin.commit`; this module covers the plan on its
own afterwards (progress compare-and-set, cancel, listing).
"""

from __future__ import annotations

from kazoo.exceptions import BadVersionError, NoNodeError

from framework.store.base import StoreBase, _failure, _translated
from framework.store.codec import encode
from framework.store.errors import NotFound


class DeploymentsMixin(StoreBase):
    """Deployment plans."""

    @_translated
    def put_deployment(self, plan: dict, expected_version: int | None = None) -> int:
        """Writes a plan: unconditionally when `expected_version` is None (create or overwrite), else
        compare-and-set. Returns the new znode version. Raises Conflict, NotFound (CAS on a missing plan)."""
        deployment_id = plan["id"]
        path, data = self.layout.deployment(deployment_id), encode(plan, what=f"deployment {deployment_id}")
        if expected_version is None:
            self._upsert(path, data)
            return self.client.retry(self.client.exists, path).version
        try:
            return self.client.set(path, data, version=expected_version).version
        except (NoNodeError, BadVersionError) as error:
            raise _failure(error, f"deployment {deployment_id}") from error

    @_translated
    def get_deployment(self, deployment_id: str) -> tuple[dict, int] | None:
        found = self._get(self.layout.deployment(deployment_id))
        return None if found is None else (found[0], found[1].version)

    @_translated
    def delete_deployment(self, deployment_id: str) -> None:
        """Raises NotFound if there is no such deployment (the api answers 404)."""
        if not self._delete_quietly(self.layout.deployment(deployment_id)):
            raise NotFound(f"deployment {deployment_id}: does not exist")

    @_translated
    def list_deployments(self) -> dict[str, dict]:
        names = self._children(self.layout.deployments_dir, "deployments directory")
        found = self._get_many([self.layout.deployment(name) for name in names])
        return {plan["id"]: plan for plan, _ in found.values()}
