"""Which apps' health checks are watched, for Marathon's ``add_health_check_event`` and
``remove_health_check_event``.

Marathon watches the checks of every app version that is current or still has instances, announcing a
check when its version becomes active and dropping it when the version is neither current nor running
any more (a finished rolling restart, a deleted app). Mesos runs our checks, so nothing else depends on
this bookkeeping: it exists for listeners of those two events. A new leader starts with nothing watched
and so announces every current check again, as Marathon's health check reconciliation does at election.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from framework.scheduler import events

Key = tuple[str, str]  # (app id, app version)


def changes(active: Mapping[Key, list[dict]], apps: Mapping[str, Mapping[str, Any]],
            running: Iterable[Key]) -> tuple[dict[Key, list[dict]], list[dict]]:
    """The checks watched from now on and the events announcing the difference. ``active``: the checks
    watched so far; ``apps``: the current definitions; ``running``: (app id, version) of every known task."""
    current = {(app_id, str(app.get("version"))): list(app.get("healthChecks") or [])
               for app_id, app in apps.items() if app.get("healthChecks")}
    alive = set(running)
    kept = {key: checks for key, checks in active.items() if key in current or key in alive}
    out: list[dict] = []
    for (app_id, version), checks in sorted(current.items()):
        if (app_id, version) not in active:
            out += [events.add_health_check(app_id, version, check) for check in checks]
            kept[(app_id, version)] = checks
    for (app_id, _version), checks in sorted(active.items()):
        if (app_id, _version) not in kept:
            out += [events.remove_health_check(app_id) for _ in checks]
    return kept, out


class WatchedHealthChecks:
    """Owns the checks announced so far (used on the loop's thread)."""

    def __init__(self) -> None:
        self._active: dict[Key, list[dict]] = {}

    def update(self, apps: Mapping[str, Mapping[str, Any]], running: Iterable[Key]) -> list[dict]:
        """The add/remove events since the last call."""
        self._active, out = changes(self._active, apps, running)
        return out
