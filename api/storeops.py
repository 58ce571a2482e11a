"""ADAPTER over framework.store for what its public API does not offer yet: multi-app transactions.

``Store.put_app`` / ``delete_app`` change one app (plus one new deployment) per transaction. The API
also needs, in ONE ZooKeeper transaction:

* several apps at once (bulk PUT /v2/apps, groups), with their deployment;
* the removal of the deployments that ``force=true`` overrides (Marathon cancels them);
* the service-port allocation record (see ``api/serviceports.py``) compare-and-set with the apps.

So this module builds that transaction itself, with the same node layout and version-history rules as
``Store.put_app`` (``framework/store/layout.py`` paths only, history pruned to ``store.max_versions``).
Once the store grows ``put_apps(changes, deployment=, cancel=, extra_ops=)`` this file should go.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kazoo.exceptions import (
    BadVersionError,
    ConnectionLoss,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    SessionExpiredError,
)

from framework.store import Conflict, NotFound, Store, StoreError
from framework.store.codec import encode

# Not (yet) in framework/store/layout.py: the api's service-port allocation record, under the root.
SERVICE_PORTS_NODE = "service-ports"


def service_ports_path(store: Store) -> str:
    return store.layout.root.rstrip("/") + "/" + SERVICE_PORTS_NODE


@dataclass
class AppChange:
    """One app to create (``expected`` None), replace (``expected`` = znode version) or delete (app None)."""

    app_id: str
    app: dict | None
    expected: int | None


@dataclass
class Transaction:
    """Everything one API write commits together."""

    changes: list[AppChange] = field(default_factory=list)
    deployment: dict | None = None
    cancel: list[str] = field(default_factory=list)
    # (data, expected znode version or None to create) of the service-port record
    ports_record: tuple[bytes, int | None] | None = None


def commit(store: Store, tx_spec: Transaction) -> None:
    """Commits ``tx_spec`` atomically. Raises Conflict (lost a compare-and-set, exists), NotFound,
    StoreError (ZooKeeper unavailable or outcome unknown)."""
    client, layout = store.client, store.layout
    tx = client.transaction()
    described: list[str] = []
    try:
        for change in tx_spec.changes:
            _add_change(store, tx, described, change)
        if tx_spec.deployment is not None:
            tx.create(layout.deployment(tx_spec.deployment["id"]), encode(tx_spec.deployment, what="deployment"))
            described.append(f"deployment {tx_spec.deployment['id']}")
        for deployment_id in tx_spec.cancel:
            tx.delete(layout.deployment(deployment_id))
            described.append(f"deployment {deployment_id} (cancelled)")
        if tx_spec.ports_record is not None:
            data, expected = tx_spec.ports_record
            if expected is None:
                tx.create(service_ports_path(store), data)
            else:
                tx.set_data(service_ports_path(store), data, version=expected)
            described.append("service-port allocation record")
        results = tx.commit()
    except (ConnectionLoss, SessionExpiredError) as error:
        raise StoreError("connection lost during commit, outcome unknown") from error
    except NoNodeError as error:  # a versions listing for an app deleted meanwhile
        raise Conflict("an app changed while the write was prepared") from error
    for result, what in zip(results, described, strict=True):
        if isinstance(result, BadVersionError | NodeExistsError | NotEmptyError):
            raise Conflict(f"{what}: changed concurrently")
        if isinstance(result, NoNodeError):
            raise NotFound(f"{what}: does not exist")
        if isinstance(result, Exception) and not isinstance(result, RolledBackError):
            raise StoreError(f"{what}: {type(result).__name__}")


def _add_change(store: Store, tx: object, described: list[str], change: AppChange) -> None:
    layout, client = store.layout, store.client
    path, versions = layout.app(change.app_id), layout.app_versions(change.app_id)
    if change.app is None:
        for version in client.get_children(versions):
            tx.delete(f"{versions}/{version}")
            described.append(f"app {change.app_id} version {version}")
        tx.delete(versions)
        described.append(f"versions of app {change.app_id}")
        tx.delete(path, version=-1 if change.expected is None else change.expected)
        described.append(f"app {change.app_id}")
        return
    data = encode(change.app, what=f"app {change.app_id}")
    version = change.app["version"]
    version_path = layout.app_version(change.app_id, version)
    if change.expected is None:
        tx.create(path, data)
        tx.create(versions, b"")
        tx.create(version_path, data)
        described += [f"app {change.app_id}", f"versions of app {change.app_id}", f"app {change.app_id} version"]
        return
    existing = client.get_children(versions)
    tx.set_data(path, data, version=change.expected)
    described.append(f"app {change.app_id}")
    if version in existing:
        tx.set_data(version_path, data)
    else:
        tx.create(version_path, data)
    described.append(f"app {change.app_id} version {version}")
    older = sorted(v for v in existing if v != version)
    for old in older[:max(0, len(older) - (store.max_versions - 1))]:
        tx.delete(layout.app_version(change.app_id, old))
        described.append(f"app {change.app_id} version {old} (pruning)")
