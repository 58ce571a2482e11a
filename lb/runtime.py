"""Membership changes as HAProxy runtime API commands, so that scaling never reloads. Pure.

When two routings differ only in the servers of their backends (scaling, a replaced task, a task going
healthy, unhealthy or draining), `membership_commands` returns the commands that turn the running
HAProxy's servers into the new ones; when anything else differs it returns None and the caller reloads.

A removed server is put in maintenance (no new requests; requests in flight finish) and then deleted;
HAProxy refuses to delete a server that still has connections, so such a server *lingers* in
maintenance and the caller retries the deletion later. A lingering server whose address comes back is
made ready again instead of added (its name, from its address, is still taken).
"""

from __future__ import annotations

from collections.abc import Iterable

from lb.model import Routing, Server, Service
from lb.render import server_options

Lingering = frozenset[tuple[str, str]]  # (backend, server) kept in maintenance until it can be deleted


def membership_commands(old: Routing, new: Routing, lingering: Lingering = frozenset()) -> list[str] | None:
    if len(old.services) != len(new.services):
        return None
    commands: list[str] = []
    for before, after in zip(old.services, new.services, strict=True):
        if before is after:  # an app that did not change keeps its built services
            continue
        if before.shape() != after.shape():
            return None
        if before.servers == after.servers:
            continue
        if not after.runtime_updatable:
            return None
        commands += _server_commands(after, before.servers, after.servers, lingering)
    return commands


def deletions(commands: Iterable[str]) -> list[tuple[str, str]]:
    """The (backend, server) pairs that `commands` delete."""
    found = []
    for command in commands:
        if command.startswith("del server "):
            backend, _, server = command.removeprefix("del server ").partition("/")
            found.append((backend, server))
    return found


def _server_commands(service: Service, before: Iterable[Server], after: Iterable[Server],
                     lingering: Lingering) -> list[str]:
    old = {server.name: server for server in before}
    new = {server.name: server for server in after}
    backend = service.name
    commands: list[str] = []
    for name in sorted(set(old) - set(new)):
        commands += [f"set server {backend}/{name} state maint", f"del server {backend}/{name}"]
    for name in sorted(set(new) - set(old)):
        server = new[name]
        if (backend, name) in lingering:
            commands += _state_commands(backend, name, server.draining)
            continue
        commands.append(f"add server {backend}/{name} {server_options(service, server)}")
        if service.check is not None:
            commands.append(f"enable health {backend}/{name}")
        commands.append(f"enable server {backend}/{name}")
    for name in sorted(set(old) & set(new)):
        if old[name].draining != new[name].draining:
            commands += _state_commands(backend, name, new[name].draining)
    return commands


def _state_commands(backend: str, name: str, draining: bool) -> list[str]:
    """Draining is HAProxy's drain state; ready also restores the weight, since a server that was
    draining at the last reload was written with ``weight 0``."""
    if draining:
        return [f"set server {backend}/{name} state drain"]
    return [f"set server {backend}/{name} state ready", f"set weight {backend}/{name} 1"]
