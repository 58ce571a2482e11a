"""The Services table: rows for the apps and groups directly in one group, or for every app matching a filter.

Pure: takes the JSON of /v2/apps (with counts and deployments), the group ids of /v2/groups and the
/v2/queue entries by app id, and returns rows. Resources are totals for the target instances (what the
app or group asks of the cluster), as a group row could show nothing else meaningful.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from api.ui.status import app_status, group_status


@dataclass(frozen=True)
class Row:
    kind: str  # "app" or "group"
    id: str
    name: str  # the id relative to the group shown (the whole id in a filtered list)
    status: str | None
    running: int
    target: int
    healthy: int | None  # None: no health checks, so "healthy" means nothing (not 0 healthy)
    unhealthy: int
    cpus: float
    mem: float
    disk: float
    last_change: str | None
    apps: int = 1  # apps counted in the row (a group's, nested ones included)


def parent_of(item_id: str) -> str:
    """``/a/b/c`` → ``/a/b``; ``/a`` → ``/``."""
    head = item_id.rstrip("/").rsplit("/", 1)[0]
    return head or "/"


def group_ids(root_group: Mapping) -> set[str]:
    """Every group id under /v2/groups' root (nested ``groups``), the root left out."""
    found: set[str] = set()
    pending = list(root_group.get("groups") or [])
    while pending:
        group = pending.pop()
        found.add(group["id"])
        pending.extend(group.get("groups") or [])
    return found


def last_change(app: Mapping) -> str | None:
    info = app.get("versionInfo") or {}
    return info.get("lastConfigChangeAt") or info.get("lastScalingAt") or app.get("version")


def app_row(app: Mapping, queue_entry: Mapping | None, now: float, name: str) -> Row:
    instances = int(app.get("instances", 0))
    return Row("app", app["id"], name, app_status(app, queue_entry, now), int(app.get("tasksRunning", 0)),
               instances, int(app.get("tasksHealthy", 0)) if app.get("healthChecks") else None,
               int(app.get("tasksUnhealthy", 0)),
               float(app.get("cpus", 0)) * instances, float(app.get("mem", 0)) * instances,
               float(app.get("disk", 0)) * instances, last_change(app))


def group_row(group_id: str, name: str, members: list[Row]) -> Row:
    changes = [row.last_change for row in members if row.last_change]
    checked = [row.healthy for row in members if row.healthy is not None]
    return Row("group", group_id, name, group_status(row.status for row in members if row.status),
               sum(r.running for r in members), sum(r.target for r in members), sum(checked) if checked else None,
               sum(r.unhealthy for r in members), sum(r.cpus for r in members), sum(r.mem for r in members),
               sum(r.disk for r in members), max(changes) if changes else None, len(members))


def rows(apps: Iterable[Mapping], groups: Iterable[str], queue: Mapping[str, Mapping], now: float,
         group: str = "/", text: str = "") -> list[Row]:
    """Groups first, then apps, each sorted by id. With ``text``: every app whose id contains it, anywhere."""
    base = group.rstrip("/") + "/"
    all_apps = [app_row(app, queue.get(app["id"]), now, app["id"]) for app in apps]
    if text:
        needle = text.lower()
        return sorted((row for row in all_apps if needle in row.id.lower()), key=lambda row: row.id)
    children: dict[str, list[Row]] = {}
    direct: list[Row] = []
    for row in all_apps:
        if not row.id.startswith(base):
            continue
        rest = row.id[len(base):]
        if "/" in rest:
            children.setdefault(base + rest.split("/", 1)[0], []).append(row)
        else:
            direct.append(Row(**{**vars(row), "name": rest}))
    for group_id in groups:
        if group_id.startswith(base) and group_id != base.rstrip("/"):
            children.setdefault(base + group_id[len(base):].split("/", 1)[0], [])
    made = [group_row(group_id, group_id[len(base):], members) for group_id, members in sorted(children.items())]
    return made + sorted(direct, key=lambda row: row.id)


def breadcrumbs(group: str) -> list[tuple[str, str]]:
    """``(label, group id)`` from the root down to ``group``."""
    out = [("All services", "/")]
    path = ""
    for part in [p for p in group.split("/") if p]:
        path += "/" + part
        out.append((part, path))
    return out
