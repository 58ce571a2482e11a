"""``root_group``: apps by id as Marathon's group JSON tree, rooted at ``/``.

Each group is ``{id, apps, groups, pods, dependencies, version}`` and nothing else: what Marathon up to 1.8
wrote, and all that strict clients (the PyPI ``marathon`` client builds its group objects from exactly these
members) accept. Intermediate groups exist only because an app lives under them, so they depend on nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework.model.app import marathon_view
from framework.model.paths import parent, segments


def root_group(apps: Mapping[str, Mapping[str, Any]], *, version: str | None) -> dict:
    """The group tree holding ``apps`` (app id -> normalized app), every group stamped ``version``."""
    children: dict[str, set[str]] = {}
    members: dict[str, list[str]] = {}  # group id -> its apps' ids, sorted
    for app_id in sorted(apps):
        parts = segments(app_id)
        members.setdefault("/" + "/".join(parts[:-1]), []).append(app_id)
        for depth in range(1, len(parts)):
            group_id = "/" + "/".join(parts[:depth])
            children.setdefault(parent(group_id), set()).add(group_id)

    def group(group_id: str) -> dict:
        return {
            "id": group_id,
            "apps": [marathon_view(dict(apps[app_id])) for app_id in members.get(group_id, ())],
            "groups": [group(child) for child in sorted(children.get(group_id, ()))],
            "pods": [],
            "dependencies": [],
            "version": version,
        }

    return group("/")
