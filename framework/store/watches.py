"""ZooKeeper 3.6+ persistent recursive watches on kazoo, which (2.11) has no call for them.

A one-shot watch per node (or a children watch per directory) makes a follower re-read after every change:
with a children watch on `apps/`, each new app cost every mirror a listing of all apps, O(apps) per write. A
persistent recursive watch on a directory (`addWatch`, mode PERSISTENT_RECURSIVE) stays armed and reports
every node created, changed or deleted below it with that node's path, so the follower reads just that node.

kazoo looks a notification's path up in its one-shot watcher tables and drops it when nothing is there; so
`add_recursive_watch` wraps the client's connection once to hand each notification also to the watchers
whose path is an ancestor (or the path itself). They are called on kazoo's *completion* thread, the one that
runs the callbacks linked to request answers: both are queued by the connection thread in the order
ZooKeeper sent them, so a watcher and an answer callback linked before its request went out observe one
order — the order of ZooKeeper's stream, in which a notification comes before any answer showing its change.

The server forgets these watches when the connection drops (kazoo re-arms only its own kinds): a follower
adds them again after every reconnection, before it re-reads, as the Mirror does.
"""

from __future__ import annotations

import functools
import struct
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from kazoo.client import KazooClient
from kazoo.interfaces import IAsyncResult
from kazoo.protocol.serialization import Watch, write_string
from kazoo.protocol.states import EVENT_TYPE_MAP, WatchedEvent

ADD_WATCH = 106
PERSISTENT_RECURSIVE = 1
REMOVE_WATCHES = 18
# ZooKeeper 3.8 refuses the persistent kinds in removeWatches ("Invalid integer value for conversion to
# WatcherType"); ANY removes every watch of the session on exactly that path, a persistent recursive one too.
ANY_WATCHER = 3
_INT = struct.Struct("!i")

Watcher = Callable[[WatchedEvent], None]


class _WatchRequest(NamedTuple):
    """addWatch (`value`: the mode) or removeWatches (`value`: the watcher type): a path and an int."""

    type: int
    path: str
    value: int

    def serialize(self) -> bytes:
        return write_string(self.path) + _INT.pack(self.value)

    def deserialize(self, buffer: bytes, offset: int) -> bool:
        return True  # the answer carries only an error code, already checked by kazoo


def _send(client: KazooClient, request: _WatchRequest) -> IAsyncResult:
    result = client.handler.async_result()
    client._call(request, result)
    return result


class _Registry:
    """The persistent watchers of one client by wire path (chroot included), and the connection hook."""

    def __init__(self, client: KazooClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._watchers: dict[str, tuple[Watcher, ...]] = {}
        connection = client._connection  # kazoo internals: see the module docstring
        self._original = connection._read_watch_event
        connection._read_watch_event = self._read_watch_event

    def add(self, path: str, watcher: Watcher) -> None:
        with self._lock:
            known = self._watchers.get(path, ())
            if watcher not in known:
                self._watchers[path] = (*known, watcher)

    def remove(self, path: str, watcher: Watcher) -> None:
        with self._lock:
            left = tuple(w for w in self._watchers.get(path, ()) if w != watcher)
            if left:
                self._watchers[path] = left
            else:
                self._watchers.pop(path, None)

    def _read_watch_event(self, buffer: bytes, offset: int) -> Any:
        """The connection thread: queue the persistent watchers of this notification, then let kazoo
        dispatch its own one-shot ones."""
        watch, _ = Watch.deserialize(buffer, offset)
        client = self._client
        kind = EVENT_TYPE_MAP.get(watch.type)
        if kind is not None and not client._stopped.is_set():
            matching = [watcher for path, watchers in self._watchers.items()
                        if watch.path == path or watch.path.startswith(path.rstrip("/") + "/")
                        for watcher in watchers]
            if matching:
                event = WatchedEvent(kind, client._state, client.unchroot(watch.path))
                for watcher in matching:
                    client.handler.completion_queue.put(functools.partial(watcher, event))
        return self._original(buffer, offset)


_registering = threading.Lock()


def _registry(client: KazooClient) -> _Registry:
    """The client's registry, made (and its connection hooked) on first use; kept on the client itself."""
    with _registering:
        registry = getattr(client, "_persistent_watch_registry", None)
        if registry is None:
            registry = _Registry(client)
            client._persistent_watch_registry = registry  # type: ignore[attr-defined]
        return registry


def add_recursive_watch(client: KazooClient, path: str, watcher: Watcher) -> IAsyncResult:
    """Arms a persistent recursive watch on `path` (which need not exist) and registers `watcher` for every
    node created, changed or deleted at or below it; idempotent per (path, watcher). The result fails with
    the kazoo error if the server refused (older than 3.6: UnimplementedError)."""
    wire = (client.chroot or "") + path
    _registry(client).add(wire, watcher)
    return _send(client, _WatchRequest(ADD_WATCH, wire, PERSISTENT_RECURSIVE))


def remove_recursive_watch(client: KazooClient, path: str, watcher: Watcher) -> IAsyncResult:
    """Stops calling `watcher` for `path` and asks the server to stop notifying this session of changes at
    `path` and below (it drops every watch of the session on `path` itself: keep other watches off it). The
    result fails with NoWatcherError when the server had none (a reconnection dropped it already)."""
    wire = (client.chroot or "") + path
    _registry(client).remove(wire, watcher)
    return _send(client, _WatchRequest(REMOVE_WATCHES, wire, ANY_WATCHER))


def forget_recursive_watch(client: KazooClient, path: str, watcher: Watcher) -> None:
    """Stops calling `watcher` for `path` (the server keeps sending the notifications until the connection
    closes; they are dropped here)."""
    _registry(client).remove((client.chroot or "") + path, watcher)
