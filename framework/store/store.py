"""Compare-and-set access to Balalaika's state in ZooKeeper, shared by the scheduler and the api.

Writes that must agree (an app and its deployment, an app and its version history) go in one
`client.transaction()`. Reads, create-or-set writes and deletes are idempotent and retried through the
client's command retry; compare-and-set transactions are not retried, because a connection lost during
commit leaves the outcome unknown (the caller re-reads and decides). Hot paths (task updates, events)
are asynchronous: they return kazoo IAsyncResult futures instead of waiting one round trip each.

`Store` is composed of one mixin per concern, each in its own module: apps.py (apps, version history,
groups and the transactional `commit`), tasks.py (task records and their batching), deployments.py
(plans), messages.py (failures, launch queue, requests, events); base.py holds the shared helpers.
This module only puts them together and keeps the few cluster-wide nodes (layout, framework id).
"""

from __future__ import annotations

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

from framework.store.apps import DEFAULT_MAX_VERSIONS, AppChange, AppsMixin, NodeWrite
from framework.store.base import _translated, wait_all
from framework.store.deployments import DeploymentsMixin
from framework.store.layout import DEFAULT_ROOT, Layout
from framework.store.messages import DEFAULT_EVENTS_KEPT, MessagesMixin
from framework.store.tasks import TasksMixin


class Store(AppsMixin, TasksMixin, DeploymentsMixin, MessagesMixin):
    """Narrow, synchronous-by-default access to the layout in `framework.store.layout`.

    Thread-safe as far as kazoo is (one client shared by threads), except `take_requests` /
    `done_request`, which keep per-instance bookkeeping meant for the leader's single loop.
    """

    def __init__(self, client: KazooClient, root: str = DEFAULT_ROOT, *,
                 max_versions: int = DEFAULT_MAX_VERSIONS, timeout: float = 30.0) -> None:
        if max_versions < 1:
            raise ValueError("max_versions must be at least 1")
        self.client = client
        self.layout = Layout(root)
        self.max_versions = max_versions
        self.timeout = timeout
        self._task_dirs: set[str] = set()  # task parents known to exist (see put_tasks)
        self._taken: set[str] = set()      # request paths handed out and not done yet

    # ---- layout -------------------------------------------------------------------------------------

    @_translated
    def ensure_layout(self) -> None:
        """Creates the root and its directories if missing (idempotent; with the client's default ACL)."""
        for path in self.layout.dirs:
            self.client.retry(self.client.ensure_path, path)

    # ---- framework id -------------------------------------------------------------------------------

    @_translated
    def get_framework_id(self) -> str | None:
        try:
            data, _ = self.client.retry(self.client.get, self.layout.framework_id)
        except NoNodeError:
            return None
        return data.decode() or None

    @_translated
    def set_framework_id(self, framework_id: str) -> None:
        self._upsert(self.layout.framework_id, framework_id.encode())


__all__ = ["DEFAULT_EVENTS_KEPT", "DEFAULT_MAX_VERSIONS", "AppChange", "NodeWrite", "Store", "wait_all"]
