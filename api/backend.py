"""Per-worker access to ZooKeeper: one kazoo client, one Store for writes, one watch-fed Mirror for reads.

gunicorn forks workers from a master; a kazoo client (its threads and socket) must not cross a fork, so
the connection is made lazily by the first request of each process (checked by pid) and never at import
time or in the master. Reads are served from the Mirror's in-memory snapshot; after a write we wait
(briefly, bounded) for the Mirror to show it, so a client reading right after its own write sees it.

While ZooKeeper is unreachable the mirror keeps serving its last view, but whatever needs ZooKeeper
itself (every write) is refused with 503 at once when the client knows the connection is down, and after
`write_timeout` when it does not know yet (a frozen server is noticed only after 2/3 of the session
timeout): a client gets a clear answer within 2 s instead of a request hung for the outage.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app

from api import serviceports
from api.errors import ApiError
from framework.store import Mirror, Snapshot, Store, StoreError, connect
from framework.store.connection import is_connected

log = logging.getLogger(__name__)


class Backend:
    """The store and mirror of this process, (re)created after a fork."""

    def __init__(self, hosts: str, root: str, *, timeout: float = 10.0, auth: tuple[str, str] | None = None,
                 visible_timeout: float = 2.0, load_timeout: float = 60.0, host_turn: bool = True,
                 write_timeout: float = 1.5) -> None:
        self.hosts = hosts
        self.root = root
        self.timeout = timeout
        self.auth = auth
        self.visible_timeout = visible_timeout
        self.host_turn = host_turn  # service-port reservations of this host's workers take turns (serviceports.Turn)
        self.load_timeout = load_timeout  # the mirror's first load: ~11,000 nodes take seconds on a busy host
        self.write_timeout = write_timeout  # the longest wait for one ZooKeeper answer (UNAVAILABLE above it)
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._pid: int | None = None
        self._client = None
        self._store: Store | None = None
        self._mirror: Mirror | None = None
        self.generation = 0
        self.service_ports = serviceports.PortPool()

    def _ensure(self) -> None:
        if self._pid == os.getpid() and self._mirror is not None:
            return
        with self._lock:
            if self._pid == os.getpid() and self._mirror is not None:
                return
            try:
                client = connect(self.hosts, timeout=self.timeout, auth=self.auth, wait_timeout=self.write_timeout)
            except StoreError as error:
                log.error("ZooKeeper unavailable: %s", error)
                raise ApiError(503, "ZooKeeper is not reachable") from None
            store = Store(client, self.root, timeout=self.write_timeout)
            mirror = Mirror(client, self.root)
            mirror.subscribe(self._on_change)
            try:
                mirror.start(self.load_timeout)
            except StoreError as error:  # give up this client: a later request starts over
                mirror.stop()
                client.stop()
                client.close()
                log.error("could not load the state from ZooKeeper: %s", error)
                raise ApiError(503, "Could not load the state from ZooKeeper") from None
            self._client, self._store, self._mirror = client, store, mirror
            # nothing of a parent process carries over (the lock file is opened again by each worker)
            self.service_ports = serviceports.PortPool(
                serviceports.turn_file(self.hosts, self.root) if self.host_turn else None)
            mirror.subscribe(self.service_ports.app_changed)
            self._pid = os.getpid()
            log.info("worker %s connected to ZooKeeper %s%s", self._pid, self.hosts, self.root)

    def _on_change(self, *_args: object) -> None:
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    @property
    def store(self) -> Store:
        """The store, for what must reach ZooKeeper itself; 503 at once while the connection is down."""
        self._ensure()
        assert self._store is not None and self._client is not None
        if not is_connected(self._client):
            raise unavailable()
        return self._store

    @property
    def mirror(self) -> Mirror:
        self._ensure()
        assert self._mirror is not None
        return self._mirror

    def snapshot(self) -> Snapshot:
        """The mirror's current view: apps, groups, tasks, deployments, queue, leader, framework_id."""
        return self.mirror.snapshot()

    def wait_visible(self, predicate: Callable[[Snapshot], bool], timeout: float | None = None) -> bool:
        """Waits until the mirror's snapshot satisfies ``predicate`` (read-your-writes); False on timeout."""
        deadline = time.monotonic() + (self.visible_timeout if timeout is None else timeout)
        while True:
            if predicate(self.snapshot()):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                self._changed.wait(min(remaining, 0.05))

    def close(self) -> None:
        """Stops the mirror and the client of this process (tests; workers just exit)."""
        with self._lock:
            mirror, client = self._mirror, self._client
            self._mirror = self._store = self._client = None
            self._pid = None
        if mirror is not None:
            mirror.stop()
        if client is not None:
            client.stop()
            client.close()


def unavailable() -> ApiError:
    """The 503 of a request that needs ZooKeeper while it cannot be reached (nothing was written)."""
    return ApiError(503, "ZooKeeper is not reachable: the change was not made; please retry later")


def init_backend(app: Flask) -> None:
    """Puts the backend of app.config (BACKEND, or one for ZK_HOSTS/ZK_ROOT) into app.extensions."""
    backend = app.config.get("BACKEND")
    if backend is None and app.config.get("ZK_HOSTS"):
        backend = Backend(app.config["ZK_HOSTS"], app.config["ZK_ROOT"],
                          visible_timeout=float(app.config["WRITE_VISIBLE_TIMEOUT"]),
                          write_timeout=float(app.config.get("ZK_WRITE_TIMEOUT", 1.5)),
                          host_turn=bool(app.config["SERVICE_PORTS_HOST_TURN"]))
    app.extensions["balalaika.backend"] = backend


def backend() -> Backend:
    """The backend of the current app; 503 when none is configured."""
    found = current_app.extensions.get("balalaika.backend")
    if found is None:
        raise ApiError(503, "No ZooKeeper configured (set BALALAIKA_ZK or --zk)")
    return found
