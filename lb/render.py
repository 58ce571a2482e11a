"""The HAProxy configuration of a routing, as text. Pure: `render(routing, edge) -> str`.

Every value that reaches the text was checked by lb.labels or lb.services (host names, paths, words,
numbers) or comes from the operator's flags, so the text is built by plain formatting. Each service's
block is cached on the (frozen) service, so when one app changes only its blocks are formatted again.

Layout (Marathon-LB's names, so its users find their way): a ``listen stats`` on the stats port with
``/_haproxy_health_check`` and the lb's own pages; ``marathon_http_in`` (:80) and ``marathon_https_in``
(:443, with certificates) routing virtual hosts and paths; ``marathon_http_appid_in`` (:9091) routing on
the ``X-Marathon-App-Id`` header; then per service port a ``frontend`` and a ``backend`` named
``<app id with / as _>_<port>``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from lb.model import Routing, Server, Service

ADMIN_BACKEND = "balalaika_lb_admin"
ADMIN_PATHS = ("/_haproxy_getconfig", "/_haproxy_getpids", "/_balalaika_skipped", "/_balalaika_services", "/metrics")
SIGNAL_PREFIX = "/_mlb_signal/"


@dataclass(frozen=True)
class Edge:
    """The operator's settings for the shared parts of the config (from lb.main's flags)."""

    bind_addr: str = "*"
    http_port: int | None = 80  # None: --dont-bind-http-https
    https_port: int | None = 443
    appid_port: int | None = 9091
    stats_port: int = 9090
    admin_port: int | None = None  # the lb's own HTTP server behind the stats port
    ssl_certs: tuple[str, ...] = ()
    admin_socket: str | None = None
    hard_stop_after: str = "60s"
    maxconn: int | None = None  # None: HAProxy's own, from the file-descriptor limit

    def reserved_ports(self) -> set[int]:
        ports = {self.stats_port, self.http_port, self.appid_port}
        if self.ssl_certs:
            ports.add(self.https_port)
        return {port for port in ports if port}


def render(routing: Routing, edge: Edge) -> str:
    services = routing.services
    parts = [_head(edge)]
    vhosted = [s for s in services if s.vhosts and s.mode == "http"]
    if edge.http_port:
        parts.append(_vhost_frontend("marathon_http_in", _bind(edge.bind_addr, edge.http_port), vhosted,
                                     redirects=bool(edge.ssl_certs)))
    if edge.http_port and edge.https_port and edge.ssl_certs:
        certs = " ".join(f"crt {path}" for path in edge.ssl_certs)
        parts.append(_vhost_frontend("marathon_https_in", f"{_bind(edge.bind_addr, edge.https_port)} ssl {certs}",
                                     vhosted, redirects=False))
    if edge.appid_port:
        parts.append(_appid_frontend(edge, [s for s in services if s.mode == "http"]))
    parts.extend(service_block(service) for service in services)
    return "".join(parts)


def _bind(addr: str, port: int) -> str:
    return f"bind {addr}:{port}" if ":" not in addr else f"bind [{addr}]:{port}"


def _head(edge: Edge) -> str:
    lines = ["global", f"    hard-stop-after {edge.hard_stop_after}"]
    if edge.maxconn:
        lines.append(f"    maxconn {edge.maxconn}")
    if edge.admin_socket:
        lines.append(f"    stats socket {edge.admin_socket} mode 600 level admin expose-fd listeners")
    lines += [
        "defaults",
        "    mode tcp",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 15s",
        "    timeout queue 30s",
        "    retries 3",
        # a request that found a server gone (killed, crashed, not listening yet) goes to another one
        "    option redispatch 1",
        "listen stats",
        f"    {_bind(edge.bind_addr, edge.stats_port)}",
        "    mode http",
        "    monitor-uri /_haproxy_health_check",
        "    stats enable",
        "    stats uri /haproxy?stats",
    ]
    if edge.admin_port:
        lines += [f"    acl lb_admin path {' '.join(ADMIN_PATHS)}", f"    acl lb_admin path_beg {SIGNAL_PREFIX}",
                  f"    use_backend {ADMIN_BACKEND} if lb_admin",
                  f"backend {ADMIN_BACKEND}", "    mode http", f"    server lb 127.0.0.1:{edge.admin_port}"]
    return "\n".join(lines) + "\n"


def _vhost_order(service: Service) -> tuple:
    """Longer paths first (most specific rule wins), then the heavier backend weight, then by name."""
    return (-len(service.path or ""), -service.weight, service.name)


def _vhost_frontend(name: str, bind: str, services: Iterable[Service], *, redirects: bool) -> str:
    lines = [f"frontend {name}", f"    {bind}", "    mode http", IDLE_CLOSE]
    uses = []
    for service in sorted(services, key=_vhost_order):
        host_acl = f"host_{service.name}"
        exact = [host for host in service.vhosts if not host.startswith("*.")]
        if exact:
            lines.append(f"    acl {host_acl} req.hdr(host),field(1,:),lower -m str {' '.join(exact)}")
        for wildcard in (host[1:] for host in service.vhosts if host.startswith("*.")):
            lines.append(f"    acl {host_acl} req.hdr(host),field(1,:),lower -m end {wildcard}")
        condition = host_acl
        if service.path:
            lines.append(f"    acl path_{service.name} path_beg {service.path}")
            condition += f" path_{service.name}"
        if redirects and service.redirect_to_https:
            lines.append(f"    redirect scheme https code 301 if !{{ ssl_fc }} {condition}")
        uses.append(f"    use_backend {service.name} if {condition}")
    return "\n".join(lines + uses) + "\n"


def _appid_frontend(edge: Edge, services: Iterable[Service]) -> str:
    lines = ["frontend marathon_http_appid_in", f"    {_bind(edge.bind_addr, edge.appid_port or 0)}", "    mode http",
             IDLE_CLOSE]
    lines += [f"    use_backend {s.name} if {{ req.hdr(x-marathon-app-id) -m str {s.app_id} }}" for s in services]
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=65_536)
def service_block(service: Service) -> str:
    """The frontend and backend of one service port."""
    fields = _fields(service)
    templates = dict(service.templates)
    frontend = templates.get("FRONTEND_HEAD", "frontend {frontend}\n    {bindLine}\n    mode {mode}\n")
    backend = templates.get("BACKEND_HEAD", "backend {backend}\n    balance {balance}\n    mode {mode}\n")
    text = [frontend.format_map(fields).rstrip("\n")]
    if service.mode == "http":
        text.append(IDLE_CLOSE)
    text += [f"    use_backend {service.name}", backend.format_map(fields).rstrip("\n")]
    if service.mode == "http":
        text.append(templates.get("BACKEND_HTTP_OPTIONS", HTTP_OPTIONS).format_map(fields).rstrip("\n"))
    if service.sticky:
        text.append(templates.get("BACKEND_STICKY_OPTIONS", STICKY_OPTIONS).format_map(fields).rstrip("\n"))
    if service.check is not None and service.check.http_path is not None:
        text.append(f"    option httpchk GET {service.check.http_path}")
    if service.check is not None:
        text.append(f"    timeout check {service.check.timeout}s")
    server_template = templates.get("BACKEND_SERVER_OPTIONS")
    for server in service.servers:
        if server_template is None:
            text.append(f"    server {server.name} {server_options(service, server)}")
        else:
            text.append(server_template.format_map({**fields, **_server_fields(service, server)}).rstrip("\n"))
    return "\n".join(text) + "\n"


# a keep-alive client is told to reconnect when its worker stops after a reload (no read error on its
# next request)
IDLE_CLOSE = "    option idle-close-on-response"
# A request that reaches an instance as it dies (killed, crashed: no drain could warn us) gets its
# connection closed with no answer; a GET or HEAD is safe to send again to another server, anything else
# is not (it may have been acted on), so only those are retried.
HTTP_OPTIONS = ("    option forwardfor\n    http-request set-header X-Forwarded-Port %[dst_port]\n"
                "    http-request add-header X-Forwarded-Proto https if {{ ssl_fc }}\n"
                "    retry-on conn-failure empty-response response-timeout\n"
                "    http-request disable-l7-retry if !METH_GET !METH_HEAD\n")
STICKY_OPTIONS = "    cookie mesosphere_server_id insert indirect nocache\n"


def _fields(service: Service) -> dict[str, str]:
    bind = _bind(service.bind_addr, service.bind_port) + (f" {service.bind_options}" if service.bind_options else "")
    return {"frontend": service.name, "backend": service.name, "appId": service.app_id, "bindLine": bind,
            "bindAddr": service.bind_addr, "servicePort": str(service.bind_port), "bindOpts": service.bind_options,
            "mode": service.mode, "balance": service.balance}


def check_options(service: Service) -> str:
    check = service.check
    if check is None:
        return ""
    ssl = " check-ssl verify none" if check.https else ""
    return f" check inter {check.interval}s fall {check.fall}{ssl}"


def server_options(service: Service, server: Server) -> str:
    """Everything after ``server <name>`` — the same words the runtime API's ``add server`` takes."""
    weight = " weight 0" if server.draining else ""
    cookie = f" cookie {server.name}" if service.sticky else ""
    return f"{server.address}:{server.port}{check_options(service)}{weight}{cookie}"


def _server_fields(service: Service, server: Server) -> dict[str, str]:
    return {"serverName": server.name, "host": server.address, "host_ipv4": server.address,
            "port": str(server.port), "cookieOptions": f" cookie {server.name}" if service.sticky else "",
            "healthCheckOptions": check_options(service), "otherOptions": " weight 0" if server.draining else ""}
