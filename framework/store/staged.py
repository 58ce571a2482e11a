"""Writes too big for one ZooKeeper transaction: staged, then made visible by one small commit.

ZooKeeper refuses a request above jute.maxbuffer (1 MB by default), and a group of 5,000 apps is ~11 MB
of app and version nodes, so `AppStore.commit` cannot put such a write in one transaction. Instead:

1. **parts**: the plan's immutable parts (framework.store.planparts) under `plan-parts/<id>/`, in batches.
   Nobody reads them until a head names them.
2. **staging head**: an *ephemeral* `deployments/<id>` marked `staging`. Readers skip it; writers checking
   for conflicts (api.fresh) count it, so from here on a write to one of these apps is refused (409) or
   cancels it (force). Ephemeral: if this writer dies, ZooKeeper removes it with the session.
3. **claims**, in batches: every existing app node is rewritten with its own data, compare-and-set on the
   znode version the plan was made from (readers see no change; a writer that read the app before the
   staging head was there now loses its compare-and-set); every new app gets an empty placeholder node
   (readers treat it as absent). A lost claim aborts the write: Conflict, and the caller re-plans.
4. **commit**, ONE small transaction: the staging head is replaced by the persistent head marked
   `applying` and the cancelled plans' heads are deleted. From here on readers see the plan, and the
   apps as its targets (the mirror overlays an applying plan's targets on the app nodes).
5. **roll forward** (`AppStore.roll_forward`), in batches, each checking that the head still exists:
   the app nodes and their version histories are written; then the `applying` mark is removed.

A failure in 1-3 removes what was staged (best effort; whatever is left is invisible and swept by the
leader: `sweep_orphans`). A failure after 4 leaves a committed plan marked `applying`: readers are right
already, and `AppStore.settle` (by the leader after `SETTLE_AFTER_SECONDS`, or by whoever cancels the
plan) finishes the roll-forward.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kazoo.exceptions import BadVersionError, NoNodeError

from framework.store.codec import encode
from framework.store.deployments import APPLYING, STAGING, DeploymentStore
from framework.store.errors import Conflict, NotFound, StoreError
from framework.store.nodes import Nodes, Op

if TYPE_CHECKING:
    from framework.store.apps import AppChange

log = logging.getLogger(__name__)

# Bytes per staged transaction: well under jute.maxbuffer and Nodes.commit's guard, and small enough that
# one batch does not hold ZooKeeper's request pipeline for long.
TX_BYTES = 400 * 1024
# How long one staged batch may wait for its answer: a 400 KB transaction queued behind the mirror's reads
# on a loaded machine takes longer than the api's 1.5 s bound, which is meant to notice an unavailable
# ZooKeeper, not a slow one.
BATCH_WAIT_SECONDS = 20.0
SETTLE_AFTER_SECONDS = 10.0
ORPHAN_AFTER_SECONDS = 120.0

RollForward = Callable[..., None]


class StagedCommit:
    """One staged write (steps 1-5 above). Used once, by `AppStore.commit`."""

    def __init__(self, nodes: Nodes, deployments: DeploymentStore, roll_forward: RollForward) -> None:
        self._nodes = nodes
        self._layout = nodes.layout
        self._deployments = deployments
        self._roll_forward = roll_forward

    def run(self, changes: Sequence[AppChange], plan: dict | None, other_ops: Sequence[Op]) -> None:
        """Raises as `AppStore.commit`; after a Conflict or NotFound nothing is visible."""
        if plan is None:
            raise StoreError("a write too big for one transaction needs a plan to make it visible")
        plan_id = plan["id"]
        head_path = self._layout.deployment(plan_id)
        part_ops, staging_head = self._deployments.create_ops(plan, **{STAGING: True})
        _, final_head = self._deployments.create_ops(plan, **{APPLYING: True})
        placeholders: list[str] = []
        try:
            self._nodes.commit_batches(part_ops, TX_BYTES, timeout=BATCH_WAIT_SECONDS)
            self._nodes.commit_ops([staging_head], BATCH_WAIT_SECONDS)
            placeholders = self._claim(changes, head_path)
            self._nodes.commit_ops([Op("delete", head_path, f"staging deployment {plan_id}", version=0),
                                    final_head, *other_ops], BATCH_WAIT_SECONDS)
        except StoreError:
            self._abort(plan_id, placeholders)
            raise
        log.info("deployment %s: committed %d app changes staged in %d parts", plan_id, len(changes),
                 max(0, len(part_ops) - 1))
        try:  # committed: from here on a failure is the leader's to finish (AppStore.settle), not a conflict
            self._roll_forward({change.app_id: change.app for change in changes}, guard=head_path)
            clear_applying(self._nodes, self._deployments, plan_id)
        except StoreError as error:
            log.warning("deployment %s: committed, but writing its apps failed (%s); the leader finishes it",
                        plan_id, error)

    def _claim(self, changes: Sequence[AppChange], guard: str) -> list[str]:
        """Step 3; returns the placeholder paths created (for an abort). Raises Conflict when an app changed
        since the plan was made."""
        client = self._nodes.client
        existing = [(c, client.get_async(self._layout.app(c.app_id)))
                    for c in changes if c.expected_version is not None]
        ops = []
        for change, result in existing:
            try:
                data, stat = result.get(timeout=BATCH_WAIT_SECONDS)
            except NoNodeError:
                raise NotFound(f"app {change.app_id}: does not exist") from None
            if stat.version != change.expected_version:
                raise Conflict(f"app {change.app_id}: changed since it was read (version mismatch)")
            ops.append(Op("set", self._layout.app(change.app_id), f"app {change.app_id} (claim)", data,
                          change.expected_version))
        new = [self._layout.app(c.app_id) for c in changes if c.expected_version is None and c.app is not None]
        ops += [Op("create", path, f"app at {path} (placeholder)") for path in new]
        self._nodes.commit_batches(ops, TX_BYTES, guard=Op("check", guard, f"staging deployment at {guard}", version=0),
                                   timeout=BATCH_WAIT_SECONDS)
        return new

    def _abort(self, plan_id: str, placeholders: Sequence[str]) -> None:
        """Removes what a failed staged write left (best effort: the sweep gets the rest)."""
        try:
            if self._is_staging(plan_id):
                self._nodes.delete_quietly(self._layout.deployment(plan_id))
            for path in placeholders:
                _delete_placeholder(self._nodes, path)
            self._deployments.delete_parts(plan_id)
        except StoreError as error:
            log.warning("deployment %s: could not remove its staged nodes (%s); the leader sweeps them",
                        plan_id, error)

    def _is_staging(self, plan_id: str) -> bool:
        head = self._nodes.value(self._layout.deployment(plan_id))
        return bool(head and head.get(STAGING))


def clear_applying(nodes: Nodes, deployments: DeploymentStore, plan_id: str) -> None:
    """Removes the `applying` mark from a plan's head (compare-and-set; the leader may be advancing it)."""
    path = nodes.layout.deployment(plan_id)
    for _ in range(10):
        found = nodes.get(path)
        if found is None or not found[0].get(APPLYING):
            return
        head = {key: value for key, value in found[0].items() if key != APPLYING}
        try:
            nodes.client.set(path, encode(head, what=f"deployment {plan_id}"), version=found[1].version)
            return
        except (BadVersionError, NoNodeError):
            continue
    log.warning("deployment %s: still marked applying after 10 attempts; the leader settles it", plan_id)


