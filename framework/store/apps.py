"""Apps with their version history: the part of the store the api writes.

An app, its versions and a deployment that rolls it out must agree, so `AppStore.commit` builds them into
one multi-op transaction (with any other compare-and-set `NodeWrite`s the caller needs, such as the
service-port allocation); `put` and `delete` are its one-app forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from framework.store.codec import encode
from framework.store.deployments import DeploymentStore
from framework.store.errors import StoreError
from framework.store.messages import FailureStore
from framework.store.nodes import Nodes, translated

DEFAULT_MAX_VERSIONS = 50


@dataclass(frozen=True)
class AppChange:
    """One app to create (`expected_version` None), compare-and-set (its znode version) or delete (`app` None;
    `expected_version` None then deletes whatever version is current)."""

    app_id: str
    app: dict | None
    expected_version: int | None


@dataclass(frozen=True)
class NodeWrite:
    """Another node written in the same transaction: created (`expected_version` None) or compare-and-set."""

    path: str
    data: bytes
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
        """The current app and its znode version (pass it back as `expected_version`), or None."""
        return self._nodes.versioned(self._layout.app(app_id))

    @translated
    def exists(self, app_id: str) -> bool:
        return self._nodes.client.retry(self._nodes.client.exists, self._layout.app(app_id)) is not None

    @translated
    def all(self) -> dict[str, tuple[dict, int]]:
        """Every app with its znode version (pipelined; for a leader's start, the api uses the Mirror)."""
        found = self._nodes.get_children(self._layout.apps_dir, "apps directory")
        return {app["id"]: (app, stat.version) for app, stat in found}

    @translated
    def commit(self, changes: Sequence[AppChange], *, deployment: dict | None = None,
               cancel: Iterable[str] = (), writes: Sequence[NodeWrite] = ()) -> None:
        """Applies app changes, creates `deployment`, deletes the `cancel`led deployments and performs the
        compare-and-set `writes` in ONE transaction: everything is written or nothing. Then, without waiting,
        the last task failures of the deleted apps go (outside the transaction: that node may not exist).

        Raises Conflict (exists / changed since read / deployment id in use), NotFound (update or
        delete of a missing app, cancel of a missing deployment), StoreError (too big, bad id, outcome
        unknown after a lost connection).
        """
        tx = self._nodes.client.transaction()
        described: list[str] = []
        for change in changes:
            self._add_change(tx, described, change)
        if deployment is not None:
            self._deployments.add_create(tx, described, deployment)
        for deployment_id in cancel:
            self._deployments.add_cancel(tx, described, deployment_id)
        for write in writes:
            if write.expected_version is None:
                tx.create(write.path, write.data)
            else:
                tx.set_data(write.path, write.data, version=write.expected_version)
            described.append(f"node {write.path}")
        self._nodes.commit(tx, described)
        for change in changes:
            if change.app is None:
                self._failures.delete(change.app_id)

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

    def _add_change(self, tx: Any, described: list[str], change: AppChange) -> None:
        """The operations that create, compare-and-set or delete one app with its version history."""
        app_id = change.app_id
        path, versions = self._layout.app(app_id), self._layout.app_versions(app_id)
        if change.app is None:
            for version in self._nodes.children(versions, f"app {app_id}"):
                tx.delete(f"{versions}/{version}")
                described.append(f"app {app_id} version {version}")
            tx.delete(versions)
            described.append(f"versions of app {app_id} (a version was added concurrently)")
            tx.delete(path, version=-1 if change.expected_version is None else change.expected_version)
            described.append(f"app {app_id}" + ("" if change.expected_version is None
                                                 else f" (expected version {change.expected_version})"))
            return
        version = change.app["version"]
        data = encode(change.app, what=f"app {app_id}")
        version_path = self._layout.app_version(app_id, version)
        if change.expected_version is None:
            tx.create(path, data)
            tx.create(versions, b"")
            tx.create(version_path, data)
            described += [f"app {app_id}", f"versions of app {app_id}", f"app {app_id} version {version}"]
            return
        existing = self._nodes.children(versions, f"app {app_id}")
        tx.set_data(path, data, version=change.expected_version)
        described.append(f"app {app_id} (expected version {change.expected_version})")
        if version in existing:
            tx.set_data(version_path, data)
        else:
            tx.create(version_path, data)
        described.append(f"app {app_id} version {version}")
        older = sorted(v for v in existing if v != version)
        for old in older[:max(0, len(older) - (self.max_versions - 1))]:
            tx.delete(self._layout.app_version(app_id, old))
            described.append(f"app {app_id} version {old} (pruning)")
