"""How a PUT/PATCH body combines with the stored app (Marathon's partial-update semantics).

A partial update replaces only the top-level members the body names. Because the stored app is in
canonical form, a body using a legacy spelling (``ports``, ``uris``, ``ipAddress``,
``container.docker.network``/``portMappings``) must first remove the canonical members it supersedes,
or validation would see both spellings at once.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

# legacy member in a body -> canonical members of the stored app it replaces
SUPERSEDES = {
    "ports": ("portDefinitions",),
    "portDefinitions": ("portDefinitions",),
    "uris": ("fetch",),
    "ipAddress": ("networks",),
    "networks": ("networks",),
}
GENERATED = ("version", "versionInfo")


def merge(current: Mapping, body: Mapping, app_id: str) -> dict:
    """The raw definition of ``current`` updated by ``body`` (both JSON objects), id forced to ``app_id``."""
    merged = {key: copy.deepcopy(value) for key, value in current.items() if key not in GENERATED}
    for key in body:
        for superseded in SUPERSEDES.get(key, ()):
            merged.pop(superseded, None)
    container = body.get("container")
    if isinstance(container, Mapping) and isinstance(container.get("docker"), Mapping):
        docker = container["docker"]
        if "network" in docker:
            merged.pop("networks", None)
            merged.pop("portDefinitions", None)
    for key, value in body.items():
        if key not in GENERATED:
            merged[key] = copy.deepcopy(value)
    merged["id"] = app_id
    return merged


def without_generated(body: Mapping) -> dict:
    """A full replacement: the body alone, minus what the server generates."""
    return {key: copy.deepcopy(value) for key, value in body.items() if key not in GENERATED}


def is_rollback(body: Mapping) -> bool:
    """``{"version": "..."}`` alone (besides the id) asks to go back to a stored version."""
    return "version" in body and set(body) <= {"version", "id"}
