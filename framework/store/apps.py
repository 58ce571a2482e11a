"""Apps with their version history, and explicit groups: the part of the Store the api writes.

An app, its versions and a deployment that rolls it out must agree, so `AppsMixin.commit` builds them
into one multi-op transaction (with any other compare-and-set `NodeWrite`s the caller needs, such as the
service-port allocation); `put_app` and `delete_app` are its one-app forms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError
from kazoo.interfaces import IAsyncResult

from framework.store.base import StoreBase, _failure, _translated
from framework.store.codec import encode
from framework.store.errors import StoreError

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


class AppsMixin(StoreBase):
    """Apps, their version history and explicit groups."""

    max_versions: int
    delete_failure: Callable[[str], IAsyncResult]  # MessagesMixin's; `commit` calls it for the apps it deletes

    def _add_deployment(self, transaction: Any, described: list[str], deployment: dict | None) -> None:
        if deployment is not None:
            deployment_id = deployment["id"]
            transaction.create(self.layout.deployment(deployment_id),
                               encode(deployment, what=f"deployment {deployment_id}"))
            described.append(f"deployment {deployment_id}")

    @_translated
    def get_app(self, app_id: str) -> tuple[dict, int] | None:
        """The current app and its znode version (pass it back as `expected_version`), or None."""
        found = self._get(self.layout.app(app_id))
        return None if found is None else (found[0], found[1].version)

    @_translated
    def list_apps(self) -> dict[str, tuple[dict, int]]:
        """Every app with its znode version (pipelined; for a leader's start, the api uses the Mirror)."""
        names = self._children(self.layout.apps_dir, "apps directory")
        paths = {f"{self.layout.apps_dir}/{name}": name for name in names}
        return {found[0]["id"]: (found[0], found[1].version) for found in self._get_many(list(paths)).values()}

    def _add_app_change(self, tx: Any, described: list[str], change: AppChange) -> None:
        """The operations that create, compare-and-set or delete one app with its version history."""
        app_id = change.app_id
        path, versions = self.layout.app(app_id), self.layout.app_versions(app_id)
        if change.app is None:
            for version in self._children(versions, f"app {app_id}"):
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
        version_path = self.layout.app_version(app_id, version)
        if change.expected_version is None:
            tx.create(path, data)
            tx.create(versions, b"")
            tx.create(version_path, data)
            described += [f"app {app_id}", f"versions of app {app_id}", f"app {app_id} version {version}"]
            return
        existing = self._children(versions, f"app {app_id}")
        tx.set_data(path, data, version=change.expected_version)
        described.append(f"app {app_id} (expected version {change.expected_version})")
        if version in existing:
            tx.set_data(version_path, data)
        else:
            tx.create(version_path, data)
        described.append(f"app {app_id} version {version}")
        older = sorted(v for v in existing if v != version)
        for old in older[:max(0, len(older) - (self.max_versions - 1))]:
            tx.delete(self.layout.app_version(app_id, old))
            described.append(f"app {app_id} version {old} (pruning)")

    @_translated
    def commit(self, changes: Sequence[AppChange], *, deployment: dict | None = None,
               cancel: Iterable[str] = (), writes: Sequence[NodeWrite] = ()) -> None:
        """Applies app changes, creates `deployment`, deletes the `cancel`led deployments and performs the
        compare-and-set `writes` in ONE transaction: everything is written or nothing. Then, without waiting,
        the last task failures of the deleted apps go (outside the transaction: that node may not exist).

        Raises Conflict (exists / changed since read / deployment id in use), NotFound (update or
        delete of a missing app, cancel of a missing deployment), StoreError (too big, bad id, outcome
        unknown after a lost connection).
        """
        tx = self.client.transaction()
        described: list[str] = []
        for change in changes:
            self._add_app_change(tx, described, change)
        self._add_deployment(tx, described, deployment)
        for deployment_id in cancel:
            tx.delete(self.layout.deployment(deployment_id))
            described.append(f"deployment {deployment_id} (cancelled)")
        for write in writes:
            if write.expected_version is None:
                tx.create(write.path, write.data)
            else:
                tx.set_data(write.path, write.data, version=write.expected_version)
            described.append(f"node {write.path}")
        self._commit(tx, described)
        for change in changes:
            if change.app is None:
                self.delete_failure(change.app_id)

    def put_app(self, app: dict, *, expected_version: int | None, deployment: dict | None = None) -> int:
        """Creates (`expected_version=None`) or compare-and-sets the app, records `app["version"]` in its
        history (pruning the oldest beyond `max_versions`) and creates `deployment` if given — all in one
        transaction. Returns the app node's new znode version. Raises as `commit` does.
        """
        self.commit([AppChange(app["id"], app, expected_version)], deployment=deployment)
        return 0 if expected_version is None else expected_version + 1

    def delete_app(self, app_id: str, *, expected_version: int | None = None,
                   deployment: dict | None = None) -> None:
        """Removes the app with its version history and creates `deployment`, atomically.

        Task nodes stay: the scheduler kills the tasks and deletes their records as they end. The app's last
        task failure is removed right after the transaction (see `delete_failure`).
        `expected_version=None` deletes whatever version is current. Raises as `commit` does.
        """
        self.commit([AppChange(app_id, None, expected_version)], deployment=deployment)

    @_translated
    def list_app_versions(self, app_id: str) -> list[str]:
        """Stored version timestamps, newest first (Marathon's order). Raises NotFound for an unknown app."""
        return sorted(self._children(self.layout.app_versions(app_id), f"app {app_id}"), reverse=True)

    @_translated
    def get_app_version(self, app_id: str, version: str) -> dict | None:
        """The app as it was at `version`, or None if the app or that version is not stored (also for a
        version string that cannot be a node name, e.g. one from a URL with a '/')."""
        self.layout.app(app_id)  # a bad app id is still an error
        try:
            path = self.layout.app_version(app_id, version)
        except StoreError:
            return None
        found = self._get(path)
        return None if found is None else found[0]

    # ---- groups -------------------------------------------------------------------------------------

    @_translated
    def get_group(self, group_id: str) -> tuple[dict, int] | None:
        found = self._get(self.layout.group(group_id))
        return None if found is None else (found[0], found[1].version)

    @_translated
    def list_groups(self) -> dict[str, dict]:
        names = self._children(self.layout.groups_dir, "groups directory")
        found = self._get_many([f"{self.layout.groups_dir}/{name}" for name in names])
        return {group["id"]: group for group, _ in found.values()}

    @_translated
    def put_group(self, group: dict, *, expected_version: int | None = None) -> int:
        """Creates (`expected_version=None`) or compare-and-sets an explicit group; returns its znode version.
        Raises Conflict, NotFound."""
        group_id = group["id"]
        path, data = self.layout.group(group_id), encode(group, what=f"group {group_id}")
        what = f"group {group_id}"
        try:
            if expected_version is None:
                self.client.create(path, data)
                return 0
            return self.client.set(path, data, version=expected_version).version
        except (NodeExistsError, NoNodeError, BadVersionError) as error:
            raise _failure(error, what) from error

    @_translated
    def delete_group(self, group_id: str, *, expected_version: int | None = None) -> None:
        """Removes an explicit group (its apps are separate nodes, deleted by the caller). Raises NotFound,
        Conflict."""
        try:
            self.client.delete(self.layout.group(group_id),
                               version=-1 if expected_version is None else expected_version)
        except (NoNodeError, BadVersionError) as error:
            raise _failure(error, f"group {group_id}") from error
