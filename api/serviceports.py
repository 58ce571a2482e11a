"""Cluster-unique service ports for ``servicePort: 0`` / ``portDefinitions[].port: 0``, set at write time.

Why no two API replicas hand out the same port: every write that sets service ports also rewrites one
allocation record (``<root>/service-ports``, ``{"ports": {"10001": ["/app", epoch]}}``) with
compare-and-set, in the same ZooKeeper transaction as the apps (``store.apps.commit``). Two replicas racing
read the same record version; the first commit wins and the second fails with Conflict, re-reads the
record (which now lists the winner's ports, even if its mirror has not seen the new app yet) and picks
again (from a deep copy of the requested definition: the lost attempt's picks are not kept). Within one
host such writes take turns (``Turn``: a thread lock, then ``flock`` on a file shared by the api workers
of that host) instead of racing, and the next one starts from the record its worker just wrote when that
is newer than what it read, so only writes of other hosts make it retry. A port counts as taken while an
app in the mirror uses it, or while the record says it was allocated in the last ``GRACE`` seconds
(covering apps the mirror has not shown yet). Older entries are dropped even while their app exists,
because by then every mirror shows that app with its ports: the record holds recent allocations only, so
its size (read, parsed and rewritten by every such write) does not grow with the number of apps.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from framework.model.ports import port_entries, service_port_key, service_ports

log = logging.getLogger(__name__)

GRACE = 120.0


TURN_TIMEOUT = 10.0


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


class RecordCache:
    """This worker's newest known allocation record, and the lock its port-assigning writes hold from
    choosing ports until their commit returns (they all compare-and-set the one record)."""

    def __init__(self, turn_path: Path | None = None) -> None:
        self.lock = Turn(turn_path)
        self._record: dict | None = None
        self._version = -1
        self._app_ports: dict[str, tuple[Mapping, list[int]]] = {}

    def taken(self, existing: Mapping[str, Mapping]) -> dict[str, list[int]]:
        """Under the lock: the service ports of every app in ``existing`` (the mirror's), recomputed only for
        apps whose dict changed (the mirror replaces a changed app's dict and shares unchanged ones)."""
        cache = self._app_ports
        for app_id in cache.keys() - existing.keys():
            del cache[app_id]
        out = {}
        for app_id, app in existing.items():
            known = cache.get(app_id)
            if known is None or known[0] is not app:
                known = cache[app_id] = (app, [port for port in service_ports(app) if port])
            out[app_id] = known[1]
        return out

    def newest(self, record: dict, version: int | None) -> tuple[dict, int | None]:
        """Under the lock: the record as read (``version`` None: no node yet), or the one this worker
        committed since, if newer. A stale choice is harmless: the compare-and-set fails and we re-read."""
        if self._record is not None and self._version > (-1 if version is None else version):
            return self._record, self._version
        return record, version

    def written(self, record: dict, expected_version: int | None) -> None:
        """Under the lock, after a successful commit of ``record`` over ``expected_version``."""
        self._record = record
        self._version = 0 if expected_version is None else expected_version + 1


def parse_record(data: bytes | None) -> dict:
    """The allocation record from its node's data (empty or unreadable: no allocations)."""
    try:
        record = json.loads(data or b"{}")
    except ValueError:
        record = {}
    if not isinstance(record, dict):
        record = {}
    record.setdefault("ports", {})
    return record


def needs_assignment(apps: Iterable[Mapping]) -> bool:
    return any(0 in service_ports(app) for app in apps)


def assign(written: list[dict], deleted: Iterable[str], existing: Mapping[str, Mapping], record: dict,
           *, now: float, port_range: tuple[int, int], in_use: Mapping[str, list[int]] | None = None) -> dict:
    """Fills every 0 service port of ``written`` (in place) and returns the new record.

    ``existing``: all apps as the mirror sees them; ``in_use``: their non-zero service ports by app id if
    already known (``RecordCache.taken``). Raises PortsExhausted.
    """
    writing = {app["id"] for app in written}
    if in_use is None:
        in_use = {app_id: [p for p in service_ports(app) if p] for app_id, app in existing.items()}
    taken: set[int] = set()
    for app_id, used in in_use.items():
        if app_id not in writing:
            taken.update(used)
    ports = dict(record.get("ports", {}))
    gone = set(deleted)
    for port, (owner, at) in list(ports.items()):
        if owner in gone or owner in writing or now - float(at) >= GRACE:
            del ports[port]
        else:
            taken.add(int(port))
    for app in written:
        taken.update(p for p in service_ports(app) if p)
    low, high = port_range
    candidates = (port for port in range(low, high + 1) if port not in taken)
    for app in written:
        key = service_port_key(app)
        for entry in port_entries(app):
            if not entry.get(key):
                try:
                    entry[key] = next(candidates)
                except StopIteration:
                    raise PortsExhausted(f"no free service port in {low}-{high}") from None
                taken.add(entry[key])
        for port in service_ports(app):
            ports[str(port)] = [app["id"], now]
    return {"ports": ports}


def keep_existing(app: dict, before: Mapping | None) -> None:
    """An update that says port 0 keeps the port the app already had at that index (stable for balancers)."""
    key = service_port_key(app)
    if before is None or key != service_port_key(before):
        return
    for entry, old in zip(port_entries(app), service_ports(before), strict=False):
        if not entry.get(key) and old:
            entry[key] = old
