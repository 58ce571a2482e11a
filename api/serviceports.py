"""Cluster-unique service ports for ``servicePort: 0`` / ``portDefinitions[].port: 0``, set at write time.

Why no two API replicas hand out the same port: each api worker *reserves* a block of ports at a time
(``BLOCK``) in one allocation record, ``<root>/service-ports`` (``{"blocks": [[owner, at, [ports]]]}``),
written with compare-and-set, and fills port-0 entries only from its own block: a reservation that loses
the compare-and-set re-reads the record (which now lists the winner's block) and picks again. A port
counts as taken while an app in the worker's mirror uses it or a block reserved in the last ``GRACE``
seconds holds it. A worker hands out a block's ports for ``LEASE`` seconds after reserving it and only
commits a write that got them before that lease ends (``PortPool.valid``); such a commit is applied within
the ZooKeeper session timeout or never (a staged big write commits after writing its parts: seconds later,
still well within ``GRACE - LEASE``). So by the time a block expires from the record (``GRACE`` after
it was reserved), every app given one of its ports is committed and shown in every mirror, which then
keeps the port taken. Older blocks are dropped from the record even while their apps exist: the record
holds recent reservations only, so its size does not grow with the number of apps.

Why blocks: the record used to be compare-and-set in the transaction of every port-assigning write, so
all such writes of all workers were serialized on it (a host-wide lock in turn, ``Turn``): with 4 clients
~70 % of a POST's time was the wait for that turn. Now only a reservation (one per ``BLOCK`` ports and
worker) takes the turn and writes the record. An explicitly given service port that the app did not have
yet is recorded the same way before its write (``PortPool.assign``), so that no worker reserves it
meanwhile; a worker holding it in its block already skips it once its mirror shows the app.
All api replicas must use this protocol: one that wrote per-port entries (``{"ports": ...}``) ignores blocks.
"""

from __future__ import annotations

import collections
import fcntl
import hashlib
import itertools
import json
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from kazoo.exceptions import KazooException, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from framework.model.ports import port_entries, service_port_key, service_ports
from framework.store import Change, Conflict, NotFound, StoreError
from framework.store.codec import encode
from framework.store.nodes import Nodes, Op

log = logging.getLogger(__name__)

BLOCK = 32  # ports reserved at once by a worker
LEASE = 30.0  # seconds a worker hands out a reserved block's ports
GRACE = 120.0  # seconds the record keeps a block: LEASE + the session timeout + the mirrors' lag, with margin
TURN_TIMEOUT = 10.0
RESERVE_SECONDS = 10.0  # a reservation that keeps losing the compare-and-set gives up (409) after this


class PortsExhausted(Exception):
    """No free service port left in the configured range."""


class Turn:
    """Mutual exclusion of this worker's threads and, when ``path`` is given, of every process on this host
    that locks the same file (the gunicorn workers of one replica): a thread lock, then ``flock``."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._path = path
        self._fd: int | None = None
        self._flocked = False  # guarded by _lock

    def __enter__(self) -> Turn:
        self._lock.acquire()
        if self._path is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
                self._flocked = self._flock_within(TURN_TIMEOUT)
            except OSError as error:  # only an optimization: the compare-and-set keeps ports unique
                log.warning("no host-wide turn for service ports (%s): %s", self._path, error)
                self._path = None
        return self

    def _flock_within(self, timeout: float) -> bool:
        """Takes the file lock, or gives up after `timeout` (a stuck holder must not stall every write)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    log.warning("service-port turn not granted within %.0fs; relying on compare-and-set", timeout)
                    return False
                time.sleep(0.005)

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._flocked and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                self._flocked = False
        finally:
            self._lock.release()