def sweep_orphans(nodes: Nodes, deployments: DeploymentStore, now: float) -> int:
    """Removes what staged writes that died before their commit left: parts without a head, older than
    ORPHAN_AFTER_SECONDS, and the empty placeholders of the new apps those parts name. Returns how many
    plans' leftovers went. For the leader, every minute or so."""
    layout, client = nodes.layout, nodes.client
    swept = 0
    for plan_id in client.retry(client.get_children, layout.plan_parts_dir):
        stat = client.retry(client.exists, layout.plan_parts(plan_id))
        if stat is None or now - stat.ctime / 1000 < ORPHAN_AFTER_SECONDS:
            continue
        if client.retry(client.exists, layout.deployment(plan_id)) is not None:
            continue
        for part in deployments.parts(plan_id):
            for app_id in set(part.get("target", {})) - set(part.get("original", {})):
                _delete_placeholder(nodes, layout.app(app_id))
        deployments.delete_parts(plan_id)
        swept += 1
    return swept


def _delete_placeholder(nodes: Nodes, path: str) -> None:
    """Deletes the node at `path` if it is still an empty placeholder (never a real app)."""
    found = nodes.get(path)
    if found is not None and found[0] is None and found[1].numChildren == 0:
        with contextlib.suppress(BadVersionError, NoNodeError):
            nodes.client.delete(path, version=found[1].version)
