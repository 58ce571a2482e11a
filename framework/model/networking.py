"""Networks and ports: translating the legacy APIs and choosing between port definitions and mappings.

Marathon has had three ways to say how an app is networked: ``container.docker.network`` (HOST, BRIDGE,
USER), ``ipAddress`` (the old IP-per-container API) and, since 1.5, ``networks``. It accepts all three
and answers with ``networks`` only. Likewise ports: ``ports`` became ``portDefinitions``, and
``container.docker.portMappings`` became ``container.portMappings``.

The rule that decides which ports an app has: with host networking the app has ``portDefinitions`` (any
port mappings are dropped); with a bridge or container network it has ``container.portMappings`` (any
port definitions are dropped, but each one beyond the mappings adds an empty mapping, as Marathon does).
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.model import defaults
from framework.model.errors import element, member
from framework.model.fields import Fields, check_integer
from framework.model.ports import BRIDGE, mapping_host_port

NETWORK_NAME_REQUIRED = "Network name must be specified when container network is selected."
NETWORK_NAME_PER_HOST_PORT = ("networkNames must be a single item list when hostPort is specified and more "
                              "than 1 container network is defined")
DOCKER_SINGLE_NETWORK = "may only specify a single container network when using the Docker container engine"
# Marathon's --mesos_bridge_name default: an ipAddress naming it means the bridge network.
MESOS_BRIDGE_NAME = "mesos-bridge"


@dataclass
class Networking:
    networks: list[dict]
    port_mappings: list[dict] | None
    port_definitions: list[dict] | None
    needs_container: bool

    @property
    def is_host(self) -> bool:
        return any(net["mode"] == "host" for net in self.networks)


def normalize_networking(app: Fields, container: dict | None) -> Networking:
    """Networks, port mappings (non-host only) and port definitions (host only) of an app."""
    raw_container = app.obj.get("container") if isinstance(app.obj.get("container"), dict) else {}
    raw_docker = raw_container.get("docker") if isinstance(raw_container.get("docker"), dict) else {}
    docker = Fields(raw_docker, member(app.at("container"), "docker"), app.errors)
    ip_address = app.object("ipAddress")
    ip = Fields(ip_address, app.at("ipAddress"), app.errors) if ip_address is not None else None

    networks = translate_networks(app, docker, ip)
    check_networks(app, networks, container)
    is_host = any(net["mode"] == "host" for net in networks)

    migrated = read_port_definitions(app, ip)
    mappings = read_port_mappings(app, raw_container, docker, ip, container)
    if is_host:
        port_definitions = migrated if migrated is not None else [dict(p) for p in defaults.PORT_DEFINITIONS]
        check_port_definitions(app, port_definitions)
        return Networking(networks, None, port_definitions, False)

    if mappings is None:
        mappings = [default_mapping(defaults.PORT_MAPPING_NAME)]
    mappings += [default_mapping() for _ in range(len(migrated or []) - len(mappings))]
    if any(net["mode"] == "container/bridge" for net in networks):
        for mapping in mappings:
            mapping["hostPort"] = mapping_host_port(mapping, BRIDGE)
    check_port_mappings(app, mappings, networks)
    return Networking(networks, mappings, None, container is None)


def translate_networks(app: Fields, docker: Fields, ip: Fields | None) -> list[dict]:
    networks = read_networks(app)
    docker_network = docker.string("network", choices=defaults.DOCKER_NETWORK_CHOICES)
    if docker_network and networks:
        app.error(None, "must not specify both container.docker.network and networks")
    if ip is not None and networks:
        app.error(None, "must not specify both networks and ipAddress")
    if networks:
        return networks
    ip_name = ip.string("networkName", non_empty=True) if ip is not None else None
    ip_labels = ip.string_map("labels") if ip is not None else {}
    if docker_network == "NONE":
        docker.error("network", "unsupported docker network type NONE")
        return [dict(n) for n in defaults.NETWORKS]
    if docker_network:
        mode = defaults.DOCKER_NETWORKS[docker_network]
    elif ip is not None:
        mode = "container/bridge" if ip_name == MESOS_BRIDGE_NAME else "container"
    else:
        return [dict(n) for n in defaults.NETWORKS]
    network: dict = {"mode": mode}
    if mode == "container" and ip_name is not None:
        network["name"] = ip_name
    if mode != "host" and ip_labels:
        network["labels"] = ip_labels
    return [network]


def read_networks(app: Fields) -> list[dict]:
    networks = []
    for item in app.objects("networks"):
        network: dict = {"mode": item.string("mode", "container", choices=defaults.NETWORK_MODES)}
        name = item.string("name", max_length=63, pattern=defaults.NETWORK_NAME)
        if name is not None:
            network["name"] = name
        labels = item.string_map("labels")
        if labels:
            network["labels"] = labels
        networks.append(network)
    return networks


def check_networks(app: Fields, networks: list[dict], container: dict | None) -> None:
    path = app.at("networks")
    modes = [net["mode"] for net in networks]
    if any(net["mode"] == "container" and "name" not in net for net in networks):
        app.errors.add(path, NETWORK_NAME_REQUIRED)
    if any(net["mode"] == "host" and ("name" in net or "labels" in net) for net in networks):
        app.errors.add(path, "Host networks may not have names or labels")
    if any(net["mode"] == "container/bridge" and "name" in net for net in networks):
        app.errors.add(path, "Bridge networks may not have names")
    names = [net["name"] for net in networks if "name" in net]
    if len(set(names)) != len(names):
        app.errors.add(path, "Duplicate networks are not allowed")
    hosts, bridges, containers = (modes.count(m) for m in ("host", "container/bridge", "container"))
    if not ((bridges == containers == 0 and hosts <= 1) or (hosts == containers == 0 and bridges <= 1)
            or (hosts == bridges == 0)):
        app.errors.add(path, "May specify a single host network, single bridge network, or else 1-to-n "
                             "container networks")
    if container and container["type"] == "DOCKER" and containers > 1:
        app.error(None, DOCKER_SINGLE_NETWORK)


def read_port_definitions(app: Fields, ip: Fields | None) -> list[dict] | None:
    """``portDefinitions``, or the legacy ``ports`` translated; None when the app gives neither."""
    ports = None
    if app.array("ports") is not None:
        ports = []
        for index, port in enumerate(app.obj["ports"]):
            path = element(app.at("ports"), index)
            ports.append(check_integer(port, path, app.errors, 0, minimum=0, maximum=defaults.MAX_PORT))
        nonzero = [p for p in ports if p != 0]
        if len(set(nonzero)) != len(nonzero):
            app.error(None, "ports must be unique")
    definitions = None
    if app.array("portDefinitions") is not None:
        definitions = [read_port_definition(item) for item in app.objects("portDefinitions")]
    if ports is not None and definitions is not None and ports != [d["port"] for d in definitions]:
        app.error(None, "cannot specify both ports and port definitions")
    if ip is not None and (ports or definitions):
        app.error(None, "cannot specify both an IP address and port")
    if definitions is None and ports is not None:
        definitions = [{"port": port, "protocol": defaults.PORT_PROTOCOL} for port in ports]
    return definitions


def read_port_definition(item: Fields) -> dict:
    definition: dict = {
        "port": item.integer("port", 0, minimum=0, maximum=defaults.MAX_PORT),
        "protocol": item.string("protocol", defaults.PORT_PROTOCOL, choices=defaults.PORT_PROTOCOLS),
    }
    name = item.string("name", pattern=defaults.PORT_NAME)
    if name is not None:
        definition["name"] = name
    labels = item.string_map("labels")
    if labels:
        definition["labels"] = labels
    return definition


def check_port_definitions(app: Fields, definitions: list[dict]) -> None:
    path = app.at("portDefinitions")
    names = [d["name"] for d in definitions if "name" in d]
    if len(set(names)) != len(names):
        app.errors.add(path, "Port names must be unique.")
    ports = [d["port"] for d in definitions if d["port"] != 0]
    if len(set(ports)) != len(ports):
        app.errors.add(path, "Ports must be unique.")


def read_port_mappings(app: Fields, raw_container: dict, docker: Fields, ip: Fields | None,
                       container: dict | None) -> list[dict] | None:
    """Mappings from container.portMappings, the legacy docker.portMappings or ipAddress.discovery."""
    container_fields = Fields(raw_container, app.at("container"), app.errors)
    mappings = None
    if container_fields.array("portMappings") is not None:
        mappings = [read_port_mapping(item) for item in container_fields.objects("portMappings")]
    if docker.array("portMappings") is not None:
        legacy = [read_port_mapping(item) for item in docker.objects("portMappings")]
        if mappings is None:
            mappings = legacy
        elif legacy:
            container_fields.error(None, "cannot specify both portMappings and docker.portMappings")
    discovery = ip.object("discovery") if ip is not None else None
    if discovery is None:
        return mappings
    found = Fields(discovery, ip.at("discovery"), app.errors).objects("ports")
    if found and container is not None and container["type"] == "DOCKER":
        ip.error(None, "ipAddress/discovery is not allowed for Docker containers")
    elif found and mappings:
        ip.error(None, "container.portMappings and ipAddress.discovery.ports must not both be set")
    elif found:
        mappings = [read_discovery_port(item) for item in found]
    return mappings


def read_port_mapping(item: Fields) -> dict:
    mapping: dict = {"containerPort": item.integer("containerPort", 0, minimum=0, maximum=defaults.MAX_PORT)}
    host_port = item.integer("hostPort", None, minimum=0, maximum=defaults.MAX_PORT)
    if host_port is not None:
        mapping["hostPort"] = host_port
    mapping["servicePort"] = item.integer("servicePort", 0, minimum=0, maximum=defaults.MAX_PORT)
    mapping["protocol"] = item.string("protocol", defaults.PORT_PROTOCOL, choices=defaults.PORT_PROTOCOLS)
    name = item.string("name", pattern=defaults.PORT_NAME)
    if name is not None:
        mapping["name"] = name
    mapping["labels"] = item.string_map("labels")
    network_names = item.strings("networkNames")
    if network_names:
        mapping["networkNames"] = network_names
    return mapping


def read_discovery_port(item: Fields) -> dict:
    mapping = {
        "containerPort": item.integer("number", 0, minimum=0, maximum=defaults.MAX_PORT),
        "servicePort": 0,
        "protocol": item.string("protocol", defaults.PORT_PROTOCOL, choices=defaults.PORT_PROTOCOLS),
        "name": item.string("name", "", required=True, pattern=defaults.PORT_NAME),
        "labels": item.string_map("labels"),
    }
    return mapping


def default_mapping(name: str | None = None) -> dict:
    mapping: dict = {"containerPort": 0, "servicePort": 0, "protocol": defaults.PORT_PROTOCOL, "labels": {}}
    if name is not None:
        mapping["name"] = name
    return mapping


def check_port_mappings(app: Fields, mappings: list[dict], networks: list[dict]) -> None:
    path = member(app.at("container"), "portMappings")
    names = [m["name"] for m in mappings if "name" in m]
    if len(set(names)) != len(names):
        app.errors.add(path, "Port names must be unique.")
    network_names = [net["name"] for net in networks if "name" in net]
    several = sum(net["mode"] == "container" for net in networks) > 1
    for index, mapping in enumerate(mappings):
        for position, name in enumerate(mapping.get("networkNames", [])):
            if name not in network_names:
                app.errors.add(element(member(element(path, index), "networkNames"), position),
                               f"is not one of ({', '.join(network_names)})")
        if several and "hostPort" in mapping and len(mapping.get("networkNames", [])) != 1:
            app.errors.add(element(path, index), NETWORK_NAME_PER_HOST_PORT)
