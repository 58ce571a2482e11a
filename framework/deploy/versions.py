"""App versions: is a save a new configuration or only a scaling, and the version stamps that follow.

Marathon gives every save of an app a new ``version`` (the time of the save) and keeps two stamps in
``versionInfo``: ``lastScalingAt`` (every save) and ``lastConfigChangeAt`` (only saves that change what
runs). A save that changes nothing but ``instances`` is a scaling: its tasks keep counting as the current
configuration (``taskstate.is_current``) and its deployment scales rather than restarts (``plan``). The
api stamps what it writes with `stamped`; the planner and the tests ask `is_config_change`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework.timeutil import format_ts

App = Mapping[str, Any]

# Members that change with every save without changing what runs.
NOT_CONFIG = ("instances", "version", "versionInfo")


def is_config_change(before: App | None, after: App) -> bool:
    """True when ``after`` runs something other than ``before``: a new app (``before`` None), or any member
    besides ``instances``, ``version`` and ``versionInfo`` differs. False for only a scaling, or no change."""
    if before is None:
        return True
    return _config(before) != _config(after)


def stamped(app: App, before: App | None, now: float, *, restart: bool = False) -> dict:
    """A copy of ``app`` saved at ``now`` (epoch seconds) over ``before`` (None for a new app), with
    Marathon's ``version`` and ``versionInfo``.

    A scaling keeps ``before``'s ``lastConfigChangeAt`` (its ``version`` when it has no versionInfo);
    a config change, a new app, or ``restart`` (a forced new configuration) sets it to ``now``.
    """
    version = format_ts(now)
    changed_at = version
    if before is not None and not restart and not is_config_change(before, app):
        changed_at = (before.get("versionInfo") or {}).get("lastConfigChangeAt", before.get("version", version))
    return {**app, "version": version, "versionInfo": {"lastScalingAt": version, "lastConfigChangeAt": changed_at}}


def _config(app: App) -> dict:
    return {key: value for key, value in app.items() if key not in NOT_CONFIG}
