"""From Marathon's apps (``/v2/apps?embed=apps.tasks``) to the routing model. Pure functions.

Works on any Marathon-compatible server's JSON, so it reads every way Marathon 1.x spells networking:
``networks`` (host, container/bridge, container), the legacy ``container.docker.network`` and
``ipAddress``; service ports from ``container.portMappings`` (or ``container.docker.portMappings``)
for bridge and container networking, else ``portDefinitions``, else the legacy ``ports``.

Which tasks are routed: TASK_RUNNING (and, optimistically as Marathon-LB does, UNREACHABLE and LOST:
a partitioned agent usually still serves); TASK_KILLING is routed *draining* — no new requests, the ones
in flight finish — which is how the scheduler's drain-before-kill reaches HAProxy. With `health_check`,
a task of an app with health checks is routed once all its Marathon check results are alive.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lb import labels as labelparse
from lb.labels import LabelError
from lb.model import Check, Routing, Server, Service, Skip

ROUTED_STATES = frozenset({"TASK_RUNNING", "TASK_UNREACHABLE", "TASK_LOST"})
DRAINING_STATES = frozenset({"TASK_KILLING"})
HTTP_CHECKS = {"HTTP": False, "MESOS_HTTP": False, "HTTPS": True, "MESOS_HTTPS": True}
TCP_CHECKS = frozenset({"TCP", "MESOS_TCP"})
_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,200}\Z")
Resolver = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Options:
    groups: frozenset[str] = frozenset({"external"})  # "*" routes every app
    strict_mode: bool = False  # a port is routed only with HAPROXY_{n}_ENABLED=true
    health_check: bool = False
    allow_templates: bool = False
    bind_addr: str = "*"


@dataclass(frozen=True)
class AppRoutes:
    """What one app contributes: its services, and the ports or app skipped with reasons."""

    services: tuple[Service, ...] = ()
    skipped: tuple[Skip, ...] = ()


@dataclass
class _Ports:
    service: list[int] = field(default_factory=list)
    container: list[int] = field(default_factory=list)


def network_mode(app: Mapping[str, Any]) -> str:
    """``host``, ``bridge`` (host ports mapped into the container) or ``container`` (an IP per task)."""
    networks = app.get("networks") or []
    if networks:
        mode = str(networks[0].get("mode", "host")).lower()
        return {"container/bridge": "bridge", "container": "container"}.get(mode, "host")
    docker = ((app.get("container") or {}).get("docker") or {})
    legacy = str(docker.get("network") or "").upper()
    if legacy == "BRIDGE":
        return "bridge"
    if legacy == "USER" or app.get("ipAddress"):
        return "container"
    return "host"


def _ports(app: Mapping[str, Any], mode: str) -> _Ports:
    container = app.get("container") or {}
    mappings = container.get("portMappings") or (container.get("docker") or {}).get("portMappings") or []
    if mode != "host" and mappings:
        return _Ports([int(m.get("servicePort") or 0) for m in mappings],
                      [int(m.get("containerPort") or 0) for m in mappings])
    discovery = ((app.get("ipAddress") or {}).get("discovery") or {}).get("ports") or []
    if mode == "container" and discovery:
        return _Ports([0] * len(discovery), [int(p.get("number") or 0) for p in discovery])
    definitions = app.get("portDefinitions")
    if definitions is not None:
        return _Ports([int(d.get("port") or 0) for d in definitions])
    return _Ports([int(p) for p in app.get("ports") or []])


def _check(app: Mapping[str, Any], index: int) -> Check | None:
    for check in app.get("healthChecks") or []:
        protocol = str(check.get("protocol", "HTTP")).upper()
        if int(check.get("portIndex") or 0) != index or check.get("port"):
            continue
        if protocol not in HTTP_CHECKS and protocol not in TCP_CHECKS:
            continue
        path = None
        if protocol in HTTP_CHECKS:
            path = labelparse.parse_value("healthChecks.path", str(check.get("path") or "/"), labelparse.url_path)
        return Check(http_path=path, https=HTTP_CHECKS.get(protocol, False),
                     interval=max(1, int(check.get("intervalSeconds", 60))),
                     timeout=max(1, int(check.get("timeoutSeconds", 20))),
                     fall=max(1, int(check.get("maxConsecutiveFailures", 3))) + 1)
    return None


def _routable(task: Mapping[str, Any], wants_health: bool) -> str | None:
    """``ready``, ``draining`` or None (not routed)."""
    state = task.get("state")
    if state in DRAINING_STATES:
        return "draining"
    if state not in ROUTED_STATES:
        return None
    if wants_health:
        results = task.get("healthCheckResults")
        if not results or not all(result.get("alive") for result in results):
            return None
    return "ready"


@functools.lru_cache(maxsize=65_536)
def _name_prefix(address: str) -> str:
    return address.replace(".", "_").replace(":", "_") + "_"


def _servers(app: Mapping[str, Any], index: int, mode: str, ports: _Ports, wants_health: bool,
             resolve: Resolver) -> tuple[Server, ...]:
    """The app's routed tasks on port `index`. Runs once per task of every app in a snapshot: kept lean."""
    chosen: dict[str, Server] = {}
    container_port = ports.container[index] if mode == "container" and index < len(ports.container) else 0
    for task in app.get("tasks") or ():
        kind = _routable(task, wants_health)
        if kind is None:
            continue
        if container_port:
            addresses = task.get("ipAddresses")
            address = addresses[0].get("ipAddress") if addresses else None
            port = container_port
        else:
            task_ports = task.get("ports") or ()
            address = resolve(task.get("host") or "")
            port = task_ports[index] if index < len(task_ports) else 0
        if not address or not port:
            continue
        name = f"{_name_prefix(address)}{port}"
        if name in chosen and not chosen[name].draining:
            continue  # a ready task and a draining one on one address: the address is in service
        chosen[name] = Server(name, address, int(port), kind == "draining")
    return tuple(sorted(chosen.values()))  # by name, the first field


