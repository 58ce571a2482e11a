"""An app's network mode and its ports: the one place that answers these questions for everyone downstream.

Matching (host ports to take from an offer), the TaskInfo builder (port mappings, ``$PORT<n>``, discovery,
health check ports), the scheduler (task records' service ports, readiness URLs) and the api (service port
assignment, task JSON) all ask here, so they cannot disagree.

The network mode, as Marathon decides it: ``networks`` when the app has it; since Marathon allows one host
network, one bridge network or 1..n container networks, its first entry names the mode. Without
``networks``, the legacy ``container.docker.network`` (HOST, BRIDGE, USER) does; without either, the app
has host networking (``defaults.NETWORKS``). A canonical app (``normalize_app``) always has ``networks``
and never the legacy member, which only a definition read before normalization can carry.

The ports: with host networking the app's ports are its ``portDefinitions``; with a bridge or container
network its ``container.portMappings`` (legacy: ``container.docker.portMappings``). Port indices
(``$PORT0``..., health checks' ``portIndex``) count along that one list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from framework.model import defaults

# The network modes in the legacy Docker vocabulary, which the TaskInfo's DockerInfo.network still speaks.
HOST = "HOST"
BRIDGE = "BRIDGE"
USER = "USER"
_MODE_NAMES = {mode: name for name, mode in defaults.DOCKER_NETWORKS.items()}  # "container/bridge" -> BRIDGE


@dataclass(frozen=True)
class PortSpec:
    """One port of an app: a port definition (HOST mode) or a port mapping (BRIDGE/USER mode).

    ``host_port`` is the requested host port: 0 = any, None = no host port at all (a USER-network
    mapping without hostPort). ``container_port`` is None with host networking.
    """

    index: int
    host_port: int | None
    container_port: int | None
    name: str | None
    protocol: str
    labels: Mapping[str, str]


def network_mode(app: Mapping[str, Any]) -> str:
    """``HOST``, ``BRIDGE`` or ``USER`` (container networks): ``networks`` first, then the legacy field."""
    networks = app.get("networks")
    if networks:
        mode = (networks[0] or {}).get("mode", "container")  # Marathon's default mode of a network entry
    else:
        legacy = str(((app.get("container") or {}).get("docker") or {}).get("network") or "").upper()
        mode = defaults.DOCKER_NETWORKS.get(legacy, defaults.NETWORKS[0]["mode"])
    return _MODE_NAMES.get(mode, HOST)


def network_name(app: Mapping[str, Any]) -> str | None:
    """The name of the app's (first) container network; None for host and bridge networking."""
    networks = app.get("networks") or []
    return (networks[0] or {}).get("name") if networks else None


def is_docker(app: Mapping[str, Any]) -> bool:
    """True when the Docker containerizer runs the app (a Mesos container with a Docker image is not)."""
    container = app.get("container")
    return bool(container) and container.get("type") == "DOCKER"


def port_entries(app: Mapping[str, Any]) -> list[dict]:
    """The app's port list (the entries themselves, not copies): portDefinitions with host networking,
    container.portMappings (or the legacy container.docker.portMappings) otherwise."""
    if network_mode(app) == HOST:
        return list(app.get("portDefinitions") or [])
    container = app.get("container") or {}
    return list(container.get("portMappings") or (container.get("docker") or {}).get("portMappings") or [])


def service_port_key(app: Mapping[str, Any]) -> str:
    """The member of a port entry that holds its service port: ``port`` of a port definition,
    ``servicePort`` of a port mapping."""
    return "port" if network_mode(app) == HOST else "servicePort"


def mapping_host_port(mapping: Mapping[str, Any], mode: str) -> int | None:
    """A port mapping's host port (0 = any): as given; a BRIDGE mapping without one asks for any port
    (Marathon's backwards compatibility); a container-network mapping without one has none (None): it is
    reached at the container's own address."""
    host_port = mapping.get("hostPort")
    if host_port is None:
        return 0 if mode == BRIDGE else None
    return int(host_port)


def port_specs(app: Mapping[str, Any]) -> tuple[PortSpec, ...]:
    """The app's ports in index order (the order of $PORT0..n and of healthCheck.portIndex)."""
    mode = network_mode(app)
    require = bool(app.get("requirePorts"))
    specs = []
    for index, entry in enumerate(port_entries(app)):
        if mode == HOST:
            # Without requirePorts, a definition's port is a service port and the host port is dynamic.
            host_port, container_port = int(entry.get("port") or 0) if require else 0, None
        else:
            host_port, container_port = mapping_host_port(entry, mode), int(entry.get("containerPort") or 0)
        specs.append(PortSpec(index, host_port, container_port, entry.get("name") or None,
                              str(entry.get("protocol") or defaults.PORT_PROTOCOL), entry.get("labels") or {}))
    return tuple(specs)


def host_port_requests(app: Mapping[str, Any]) -> list[int]:
    """Host ports each task needs from an offer in port order, 0 meaning "any port"; ports without a host
    port are left out. With host networking there is one per port definition: its number when
    ``requirePorts`` is set, else 0. ``matching.Launch.ports`` and a task record's ``ports`` are parallel
    to this list."""
    return [spec.host_port for spec in port_specs(app) if spec.host_port is not None]


def task_host_ports(app: Mapping[str, Any], task_ports: Sequence[int]) -> list[int | None]:
    """The host port of each of the app's ports, by port index, from a task's ``ports`` (parallel to
    `host_port_requests`, so only the ports that have a host port): None for a port without one (a
    container-network mapping without hostPort) and for one the task did not get."""
    assigned = iter(task_ports)
    return [None if spec.host_port is None else next(assigned, None) for spec in port_specs(app)]


def service_ports(app: Mapping[str, Any]) -> list[int]:
    """Service ports by port index, as given (0 until the api assigns one)."""
    key = service_port_key(app)
    return [int(entry.get(key) or 0) for entry in port_entries(app)]


def declared_ports(app: Mapping[str, Any]) -> list[int]:
    """The port numbers the app declared, by port index, for ``$PORT_<n>``: the definitions' numbers with
    host networking, the container ports of the mappings otherwise."""
    key = "port" if network_mode(app) == HOST else "containerPort"
    return [int(entry.get(key) or 0) for entry in port_entries(app)]


def app_ports_count(app: Mapping[str, Any]) -> int:
    """How many ports each task of the app gets (the length of its one port list)."""
    return len(port_entries(app))


def port_names(app: Mapping[str, Any]) -> list[str | None]:
    """Names by port index; None where a port has no name."""
    return [entry.get("name") for entry in port_entries(app)]

