"""Balalaika's state in ZooKeeper: the one narrow module over kazoo, shared by framework/ and api/.

* `connect` opens a client (optionally with digest credentials and ACLs);
* `Store` reads and writes with compare-and-set and multi-op transactions, through one component per part
  of the tree (`store.apps`, `store.tasks`, `store.deployments`, ...: framework.store.store lists them);
* `Mirror` keeps a watch-fed, read-only copy in memory for fast reads;
* `Leadership` elects one scheduler and publishes who leads; `current_leader` reads that.

Paths are built only in `framework.store.layout`, which documents the tree.
"""

from framework.store.apps import DEFAULT_MAX_VERSIONS, AppChange, AppStore
from framework.store.audit import DEFAULT_AUDIT_KEPT, AuditStore
from framework.store.connection import connect, digest_acl
from framework.store.deployments import DeploymentStore
from framework.store.errors import Conflict, NotFound, StoreError
from framework.store.groups import GroupStore
from framework.store.layout import DEFAULT_ROOT, Layout, decode_id, encode_id
from framework.store.leadership import Leadership, current_leader
from framework.store.messages import DEFAULT_EVENTS_KEPT, EventStore, FailureStore, QueueStore, RequestStore
from framework.store.mirror import Change, Mirror, PlanNode, Snapshot
from framework.store.nodes import Nodes, wait_all
from framework.store.store import Store
from framework.store.tasks import TaskStore

__all__ = [
    "AppChange",
    "AppStore",
    "AuditStore",
    "Change",
    "Conflict",
    "DEFAULT_AUDIT_KEPT",
    "DEFAULT_EVENTS_KEPT",
    "DEFAULT_MAX_VERSIONS",
    "DEFAULT_ROOT",
    "DeploymentStore",
    "EventStore",
    "FailureStore",
    "GroupStore",
    "Layout",
    "Leadership",
    "Mirror",
    "Nodes",
    "NotFound",
    "PlanNode",
    "QueueStore",
    "RequestStore",
    "Snapshot",
    "Store",
    "StoreError",
    "TaskStore",
    "connect",
    "current_leader",
    "decode_id",
    "digest_acl",
    "encode_id",
    "wait_all",
]
