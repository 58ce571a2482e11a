"""Factories for offers and apps in the shapes matching consumes (v1 offer dicts, normalized apps)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def build_offer(
    i: int = 0,
    *,
    cpus: float = 4.0,
    mem: float = 4096.0,
    disk: float = 10000.0,
    gpus: float = 0.0,
    ports: tuple[tuple[int, int], ...] = ((31000, 32000),),
    attributes: dict[str, str] | None = None,
    role: str = "*",
    hostname: str | None = None,
) -> dict[str, Any]:
    resources: list[dict[str, Any]] = [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}, "role": role},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}, "role": role},
        {"name": "disk", "type": "SCALAR", "scalar": {"value": disk}, "role": role},
    ]
    if gpus:
        resources.append({"name": "gpus", "type": "SCALAR", "scalar": {"value": gpus}, "role": role})
    if ports:
        resources.append({"name": "ports", "type": "RANGES", "role": role,
                          "ranges": {"range": [{"begin": b, "end": e} for b, e in ports]}})
    return {
        "id": {"value": f"offer-{i}"},
        "framework_id": {"value": "fw"},
        "agent_id": {"value": f"agent-{i}"},
        "hostname": hostname or f"node{i}",
        "resources": resources,
        "attributes": [{"name": k, "type": "TEXT", "text": {"value": v}} for k, v in (attributes or {}).items()],
    }


def build_app(app_id: str = "/web", **fields: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "id": app_id, "cpus": 0.5, "mem": 128.0, "disk": 0.0, "gpus": 0, "instances": 1,
        "constraints": [], "portDefinitions": [], "requirePorts": False, "networks": [{"mode": "host"}],
        "env": {}, "labels": {}, "healthChecks": [], "version": "2026-11-26T20:00:00.000Z",
    }
    app.update(fields)
    return app


@pytest.fixture(scope="session")
def make_offer() -> Callable[..., dict[str, Any]]:
    return build_offer


@pytest.fixture(scope="session")
def make_app() -> Callable[..., dict[str, Any]]:
    return build_app
