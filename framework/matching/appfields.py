"""Reading a normalized app dict for matching and task building.

framework.model is written in parallel, so this module reads the AppDefinition JSON keys itself,
defensively, with Marathon's documented defaults. It is the only place in framework.matching and
framework.taskinfo that knows where a field lives (e.g. port mappings under ``container`` or, in the
legacy shape, under ``container.docker``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HOST = "HOST"
BRIDGE = "BRIDGE"
USER = "USER"

# Marathon's AppDefinition defaults.
DEFAULT_CPUS = 1.0
DEFAULT_MEM = 128.0
DEFAULT_DISK = 0.0
DEFAULT_GPUS = 0


@dataclass(frozen=True)
class PortSpec:
    """One port of an app: a port definition (HOST mode) or a port mapping (BRIDGE/USER mode).

    ``host_port`` is the requested host port: 0 = any, None = no host port at all (a USER-network
    mapping without hostPort).
    """

    index: int
    host_port: int | None
    container_port: int | None
    name: str | None
    protocol: str
    labels: Mapping[str, str]


def app_id(app: Mapping[str, Any]) -> str:
    return str(app.get("id", ""))


def scalar(app: Mapping[str, Any], key: str, default: float) -> float:
    value = app.get(key)
    return float(default if value is None else value)


def container(app: Mapping[str, Any]) -> Mapping[str, Any]:
    return app.get("container") or {}


def docker(app: Mapping[str, Any]) -> Mapping[str, Any]:
    return container(app).get("docker") or {}


def docker_image(app: Mapping[str, Any]) -> str | None:
    return docker(app).get("image") or None


def network_mode(app: Mapping[str, Any]) -> str:
    """HOST, BRIDGE or USER, from ``networks`` (current API) or ``container.docker.network`` (legacy)."""
    legacy = str(docker(app).get("network") or "").upper()
    if legacy in (BRIDGE, USER):
        return legacy
    networks = app.get("networks") or []
    mode = (networks[0] or {}).get("mode") if networks else None
    if mode == "container/bridge":
        return BRIDGE
    if mode == "container":
        return USER
    return HOST


def network_name(app: Mapping[str, Any]) -> str | None:
    networks = app.get("networks") or []
    return (networks[0] or {}).get("name") if networks else None


def port_mappings(app: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    c = container(app)
    return c.get("portMappings") or docker(app).get("portMappings") or []


def port_specs(app: Mapping[str, Any]) -> tuple[PortSpec, ...]:
    """The app's ports in index order (the order of $PORT0..n and of healthCheck.portIndex)."""
    mode = network_mode(app)
    if mode in (BRIDGE, USER) and port_mappings(app):
        specs = []
        for i, pm in enumerate(port_mappings(app)):
            host_port = pm.get("hostPort")
            if host_port is None and mode == BRIDGE:
                host_port = 0  # BRIDGE mappings always get a host port; Marathon defaults it to 0
            specs.append(PortSpec(
                index=i,
                host_port=None if host_port is None else int(host_port),
                container_port=int(pm.get("containerPort") or 0),
                name=pm.get("name") or None,
                protocol=str(pm.get("protocol") or "tcp"),
                labels=pm.get("labels") or {},
            ))
        return tuple(specs)
    require = bool(app.get("requirePorts", False))
    return tuple(
        PortSpec(
            index=i,
            # Without requirePorts, a definition's port is a service port and the host port is dynamic.
            host_port=int(pd.get("port") or 0) if require else 0,
            container_port=None,
            name=pd.get("name") or None,
            protocol=str(pd.get("protocol") or "tcp"),
            labels=pd.get("labels") or {},
        )
        for i, pd in enumerate(app.get("portDefinitions") or [])
    )


def host_port_requests(app: Mapping[str, Any]) -> tuple[int, ...]:
    """Requested host ports in order (0 = any); ports without a host port are left out.

    ``Launch.ports`` is parallel to this tuple.
    """
    return tuple(s.host_port for s in port_specs(app) if s.host_port is not None)


def declared_ports(app: Mapping[str, Any]) -> tuple[int, ...]:
    """Ports the app declared (container ports with mappings, else definition ports), for PORT_<n>."""
    specs = port_specs(app)
    if specs and specs[0].container_port is not None:
        return tuple(s.container_port or 0 for s in specs)
    return tuple(int(pd.get("port") or 0) for pd in app.get("portDefinitions") or [])


def accepted_roles(app: Mapping[str, Any]) -> frozenset[str] | None:
    """Roles whose resources the app may use; None = any role (Marathon's default without the field)."""
    roles = app.get("acceptedResourceRoles")
    return frozenset(roles) if roles else None


def constraints(app: Mapping[str, Any]) -> list[list[str]]:
    return [list(c) for c in app.get("constraints") or []]
