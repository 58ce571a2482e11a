"""Compare-and-set access to Balalaika's state in ZooKeeper, shared by the scheduler and the api.

Writes that must agree (an app and its deployment, an app and its version history) go in one
`client.transaction()`. Reads, create-or-set writes and deletes are idempotent and retried through the
client's command retry; compare-and-set transactions are not retried, because a connection lost during
commit leaves the outcome unknown (the caller re-reads and decides). Hot paths (task updates, events)
are asynchronous: they return kazoo IAsyncResult futures instead of waiting one round trip each.

`Store` composes one component per part of the tree (framework.store.layout). Each owns its nodes and is
handed the shared `Nodes` (client, layout, helpers) and the other components it needs:

* `apps` (AppStore): `apps/<app>` with its `versions/`, and the `commit` transaction that writes several
  apps with a plan, cancelled plans and other compare-and-set nodes; handed `deployments` and `failures`;
* `groups` (GroupStore): `groups/<group>`;
* `tasks` (TaskStore): `tasks/<app>/<task>`, and which task directories exist; handed `apps.exists`;
* `deployments` (DeploymentStore): `deployments/<id>`;
* `failures` (FailureStore) and `queue` (QueueStore): `failures/<app>` and `queue/<app>`;
* `requests` (RequestStore): `requests/`, and the requests this instance took and did not finish;
* `events` (EventStore): `events/`;
* `audit` (AuditStore): `audit/`, the api's record of accepted writes, trimmed by the replicas themselves.

`service-ports` is the api's (api.serviceports: reservations of blocks, compare-and-set); `leader/` and
`leader-info` are `Leadership`'s. The Store itself keeps what belongs to the whole tree: its directories
(`ensure_layout`) and the framework id.
"""

from __future__ import annotations

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

from framework.store.apps import DEFAULT_MAX_VERSIONS, AppStore
from framework.store.audit import DEFAULT_AUDIT_KEPT, AuditStore
from framework.store.deployments import DeploymentStore
from framework.store.groups import GroupStore
from framework.store.layout import DEFAULT_ROOT, Layout
from framework.store.messages import EventStore, FailureStore, QueueStore, RequestStore
from framework.store.nodes import Nodes, translated
from framework.store.tasks import TaskStore


class Store:
    """Balalaika's state under one root, as the components above. Thread-safe as far as kazoo is (one
    client shared by threads), except `requests`, whose bookkeeping is meant for the leader's single loop."""

    def __init__(self, client: KazooClient, root: str = DEFAULT_ROOT, *,
                 max_versions: int = DEFAULT_MAX_VERSIONS, timeout: float = 30.0,
                 audit_kept: int = DEFAULT_AUDIT_KEPT) -> None:
        self.nodes = Nodes(client, Layout(root), timeout)
        self.deployments = DeploymentStore(self.nodes)
        self.failures = FailureStore(self.nodes)
        self.apps = AppStore(self.nodes, self.deployments, self.failures, max_versions=max_versions)
        self.groups = GroupStore(self.nodes)
        self.tasks = TaskStore(self.nodes, app_exists=self.apps.exists)
        self.queue = QueueStore(self.nodes)
        self.requests = RequestStore(self.nodes)
        self.events = EventStore(self.nodes)
        self.audit = AuditStore(self.nodes, audit_kept)

    @translated
    def ensure_layout(self) -> None:
        """Creates the root and its directories if missing (idempotent; with the client's default ACL)."""
        client = self.nodes.client
        for path in self.nodes.layout.dirs:
            client.retry(client.ensure_path, path)

    @translated
    def get_framework_id(self) -> str | None:
        """The Mesos framework id (a plain string, not JSON), or None before the first registration."""
        client = self.nodes.client
        try:
            data, _ = client.retry(client.get, self.nodes.layout.framework_id)
        except NoNodeError:
            return None
        return data.decode() or None

    @translated
    def set_framework_id(self, framework_id: str) -> None:
        self.nodes.upsert(self.nodes.layout.framework_id, framework_id.encode())

