"""The routing model: what HAProxy must do, as frozen values that compare and hash cheaply.

`Service` is one app service port: a frontend on its port (and vhost/path rules on the shared
frontends) and a backend of servers. Splitting a service into its `shape` (everything but the servers)
and its servers is what lets the applier tell a membership change (runtime API, no reload) from a
configuration change (reload).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple


class Server(NamedTuple):
    """One task's endpoint. The name comes from the address, so it is the same across reloads. (A tuple:
    a snapshot makes tens of thousands of them, and a frozen dataclass costs several times more.)"""

    name: str
    address: str
    port: int
    draining: bool = False


@dataclass(frozen=True)
class Check:
    """HAProxy's own check of each server, from the app's first Marathon health check on the port."""

    http_path: str | None  # None: a TCP connect check
    https: bool
    interval: int
    timeout: int
    fall: int


@dataclass(frozen=True)
class Service:
    app_id: str
    name: str  # the frontend's and the backend's name
    bind_port: int
    bind_addr: str
    bind_options: str
    mode: str
    balance: str
    sticky: bool
    vhosts: tuple[str, ...]
    path: str | None
    redirect_to_https: bool
    weight: int
    check: Check | None
    templates: tuple[tuple[str, str], ...]
    servers: tuple[Server, ...]

    def shape(self) -> Service:
        """The service without its servers: equal shapes mean only membership differs."""
        return replace(self, servers=())

    @property
    def runtime_updatable(self) -> bool:
        """Whether its servers can change through HAProxy's runtime API. Debian's HAProxy 2.6 refuses
        ``cookie`` on a dynamic server, and a server template is raw text we cannot translate."""
        return not self.sticky and not self.templates


@dataclass(frozen=True)
class Skip:
    """An app (or one of its service ports) left out of the config, and why."""

    app_id: str
    reason: str  # a short code, the label of the skipped-apps metric
    detail: str


@dataclass(frozen=True)
class Routing:
    services: tuple[Service, ...]
    skipped: tuple[Skip, ...] = ()
