"""Balalaika's state in ZooKeeper: the one narrow module over kazoo, shared by framework/ and api/.

* `connect` opens a client (optionally with digest credentials and ACLs);
* `Store` reads and writes with compare-and-set and multi-op transactions;
* `Mirror` keeps a watch-fed, read-only copy in memory for fast reads;
* `Leadership` elects one scheduler and publishes who leads; `current_leader` reads that.

Paths are built only in `framework.store.layout`, which documents the tree.
"""

from framework.store.connection import connect, digest_acl
from framework.store.errors import Conflict, NotFound, StoreError
from framework.store.layout import DEFAULT_ROOT, Layout, decode_id, encode_id
from framework.store.leadership import Leadership, current_leader
from framework.store.mirror import Change, Mirror, Snapshot
from framework.store.store import (
    DEFAULT_EVENTS_KEPT,
    DEFAULT_MAX_VERSIONS,
    AppChange,
    NodeWrite,
    Store,
    wait_all,
)

__all__ = [
    "AppChange",
    "NodeWrite",
    "DEFAULT_EVENTS_KEPT",
    "DEFAULT_MAX_VERSIONS",
    "DEFAULT_ROOT",
    "Change",
    "Conflict",
    "Layout",
    "Leadership",
    "Mirror",
    "NotFound",
    "Snapshot",
    "Store",
    "StoreError",
    "connect",
    "current_leader",
    "decode_id",
    "digest_acl",
    "encode_id",
    "wait_all",
]
