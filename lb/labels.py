"""An app's ``HAPROXY_*`` labels, parsed once into a typed model.

Labels are untrusted input: anyone allowed to POST an app writes them, and their values end up in a
configuration file that routes every other team's traffic. So every value is checked against what it
may be (a host name, a path, an address, a number, a word from a list) and a value that is not that
raises `LabelError`; the caller skips the app and routes every other one. No accepted value can hold a
newline or a character that HAProxy's parser treats specially (``#``, quotes, backslash), so no label
can add a line or a directive to the config. Raw-config templates are the one exception and are only
parsed when the operator allows them (see `TEMPLATES`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

PORT_LABEL = re.compile(r"HAPROXY_(\d{1,3})_([A-Z0-9_]+)\Z")
GROUP_LABEL = "HAPROXY_GROUP"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEMPLATE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # templates are multi-line: \t and \n allowed
_HOST_PART = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
_PATH = re.compile(r"/[A-Za-z0-9._~%/+@:=,;!$&*()-]*\Z")
_WORD = re.compile(r"[A-Za-z0-9_.-]+\Z")
_BALANCE = re.compile(r"[a-z-]+(\([A-Za-z0-9_-]+\))?\Z")
_BIND_OPTIONS = re.compile(r"[A-Za-z0-9 ._/=:,@-]*\Z")
MODES = frozenset({"http", "tcp"})
# Raw HAProxy text an app's owner may supply per service port when the operator passes
# --allow-app-templates; each is a str.format template over the names in lb.render.TEMPLATE_FIELDS.
TEMPLATES = frozenset({"FRONTEND_HEAD", "BACKEND_HEAD", "BACKEND_HTTP_OPTIONS", "BACKEND_STICKY_OPTIONS",
                       "BACKEND_SERVER_OPTIONS"})
# the names a template may use, in Marathon-LB's spelling
TEMPLATE_FIELDS = ("frontend", "backend", "appId", "bindLine", "bindAddr", "servicePort", "bindOpts", "mode", "balance",
                   "serverName", "host", "host_ipv4", "port", "cookieOptions", "healthCheckOptions",
                   "otherOptions")


class LabelError(ValueError):
    """A label whose value cannot be used; `label` names it, the message says why."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"label {label}: {reason}")
        self.label = label
        self.reason = reason


@dataclass(frozen=True)
class PortLabels:
    """What the labels say about one service port (index ``n`` of ``HAPROXY_{n}_*``)."""

    vhosts: tuple[str, ...] = ()
    path: str | None = None
    mode: str | None = None
    balance: str = "roundrobin"
    sticky: bool = False
    redirect_to_https: bool = False
    bind_addr: str | None = None
    bind_options: str = ""
    port: int | None = None
    enabled: bool | None = None
    backend_weight: int = 0
    groups: tuple[str, ...] | None = None
    templates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AppLabels:
    groups: tuple[str, ...] = ()
    ports: Mapping[int, PortLabels] = field(default_factory=dict)

    def port(self, index: int) -> PortLabels:
        return self.ports.get(index, PortLabels())


def _vhosts(value: str) -> tuple[str, ...]:
    hosts = tuple(host.strip().lower() for host in value.split(",") if host.strip())
    for host in hosts:
        name = host[2:] if host.startswith("*.") else host
        if len(name) > 253 or not all(_HOST_PART.match(part) for part in name.split(".")):
            raise ValueError(f"{host!r} is not a host name")
    return hosts


def url_path(value: str) -> str:
    if not _PATH.match(value):
        raise ValueError(f"{value!r} is not a URL path (it must start with / and hold no spaces or quotes)")
    return value


def _mode(value: str) -> str:
    if value.lower() not in MODES:
        raise ValueError(f"{value!r} is not one of {', '.join(sorted(MODES))}")
    return value.lower()


def _balance(value: str) -> str:
    if not _BALANCE.match(value):
        raise ValueError(f"{value!r} is not a balance algorithm")
    return value


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _bind_addr(value: str) -> str:
    if value == "*":
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None


def _bind_options(value: str) -> str:
    if not _BIND_OPTIONS.match(value):
        raise ValueError("only letters, digits, spaces and . _ / = : , @ - are allowed")
    return value.strip()


def _port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError(f"{port} is not a TCP port")
    return port


def _weight(value: str) -> int:
    weight = int(value)
    if not -10_000 <= weight <= 10_000:
        raise ValueError(f"{weight} is out of range")
    return weight


def _groups(value: str) -> tuple[str, ...]:
    groups = tuple(group.strip() for group in value.split(",") if group.strip())
    for group in groups:
        if not _WORD.match(group) and group != "*":
            raise ValueError(f"{group!r} is not a group name")
    return groups


# label suffix -> (PortLabels field, parser); a parser raises ValueError with the reason
PORT_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "VHOST": ("vhosts", _vhosts),
    "PATH": ("path", url_path),
    "MODE": ("mode", _mode),
    "BALANCE": ("balance", _balance),
    "STICKY": ("sticky", _bool),
    "REDIRECT_TO_HTTPS": ("redirect_to_https", _bool),
    "BIND_ADDR": ("bind_addr", _bind_addr),
    "BIND_OPTIONS": ("bind_options", _bind_options),
    "PORT": ("port", _port),
    "ENABLED": ("enabled", _bool),
    "BACKEND_WEIGHT": ("backend_weight", _weight),
    "GROUP": ("groups", _groups),
}


def parse(labels: Mapping[str, Any], *, allow_templates: bool = False) -> AppLabels:
    """The HAProxy labels of an app. Raises LabelError for the first value that cannot be used.

    Template labels are ignored unless `allow_templates`; other unknown ``HAPROXY_`` labels are ignored
    (Marathon-LB has more than we route on), but their values must still be single-line text."""
    groups: tuple[str, ...] = ()
    ports: dict[int, PortLabels] = {}
    for name, value in sorted(labels.items()):
        if not isinstance(name, str) or not name.startswith("HAPROXY_"):
            continue
        if not isinstance(value, str):
            raise LabelError(name, "the value is not a string")
        match = PORT_LABEL.match(name)
        if match and match.group(2) in TEMPLATES:
            if allow_templates:
                ports[int(match.group(1))] = _with_template(ports.get(int(match.group(1))), name, match.group(2),
                                                            value)
            continue
        if _CONTROL.search(value):
            raise LabelError(name, "the value holds a newline or another control character")
        if name == GROUP_LABEL:
            groups = parse_value(name, value, _groups)
        elif match and match.group(2) in PORT_FIELDS:
            index = int(match.group(1))
            attribute, parser = PORT_FIELDS[match.group(2)]
            ports[index] = replace(ports.get(index, PortLabels()), **{attribute: parse_value(name, value, parser)})
    return AppLabels(groups, ports)


def parse_value(name: str, value: str, parser: Callable[[str], Any]) -> Any:
    """`parser(value)`, with its ValueError turned into a LabelError naming `name`."""
    try:
        return parser(value)
    except ValueError as error:
        raise LabelError(name, str(error)) from None


def _with_template(current: PortLabels | None, name: str, template: str, value: str) -> PortLabels:
    if _TEMPLATE_CONTROL.search(value):
        raise LabelError(name, "the template holds a control character")
    try:
        value.format_map(dict.fromkeys(TEMPLATE_FIELDS, ""))
    except (KeyError, ValueError, IndexError, AttributeError) as error:
        raise LabelError(name, f"the template does not format: {error!r}") from None
    current = current or PortLabels()
    return replace(current, templates=(*current.templates, (template, value)))
