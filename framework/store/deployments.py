"""Deployment plans: a node per plan under `deployments/`, rewritten by the leader as it progresses.

A plan too big for one node is a small head there plus immutable parts under `plan-parts/<id>/`
(framework.store.planparts); only the head changes as the plan runs, and readers join the two. A head
marked `staging` (an ephemeral node, framework.store.staged) is a big write not committed yet: readers
other than writers checking for conflicts do not see it. A head marked `applying` is committed; its app
nodes are being brought to its targets (readers take the targets meanwhile: framework.store.mirror).

A plan is created together with its app changes by `AppStore.commit`, which asks `create_ops` and
`cancel_ops` for the plan's part of its transaction; the rest covers the plan on its own afterwards
(progress compare-and-set, cancel, listing).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

from kazoo.exceptions import BadVersionError, NoNodeError

from framework.store import planparts
from framework.store.codec import encode
from framework.store.errors import NotFound
from framework.store.nodes import Nodes, Op, error_for, translated

STAGING = "staging"  # head member: a big write in progress, not yet visible
APPLYING = "applying"  # head member: committed; its app nodes are being brought to the plan's targets


class DeploymentStore:
    """Owns `deployments/<id>` and `plan-parts/<id>/`."""

    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes
        self._layout = nodes.layout

    @translated
    def put(self, plan: dict, expected_version: int | None = None) -> int:
        """Writes a plan's head: unconditionally when `expected_version` is None (create or overwrite an
        inline plan), else compare-and-set (the parts of a split plan never change). Returns the new znode
        version. Raises Conflict, NotFound (CAS on a missing plan)."""
        deployment_id = plan["id"]
        path = self._layout.deployment(deployment_id)
        client = self._nodes.client
        if expected_version is None:
            self._nodes.upsert(path, encode(plan, what=f"deployment {deployment_id}"))
            return client.retry(client.exists, path).version
        head = plan
        if planparts.size_of(plan) > planparts.INLINE_BYTES:
            # stored split, since a plan outgrows a node only with its apps, which progress does not add:
            # only the head is rewritten (a plan that fits is written whole, without reading what is stored)
            stored = self._nodes.value(path)
            head = planparts.head_update(stored, plan) if stored and planparts.is_split(stored) else plan
        try:
            return client.set(path, encode(head, what=f"deployment {deployment_id}"), version=expected_version).version
        except (NoNodeError, BadVersionError) as error:
            raise error_for(error, f"deployment {deployment_id}") from error

    @translated
    def get(self, deployment_id: str, *, staging: bool = False) -> tuple[dict, int] | None:
        """The plan (parts joined) and its head's znode version (for `put`'s compare-and-set), or None; a
        staged plan only with `staging` (for conflict checks)."""
        found = self.get_many([deployment_id], staging=staging)
        return found.get(deployment_id)

    @translated
    def exists(self, deployment_id: str) -> bool:
        """Whether the plan's head is still stored (a finished or cancelled plan's is deleted)."""
        return self._nodes.client.exists(self._layout.deployment(deployment_id)) is not None

    @translated
    def get_many(self, deployment_ids: Iterable[str], *, staging: bool = False) -> dict[str, tuple[dict, int]]:
        """`get` of several plans, pipelined; missing (and, without `staging`, staged) plans are left out."""
        heads = self._nodes.get_many([self._layout.deployment(i) for i in deployment_ids])
        found = {}
        split = []
        for head, stat in heads.values():
            if head is None or (head.get(STAGING) and not staging):
                continue
            if planparts.is_split(head):
                split.append((head, stat))
            else:
                found[head["id"]] = (head, stat.version)
        for head, stat in split:
            parts = self.parts(head["id"])
            if len(parts) == head["parts"]:  # else deleted meanwhile
                found[head["id"]] = (planparts.join(head, parts), stat.version)
        return found

    def parts(self, deployment_id: str) -> list[dict]:
        """The stored parts of a plan ([] when there are none)."""
        directory = self._layout.plan_parts(deployment_id)
        try:
            names = self._nodes.children(directory, f"parts of deployment {deployment_id}")
        except NotFound:
            return []
        return [part for part, _ in self._nodes.get_many([f"{directory}/{n}" for n in names]).values()]

    @translated
    def delete(self, deployment_id: str, *, version: int = -1, split: bool = True) -> None:
        """Deletes the head (only at znode `version` when one is given), then the parts: `split` False says
        there are none (a plan stored whole), which spares listing them. Raises NotFound if there is no such
        deployment (the api answers 404), Conflict if its head is no longer at `version`."""
        client = self._nodes.client
        try:
            client.retry(client.delete, self._layout.deployment(deployment_id), version=version)
        except (NoNodeError, BadVersionError) as error:
            raise error_for(error, f"deployment {deployment_id}") from error
        if split:
            self.delete_parts(deployment_id)

    @translated
    def delete_parts(self, deployment_id: str) -> None:
        """Removes a plan's parts once its head is gone (idempotent)."""
        client = self._nodes.client
        with contextlib.suppress(NoNodeError):
            client.retry(client.delete, self._layout.plan_parts(deployment_id), recursive=True)

    @translated
    def all(self) -> dict[str, dict]:
        """Every visible plan by id (pipelined; the api and the leader read plans from the Mirror)."""
        names = self._nodes.children(self._layout.deployments_dir, "deployments directory")
        return {plan_id: plan for plan_id, (plan, _) in self.get_many(names).items()}

    def create_ops(self, plan: dict, **marks: bool) -> tuple[list[Op], Op]:
        """(the operations creating a plan's parts, the one creating its head) — the head last, so that it
        fails if the id is in use; `marks` (STAGING, APPLYING) go into the head."""
        deployment_id = plan["id"]
        head, parts = planparts.split(plan)
        head.update({mark: True for mark, on in marks.items() if on})
        part_ops = []
        if parts:
            part_ops.append(Op("create", self._layout.plan_parts(deployment_id),
                               f"parts of deployment {deployment_id}"))
            part_ops += [Op("create", self._layout.plan_part(deployment_id, part["n"]),
                            f"part {part['n']} of deployment {deployment_id}",
                            encode(part, what=f"part {part['n']} of deployment {deployment_id}"))
                         for part in parts]
        head_op = Op("create", self._layout.deployment(deployment_id), f"deployment {deployment_id}",
                     encode(head, what=f"deployment {deployment_id}"), ephemeral=bool(marks.get(STAGING)))
        return part_ops, head_op

    def cancel_ops(self, deployment_ids: Sequence[str]) -> list[Op]:
        """Deleting the heads of plans (the transaction fails if one is gone); their parts go afterwards
        (`delete_parts`)."""
        return [Op("delete", self._layout.deployment(i), f"deployment {i} (cancelled)") for i in deployment_ids]