def turn_file(hosts: str, root: str) -> Path:
    """The lock file shared by the api processes of this host that write to the same state."""
    digest = hashlib.sha256(f"{hosts}|{root}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"balalaika-api-ports-{digest}.lock"


class PortPool:
    """This worker's block of reserved service ports, and the turn (``lock``) its reservations take."""

    def __init__(self, turn_path: Path | None = None) -> None:
        self.lock = Turn(turn_path)
        self._guard = threading.Lock()  # the block, between this worker's threads
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._free: list[int] = []
        self._until = 0.0  # wall-clock end of the block's lease
        # The mirror's apps' service ports, kept up to date from the app ids the mirror reports changed: a
        # scan of every app per write cost a third of a worker's CPU at 11,000 apps.
        self._changed_lock = threading.Lock()
        self._changed: set[str] | None = None  # None: (re)build from every app
        self._ports_of: dict[str, list[int]] = {}
        self._users: collections.Counter[int] = collections.Counter()

    def app_changed(self, change: Change) -> None:
        """The mirror's subscriber (its completion thread): an app was written or deleted."""
        if change.kind == "app":
            with self._changed_lock:
                if self._changed is not None:
                    self._changed.add(change.id)

    def _in_use(self, apps: Callable[[], Mapping[str, Mapping]]) -> collections.Counter[int]:
        """Under ``_guard``: how many of the mirror's apps use each service port. The changed ids are taken
        before the snapshot is, so a change applied meanwhile is looked at again next time."""
        with self._changed_lock:
            changed, self._changed = self._changed, set()
        existing = apps()
        if changed is None:
            self._ports_of.clear()
            self._users.clear()
        for app_id in existing.keys() if changed is None else changed:
            for port in self._ports_of.pop(app_id, ()):
                self._users[port] -= 1
                if not self._users[port]:
                    del self._users[port]
            app = existing.get(app_id)
            ports = [port for port in service_ports(app) if port] if app is not None else []
            if ports:
                self._ports_of[app_id] = ports
                self._users.update(ports)
        return self._users

    def assign(self, written: list[dict], explicit: set[int], apps: Callable[[], Mapping[str, Mapping]],
               nodes: Nodes, *, port_range: tuple[int, int]) -> float | None:
        """Fills every 0 service port of ``written`` (in place) from this worker's block, reserving a new
        block first when it runs short or its lease ended, and records ``explicit`` (ports given in the
        request that their app did not have) as reserved. Returns the time by which the write must be
        committed (the block's lease), None when nothing was taken. ``apps``: the mirror's current apps
        (with the ports they hold, an app being updated included: its kept ports stay its own). Raises
        PortsExhausted, Conflict (the record kept changing for RESERVE_SECONDS) or StoreError."""
        wanted = sum(1 for app in written for entry in port_entries(app) if not entry.get(service_port_key(app)))
        if not wanted and not explicit:
            return None
        with self._guard:
            used, own = self._in_use(apps), {port for app in written for port in service_ports(app) if port}

            def in_use(port: int) -> bool:
                return port in used or port in own

            if explicit:
                self._reserve(nodes, 0, 0, explicit, in_use, port_range)
                self._free = [port for port in self._free if port not in explicit]  # not for this worker's next write
            if not wanted:
                return None
            now = time.time()
            free = [port for port in self._free if not in_use(port)] if now < self._until else []
            if len(free) < wanted:
                self._reserve(nodes, max(BLOCK, wanted), wanted, set(), in_use, port_range)
                free = list(self._free)
            picks, self._free = free[:wanted], free[wanted:]
            fill(written, iter(picks))
            return self._until

    def valid(self, until: float | None) -> bool:
        """Whether a write whose ports were taken with lease ``until`` may still be committed."""
        return until is None or time.time() < until

    def _reserve(self, nodes: Nodes, count: int, minimum: int, fixed: set[int], in_use: Callable[[int], bool],
                 port_range: tuple[int, int]) -> None:
        """Under ``_guard``, and the host's turn: records ``fixed`` and up to ``count`` more free ports (at
        least ``minimum``, else PortsExhausted with nothing written) as reserved by this worker, the latter
        becoming its block, with compare-and-set on the record."""
        path = nodes.layout.service_ports
        deadline = time.monotonic() + RESERVE_SECONDS
        with self.lock:
            while True:
                now = time.time()
                data, version = _read(nodes, path)
                blocks = [block for block in parse_record(data)["blocks"] if now - float(block[1]) < GRACE]
                taken = fixed | {port for block in blocks for port in block[2]}
                low, high = port_range
                picks = list(itertools.islice((port for port in range(low, high + 1)
                                               if port not in taken and not in_use(port)), count))
                if len(picks) < minimum:
                    raise PortsExhausted(f"no {minimum} free service ports in {low}-{high}")
                blocks.append([self._owner, now, sorted(fixed) + picks])
                record = encode({"blocks": blocks}, what="service ports")
                try:
                    nodes.commit_ops([Op("create", path, "service-port record", record) if version is None else
                                      Op("set", path, "service-port record", record, version)])
                except (Conflict, NotFound):
                    if time.monotonic() > deadline:
                        raise
                    log.info("service-port reservation lost a compare-and-set; retrying")
                    continue
                if count:
                    self._free, self._until = picks, now + LEASE
                return


def _read(nodes: Nodes, path: str) -> tuple[bytes, int | None]:
    """The record's bytes and znode version (None: no node yet), waiting at most the store's timeout.
    Raises StoreError."""
    try:
        data, stat = nodes.client.get_async(path).get(timeout=nodes.timeout)
    except NoNodeError:
        return b"", None
    except (KazooException, KazooTimeoutError) as error:
        raise StoreError(f"reading the service-port record: ZooKeeper unavailable ({type(error).__name__})") from error
    return data, stat.version


def parse_record(data: bytes | None) -> dict:
    """The allocation record from its node's data (empty or unreadable: no reservations)."""
    try:
        record = json.loads(data or b"{}")
    except ValueError:
        record = {}
    if not isinstance(record, dict) or not isinstance(record.get("blocks"), list):
        record = {"blocks": []}
    return record


def fill(written: list[dict], ports: Iterator[int]) -> None:
    """Sets every 0 service port of ``written`` (in place) to the next of ``ports``. Raises PortsExhausted."""
    for app in written:
        key = service_port_key(app)
        for entry in port_entries(app):
            if not entry.get(key):
                try:
                    entry[key] = next(ports)
                except StopIteration:
                    raise PortsExhausted("not enough service ports reserved") from None


def keep_existing(app: dict, before: Mapping | None) -> None:
    """An update that says port 0 keeps the port the app already had at that index (stable for balancers)."""
    key = service_port_key(app)
    if before is None or key != service_port_key(before):
        return
    for entry, old in zip(port_entries(app), service_ports(before), strict=False):
        if not entry.get(key) and old:
            entry[key] = old
