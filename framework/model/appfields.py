"""Reading a canonical app's resources, container, roles and constraints for matching and task building.

Defaults come from ``defaults.py`` (an app dict built by hand, as tests do, may leave a resource out); the
network mode and the ports are ``ports.py``'s questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework.model import defaults

# The scalar resources of a task and Marathon's default amount of each.
RESOURCE_DEFAULTS = {"cpus": defaults.CPUS, "mem": defaults.MEM, "disk": defaults.DISK, "gpus": defaults.GPUS}


def app_id(app: Mapping[str, Any]) -> str:
    return str(app.get("id", ""))


def resource(app: Mapping[str, Any], name: str) -> float:
    """The amount of scalar resource ``name`` (cpus, mem, disk, gpus) each task of the app needs."""
    value = app.get(name)
    return float(RESOURCE_DEFAULTS[name] if value is None else value)


def container(app: Mapping[str, Any]) -> Mapping[str, Any]:
    return app.get("container") or {}


def docker(app: Mapping[str, Any]) -> Mapping[str, Any]:
    return container(app).get("docker") or {}


def docker_image(app: Mapping[str, Any]) -> str | None:
    return docker(app).get("image") or None


def accepted_roles(app: Mapping[str, Any]) -> frozenset[str] | None:
    """Roles whose resources the app may use; None = any role (Marathon's default without the field)."""
    roles = app.get("acceptedResourceRoles")
    return frozenset(roles) if roles else None


def constraints(app: Mapping[str, Any]) -> list[list[str]]:
    return [list(c) for c in app.get("constraints") or []]
