"""Cluster-unique service ports for ``servicePort: 0`` / ``portDefinitions[].port: 0``, assigned at write time.

Why no two API replicas hand out the same port: every write that sets service ports also rewrites one
allocation record (``<root>/service-ports``, ``{"ports": {"10001": ["/app", epoch]}}``) with
compare-and-set, in the same ZooKeeper transaction as the apps (``Store.commit``). Two replicas
racing read the same record version; the first commit wins and the second fails with Conflict, re-reads
the record (which now lists the winner's ports, even if its mirror has not seen the new app yet) and
picks again. A port counts as taken while an app in the mirror uses it, or while the record says it
was allocated in the last ``GRACE`` seconds (covering apps the mirror has not shown yet); records of
deleted apps thus expire on their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from kazoo.exceptions import NoNodeError

from framework.model import network_mode
from framework.store import Store

GRACE = 120.0


class PortsExhausted(Exception):
    """No free service port left in the configured range."""


def read_record(store: Store) -> tuple[dict, int | None]:
    """The allocation record and its znode version (None: not created yet)."""
    try:
        data, stat = store.client.get(store.layout.service_ports)
    except NoNodeError:
        return {"ports": {}}, None
    try:
        record = json.loads(data or b"{}")
    except ValueError:
        record = {}
    record.setdefault("ports", {})
    return record, stat.version


def entries(app: Mapping) -> list[dict]:
    """The app's mutable port entries: portDefinitions (host networking) or container.portMappings."""
    if network_mode(app) == "HOST":
        return list(app.get("portDefinitions") or [])
    return list((app.get("container") or {}).get("portMappings") or [])


def _key(app: Mapping) -> str:
    return "port" if network_mode(app) == "HOST" else "servicePort"


def ports_of(app: Mapping) -> list[int]:
    key = _key(app)
    return [int(entry.get(key) or 0) for entry in entries(app)]


def needs_assignment(apps: Iterable[Mapping]) -> bool:
    return any(0 in ports_of(app) for app in apps)


def assign(written: list[dict], deleted: Iterable[str], existing: Mapping[str, Mapping], record: dict,
           *, now: float, port_range: tuple[int, int]) -> dict:
    """Fills every 0 service port of ``written`` (in place) and returns the new record.

    ``existing``: all apps as the mirror sees them. Raises PortsExhausted.
    """
    writing = {app["id"] for app in written}
    taken: set[int] = set()
    for app_id, app in existing.items():
        if app_id not in writing:
            taken.update(p for p in ports_of(app) if p)
    ports = dict(record.get("ports", {}))
    gone = set(deleted)
    for port, (owner, at) in list(ports.items()):
        if owner in gone or owner in writing or not (owner in existing or now - float(at) < GRACE):
            del ports[port]
        else:
            taken.add(int(port))
    for app in written:
        taken.update(p for p in ports_of(app) if p)
    low, high = port_range
    candidates = (port for port in range(low, high + 1) if port not in taken)
    for app in written:
        key = _key(app)
        for entry in entries(app):
            if not entry.get(key):
                try:
                    entry[key] = next(candidates)
                except StopIteration:
                    raise PortsExhausted(f"no free service port in {low}-{high}") from None
                taken.add(entry[key])
        for port in ports_of(app):
            ports[str(port)] = [app["id"], now]
    return {"ports": ports}


def keep_existing(app: dict, before: Mapping | None) -> None:
    """An update that says port 0 keeps the port the app already had at that index (stable for balancers)."""
    if before is None or _key(app) != _key(before):
        return
    key = _key(app)
    for entry, old in zip(entries(app), ports_of(before), strict=False):
        if not entry.get(key) and old:
            entry[key] = old
