"""Apps with their version history: the part of the store the api writes.

An app, its versions and a deployment that rolls it out must agree, so `AppStore.commit` builds them into
one multi-op transaction (above what one transaction may carry: a staged write, framework.store.staged);
`put` and `delete` are its one-app forms.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kazoo.exceptions import NoNodeError
from kazoo.interfaces import IAsyncResult

from framework.store import staged
from framework.store.codec import encode
from framework.store.deployments import APPLYING, DeploymentStore
from framework.store.errors import NotFound, StoreError
from framework.store.messages import FailureStore
from framework.store.nodes import Nodes, Op, translated

log = logging.getLogger(__name__)

DEFAULT_MAX_VERSIONS = 50


@dataclass(frozen=True)
class AppChange:
    """One app to create (`expected_version` None), compare-and-set (its znode version) or delete (`app` None;
    `expected_version` None then deletes whatever version is current)."""

    app_id: str
    app: dict | None
    expected_version: int | None


class AppStore:
    """Owns `apps/<app>` and `apps/<app>/versions/`, keeping at most `max_versions` versions per app.

    Handed the deployments (a commit creates and cancels plans in its transaction) and the failures (a
    commit that deletes an app removes its last task failure afterwards)."""

    def __init__(self, nodes: Nodes, deployments: DeploymentStore, failures: FailureStore, *,
                 max_versions: int = DEFAULT_MAX_VERSIONS) -> None:
        if max_versions < 1:
            raise ValueError("max_versions must be at least 1")
        self._nodes = nodes
        self._layout = nodes.layout
        self._deployments = deployments
        self._failures = failures
        self.max_versions = max_versions

    @translated
    def get(self, app_id: str) -> tuple[dict, int] | None:
        """The current app and its znode version (pass it back as `expected_version`), or None (also for
        the empty placeholder of an app a staged write is creating)."""
        found = self._nodes.versioned(self._layout.app(app_id))
        return None if found is None or found[0] is None else found

    @translated
    def exists(self, app_id: str) -> bool:
        return self._nodes.client.retry(self._nodes.client.exists, self._layout.app(app_id)) is not None

    @translated
    def all(self) -> dict[str, tuple[dict, int]]:
        """Every app with its znode version (pipelined; for a leader's start, the api uses the Mirror)."""
        found = self._nodes.get_children(self._layout.apps_dir, "apps directory")
        return {app["id"]: (app, stat.version) for app, stat in found if app is not None}

    @translated
    def commit(self, changes: Sequence[AppChange], *, deployment: dict | None = None,
               cancel: Sequence[str] = (), events: Sequence[Op] = ()) -> None:
        """Applies app changes, creates `deployment` and deletes the `cancel`led deployments atomically:
        everything is written or nothing. In ONE transaction when that
        fits in `staged.TX_BYTES`; else staged (framework.store.staged: the same outcome for readers, a
        plan that becomes visible with all its apps at once). Then, without waiting, the last task failures
        of the deleted apps and the parts of cancelled plans go (outside the transaction).

        `events` (EventStore.create_ops: the write's own events) are appended in the same transaction, or
        after a staged commit, best-effort: a failure to append them is logged, the write stands.

        Raises Conflict (exists / changed since read / deployment id in use), NotFound (update or
        delete of a missing app, cancel of a missing deployment), StoreError (too big, bad id, outcome
        unknown after a lost connection).
        """
        for deployment_id in cancel:
            self.settle(deployment_id)  # a cancelled plan's apps keep its targets, as after any other plan
        existing = self._existing_versions(
            [c.app_id for c in changes if c.expected_version is not None or c.app is None])
        app_ops = [op for change in changes for op in self._change_ops(change, existing.get(change.app_id))]
        part_ops, head_op = self._deployments.create_ops(deployment) if deployment else ([], None)
        other_ops = self._deployments.cancel_ops(cancel)
        ops = app_ops + part_ops + ([head_op] if head_op else []) + other_ops
        size = sum(op.cost for op in ops)
        if size + sum(op.cost for op in events) <= staged.TX_BYTES:
            self._nodes.commit_ops([*ops, *events])
        elif size <= staged.TX_BYTES:  # the events never make a write staged (or refused for want of a plan)
            self._nodes.commit_ops(ops)
            self._append_events(events)
        else:
            staged.StagedCommit(self._nodes, self._deployments, self.roll_forward).run(changes, deployment, other_ops)
            self._append_events(events)
        for change in changes:
            if change.app is None:
                self._failures.delete(change.app_id)
        for deployment_id in cancel:
            self._deployments.delete_parts(deployment_id)

    def _append_events(self, events: Sequence[Op]) -> None:
        if not events:
            return
        try:
            self._nodes.commit_ops(events)
        except StoreError as error:
            log.warning("could not record %s: %s", ", ".join(op.what for op in events), error)

    @translated
    def settle(self, deployment_id: str) -> bool:
        """Finishes the write of a committed plan still `applying` (its writer died or is slow): its app
        nodes are brought to its targets and the mark is removed. Returns whether there was anything to do.
        Idempotent; safe beside the writer doing the same."""
        found = self._deployments.get(deployment_id)
        if found is None or not found[0].get(APPLYING):
            return False
        plan = found[0]
        self.roll_forward({app_id: plan["target"].get(app_id) for app_id in plan["affectedApps"]},
                          guard=self._layout.deployment(deployment_id))
        staged.clear_applying(self._nodes, self._deployments, deployment_id)
        return True

    @translated
    def sweep_staged(self, now: float) -> int:
        """Removes what staged writes that died before their commit left (`staged.sweep_orphans`)."""
        return staged.sweep_orphans(self._nodes, self._deployments, now)

    @translated
    def roll_forward(self, targets: Mapping[str, dict | None], *, guard: str) -> None:
        """Brings each app node to its target (None: deleted) with its version history, in batches of
        at most `staged.TX_BYTES`, each checking that `guard` (the plan's head) still exists. Unconditional
        but idempotent: apps already at their target are skipped. The caller holds these apps (its
        committed plan makes every other writer wait or cancel it)."""
        client = self._nodes.client
        reads = {app_id: (client.get_async(self._layout.app(app_id)),
                          client.get_children_async(self._layout.app_versions(app_id))) for app_id in targets}
        ops: list[Op] = []
        for app_id, (node, versions) in reads.items():
            current = _result(node, staged.BATCH_WAIT_SECONDS)
            names = _result(versions, staged.BATCH_WAIT_SECONDS)
            ops += self._target_ops(app_id, targets[app_id], current, names)
        self._nodes.commit_batches(ops, staged.TX_BYTES, guard=Op("check", guard, f"deployment at {guard}"),
                                   timeout=staged.BATCH_WAIT_SECONDS)

    def _target_ops(self, app_id: str, target: dict | None, current: tuple[bytes, Any] | None,
                    versions: list[str] | None) -> list[Op]:
        """What brings one app node from `current` (data, stat; None when absent) to `target`."""
        path, versions_path = self._layout.app(app_id), self._layout.app_versions(app_id)
        if target is None:
            if current is None:
                return []
            return ([Op("delete", f"{versions_path}/{v}", f"app {app_id} version {v}") for v in versions or ()]
                    + ([Op("delete", versions_path, f"versions of app {app_id}")] if versions is not None else [])
                    + [Op("delete", path, f"app {app_id}")])
        data = encode(target, what=f"app {app_id}")
        version = target["version"]
        if current is not None and current[0] == data and versions is not None and version in versions:
            return []
        ops = [Op("create", path, f"app {app_id}", data) if current is None
               else Op("set", path, f"app {app_id}", data)]
        if versions is None:
            ops.append(Op("create", versions_path, f"versions of app {app_id}"))
        version_path = self._layout.app_version(app_id, version)
        ops.append(Op("set" if version in (versions or ()) else "create", version_path,
                      f"app {app_id} version {version}", data))
        older = sorted(v for v in versions or () if v != version)
        ops += [Op("delete", self._layout.app_version(app_id, old), f"app {app_id} version {old} (pruning)")
                for old in older[:max(0, len(older) - (self.max_versions - 1))]]
        return ops

    def _existing_versions(self, app_ids: Sequence[str]) -> dict[str, list[str]]:
        """Version names of the apps, read pipelined. Raises NotFound for an app that does not exist."""
        client = self._nodes.client
        pending = [(app_id, client.get_children_async(self._layout.app_versions(app_id))) for app_id in app_ids]
        found = {}
        for app_id, result in pending:
            names = _result(result, staged.BATCH_WAIT_SECONDS)
            if names is None:
                raise NotFound(f"app {app_id}: does not exist")
            found[app_id] = names
        return found

    def put(self, app: dict, *, expected_version: int | None, deployment: dict | None = None) -> int:
        """Creates (`expected_version=None`) or compare-and-sets the app, records `app["version"]` in its
        history (pruning the oldest beyond `max_versions`) and creates `deployment` if given — all in one
        transaction. Returns the app node's new znode version. Raises as `commit` does.
        """
        self.commit([AppChange(app["id"], app, expected_version)], deployment=deployment)
        return 0 if expected_version is None else expected_version + 1

    def delete(self, app_id: str, *, expected_version: int | None = None, deployment: dict | None = None) -> None:
        """Removes the app with its version history and creates `deployment`, atomically.

        Task nodes stay: the scheduler kills the tasks and deletes their records as they end. The app's last
        task failure is removed right after the transaction (see `FailureStore.delete`).
        `expected_version=None` deletes whatever version is current. Raises as `commit` does.
        """
        self.commit([AppChange(app_id, None, expected_version)], deployment=deployment)

    @translated
    def versions(self, app_id: str) -> list[str]:
        """Stored version timestamps, newest first (Marathon's order). Raises NotFound for an unknown app."""
        return sorted(self._nodes.children(self._layout.app_versions(app_id), f"app {app_id}"), reverse=True)

    @translated
    def get_version(self, app_id: str, version: str) -> dict | None:
        """The app as it was at `version`, or None if the app or that version is not stored (also for a
        version string that cannot be a node name, e.g. one from a URL with a '/')."""
        self._layout.app(app_id)  # a bad app id is still an error
        try:
            path = self._layout.app_version(app_id, version)
        except StoreError:
            return None
        return self._nodes.value(path)

    def _change_ops(self, change: AppChange, existing: list[str] | None) -> list[Op]:
        """The operations that create, compare-and-set or delete one app with its version history
        (`existing`: its stored versions, for updates and deletions)."""
        app_id = change.app_id
        path, versions = self._layout.app(app_id), self._layout.app_versions(app_id)
        if change.app is None:
            expected = -1 if change.expected_version is None else change.expected_version
            return ([Op("delete", f"{versions}/{v}", f"app {app_id} version {v}") for v in existing or ()]
                    + [Op("delete", versions, f"versions of app {app_id} (a version was added concurrently)"),
                       Op("delete", path, f"app {app_id}" + ("" if change.expected_version is None else
                                                             f" (expected version {expected})"), version=expected)])
        version = change.app["version"]
        data = encode(change.app, what=f"app {app_id}")
        version_path = self._layout.app_version(app_id, version)
        if change.expected_version is None:
            return [Op("create", path, f"app {app_id}", data), Op("create", versions, f"versions of app {app_id}"),
                    Op("create", version_path, f"app {app_id} version {version}", data)]
        ops = [Op("set", path, f"app {app_id} (expected version {change.expected_version})", data,
                  change.expected_version),
               Op("set" if version in (existing or ()) else "create", version_path,
                  f"app {app_id} version {version}", data)]
        older = sorted(v for v in existing or () if v != version)
        ops += [Op("delete", self._layout.app_version(app_id, old), f"app {app_id} version {old} (pruning)")
                for old in older[:max(0, len(older) - (self.max_versions - 1))]]
        return ops


def _result(result: IAsyncResult, timeout: float) -> Any:
    """An async read's value, None for a node that does not exist."""
    try:
        return result.get(timeout=timeout)
    except NoNodeError:
        return None