def _in_groups(wanted: frozenset[str], groups: Iterable[str]) -> bool:
    return "*" in wanted or any(group in wanted for group in groups)


def app_routes(app: Mapping[str, Any], options: Options, resolve: Resolver) -> AppRoutes:
    """The services of one app, or why it (or a port of it) is not routed. Never raises for bad input."""
    app_id = str(app.get("id", ""))
    try:
        parsed = labelparse.parse(app.get("labels") or {}, allow_templates=options.allow_templates)
    except LabelError as error:
        return AppRoutes(skipped=(Skip(app_id, "bad-label", str(error)),))
    name_base = app_id.strip("/").replace("/", "_")
    if not _NAME.match(name_base or "-"):
        return AppRoutes(skipped=(Skip(app_id, "bad-app-id", f"app id {app_id!r} cannot name a backend"),))
    mode = network_mode(app)
    try:
        ports = _ports(app, mode)
    except (TypeError, ValueError, AttributeError) as error:
        return AppRoutes(skipped=(Skip(app_id, "bad-ports", f"unreadable ports: {error}"),))
    services, skipped = [], []
    for index, service_port in enumerate(ports.service):
        port_labels = parsed.port(index)
        groups = port_labels.groups if port_labels.groups is not None else parsed.groups
        if not _in_groups(options.groups, groups) or port_labels.enabled is False:
            continue
        if options.strict_mode and port_labels.enabled is not True:
            continue
        try:
            services.append(_service(app, index, service_port, port_labels, mode, ports, options, resolve))
        except (LabelError, TypeError, ValueError) as error:
            reason = "bad-label" if isinstance(error, LabelError) else "bad-app"
            skipped.append(Skip(app_id, reason, f"port index {index}: {error}"))
    return AppRoutes(tuple(services), tuple(skipped))


def _service(app: Mapping[str, Any], index: int, service_port: int, port_labels: labelparse.PortLabels, mode: str,
             ports: _Ports, options: Options, resolve: Resolver) -> Service:
    bind_port = port_labels.port or service_port
    if not bind_port:
        raise ValueError("no service port to bind")
    check = _check(app, index)
    wants_http = bool(port_labels.vhosts) or (check is not None and check.http_path is not None)
    proxy_mode = port_labels.mode or ("http" if wants_http else "tcp")
    if port_labels.vhosts and proxy_mode != "http":
        raise LabelError(f"HAPROXY_{index}_MODE", "a VHOST needs mode http")
    if port_labels.path and not port_labels.vhosts:
        raise LabelError(f"HAPROXY_{index}_PATH", "a PATH needs a VHOST")
    wants_health = options.health_check and bool(app.get("healthChecks"))
    return Service(
        app_id=str(app["id"]), name=f"{str(app['id']).strip('/').replace('/', '_')}_{bind_port}",
        bind_port=bind_port, bind_addr=port_labels.bind_addr or options.bind_addr,
        bind_options=port_labels.bind_options, mode=proxy_mode, balance=port_labels.balance,
        sticky=port_labels.sticky and proxy_mode == "http", vhosts=port_labels.vhosts, path=port_labels.path,
        redirect_to_https=port_labels.redirect_to_https, weight=port_labels.backend_weight,
        check=check,
        templates=port_labels.templates,
        servers=_servers(app, index, mode, ports, wants_health, resolve))


def route(routes: Mapping[str, AppRoutes], reserved_ports: Iterable[int] = (),
          owners: Mapping[int, str] | None = None) -> Routing:
    """The whole routing: every app's services, minus apps that bind a port the edge or another app
    binds. A clash skips only the app that clashes: an app keeps the ports it held in the previous
    routing (`owners`: port -> app id), so a new label cannot take another team's port; otherwise the
    app first by id wins."""
    owners = owners or {}

    def newcomer(app_id: str) -> bool:
        return any(owners.get(s.bind_port) != app_id for s in routes[app_id].services)

    taken = {port: "the edge" for port in reserved_ports}
    clashes: dict[str, Skip] = {}
    for app_id in sorted(routes, key=lambda app_id: (newcomer(app_id), app_id)):
        entry = routes[app_id]
        clash = next(((s.bind_port, taken[s.bind_port]) for s in entry.services if s.bind_port in taken), None)
        if clash is None:
            clash = _own_clash(entry.services)
        if clash is not None:
            clashes[app_id] = Skip(app_id, "port-clash", f"port {clash[0]} is already bound by {clash[1]}")
            continue
        for service in entry.services:
            taken[service.bind_port] = app_id
    ordered = sorted(routes)  # a stable order, so that routings compare service by service
    services = tuple(s for app_id in ordered if app_id not in clashes for s in routes[app_id].services)
    skipped = tuple(skip for app_id in ordered for skip in routes[app_id].skipped) + tuple(clashes.values())
    return Routing(services, skipped)


def _own_clash(services: Iterable[Service]) -> tuple[int, str] | None:
    seen: set[int] = set()
    for service in services:
        if service.bind_port in seen:
            return service.bind_port, "another of its own ports"
        seen.add(service.bind_port)
    return None
