"""Questions about the ports of a canonical app, answered the same way everywhere downstream.

A canonical app has its ports in exactly one place: ``portDefinitions`` with host networking,
``container.portMappings`` otherwise (see ``networking.py``). Port indices (health checks' ``portIndex``,
``$PORT0``...) count along that one list.
"""

from __future__ import annotations


def network_mode(app: dict) -> str:
    """``"HOST"``, ``"BRIDGE"`` or ``"USER"`` (container networks), in the old Docker network vocabulary."""
    modes = {network.get("mode") for network in app.get("networks") or [{"mode": "host"}]}
    if "host" in modes:
        return "HOST"
    if "container/bridge" in modes:
        return "BRIDGE"
    return "USER"


def is_docker(app: dict) -> bool:
    """True when the Docker containerizer runs the app (a Mesos container with a Docker image is not)."""
    container = app.get("container")
    return bool(container) and container.get("type") == "DOCKER"


def port_entries(app: dict) -> list[dict]:
    """The app's port list: portDefinitions with host networking, container.portMappings otherwise."""
    if network_mode(app) == "HOST":
        return list(app.get("portDefinitions") or [])
    return list((app.get("container") or {}).get("portMappings") or [])


def app_ports_count(app: dict) -> int:
    """How many ports each task of the app gets (the length of its one port list)."""
    return len(port_entries(app))


def port_names(app: dict) -> list[str | None]:
    """Names by port index; None where a port has no name."""
    return [entry.get("name") for entry in port_entries(app)]


def host_port_requests(app: dict) -> list[int]:
    """Host ports each task needs from an offer, 0 meaning "any port".

    With host networking there is one per port definition: its number when ``requirePorts`` is set,
    else 0 (the definition's number is then a service port). With bridge or container networks only
    mappings that give a ``hostPort`` need one; mappings without it (container networks) reach the
    container's own address and take no host port.
    """
    if network_mode(app) == "HOST":
        require = bool(app.get("requirePorts"))
        return [entry.get("port", 0) if require else 0 for entry in port_entries(app)]
    return [entry["hostPort"] for entry in port_entries(app) if entry.get("hostPort") is not None]


def service_ports(app: dict) -> list[int]:
    """Service ports by port index, as given (0 until the scheduler assigns one)."""
    if network_mode(app) == "HOST":
        return [entry.get("port", 0) for entry in port_entries(app)]
    return [entry.get("servicePort", 0) for entry in port_entries(app)]
