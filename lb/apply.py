"""Puts a routing into the running HAProxy: nothing when nothing changed, the runtime API when only
servers changed, a checked hitless reload otherwise.

The config file is always rewritten to match, so the next start or reload serves what runs now. A
reload is preceded by ``haproxy -c`` on the new text; if it fails, apps with raw templates (the only
text we did not build ourselves) are tried one at a time and the failing ones are skipped, so one bad
template does not stop every other update (Marathon-LB's mlb#234).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lb.model import Routing, Skip
from lb.render import Edge, render
from lb.runtime import Lingering, deletions, membership_commands

log = logging.getLogger(__name__)

UNCHANGED, RUNTIME, RELOAD = "unchanged", "runtime", "reload"
_OK_ANSWERS = ("", "New server registered.", "Server deleted.")


class ApplyError(RuntimeError):
    """HAProxy refused the configuration even without any app's templates: the old one stays."""


class HAProxyControl(Protocol):
    def runtime_command(self, command: str) -> str: ...

    def reload(self) -> None: ...


@dataclass
class Applier:
    """Owns what the running HAProxy was given: the routing, its text, and servers lingering in
    maintenance until HAProxy lets us delete them."""

    config_path: Path
    edge: Edge
    haproxy: HAProxyControl | None  # None until HAProxy runs (the first config is written before its start)
    check: Callable[[Path], None]  # raises with HAProxy's message when a config file is invalid
    routing: Routing | None = None
    text: str | None = None
    lingering: set[tuple[str, str]] = field(default_factory=set)

    def apply(self, routing: Routing) -> tuple[str, Routing]:
        """Returns what was done and the routing in effect (apps whose templates broke the config are
        skipped in it). Raises ApplyError when HAProxy refuses even our own text."""
        text = render(routing, self.edge)
        if text == self.text:  # the same config; what changed, if anything, is which apps are skipped
            self.routing = routing
            self.retry_deletions()
            return UNCHANGED, routing
        if self.haproxy is not None and self.routing is not None:
            commands = membership_commands(self.routing, routing, frozenset(self.lingering))
            if commands is not None and self._run(commands):
                self._write(self.config_path, text)
                self.routing, self.text = routing, text
                self.retry_deletions()
                return RUNTIME, routing
        routing, text = self._valid(routing, text)
        if text == self.text:  # the change was only in apps whose templates HAProxy refuses again
            self.routing = routing
            return UNCHANGED, routing
        self._write(self.config_path, text)
        if self.haproxy is not None:
            self.haproxy.reload()
        self.routing, self.text = routing, text
        self.lingering.clear()  # a reload starts every server from the file
        return RELOAD, routing

    def retry_deletions(self) -> None:
        """Deletes lingering servers that have no connections left."""
        if self.haproxy is None:
            return
        for backend, server in sorted(self.lingering):
            answer = self.haproxy.runtime_command(f"del server {backend}/{server}").strip()
            if "still" not in answer:  # deleted, or gone already
                self.lingering.discard((backend, server))

    def _run(self, commands: list[str]) -> bool:
        """Sends the commands in order; False (so the caller reloads) when HAProxy refuses one."""
        assert self.haproxy is not None
        deleted = dict(zip((f"del server {b}/{s}" for b, s in deletions(commands)), deletions(commands), strict=True))
        for command in commands:
            answer = self.haproxy.runtime_command(command).strip()
            if command in deleted:
                if answer != "Server deleted." and "No such server" not in answer:
                    self.lingering.add(deleted[command])
                continue
            if answer not in _OK_ANSWERS:
                log.warning("HAProxy refused %r (%s); reloading instead", command, answer)
                return False
            if command.startswith("set server "):  # a lingering server back in service is no longer to delete
                backend, _, rest = command.removeprefix("set server ").partition("/")
                self.lingering.discard((backend, rest.split()[0]))
        return True

    def _valid(self, routing: Routing, text: str) -> tuple[Routing, str]:
        """The routing and text, minus the templated apps HAProxy refuses."""
        try:
            self._check_text(text)
            return routing, text
        except Exception as error:
            first_error = error
        templated = sorted({s.app_id for s in routing.services if s.templates})
        base = [s for s in routing.services if not s.templates]
        try:
            self._check_text(render(Routing(tuple(base)), self.edge))
        except Exception:
            raise ApplyError(f"HAProxy refuses the configuration: {first_error}") from first_error
        bad: dict[str, str] = {}
        for app_id in templated:
            trial = Routing(tuple(base + [s for s in routing.services if s.app_id == app_id]))
            try:
                self._check_text(render(trial, self.edge))
            except Exception as error:
                bad[app_id] = str(error).splitlines()[0] if str(error) else "invalid"
                log.warning("app %s: its templates make the HAProxy config invalid: %s", app_id, bad[app_id])
        kept = Routing(tuple(s for s in routing.services if s.app_id not in bad),
                       routing.skipped + tuple(Skip(a, "invalid-template", why) for a, why in bad.items()))
        return kept, render(kept, self.edge)

    def _check_text(self, text: str) -> None:
        candidate = self.config_path.with_name(self.config_path.name + ".check")
        candidate.write_text(text)
        try:
            self.check(candidate)
        finally:
            candidate.unlink(missing_ok=True)

    @staticmethod
    def _write(path: Path, text: str) -> None:
        """Atomically: HAProxy (or an operator) never reads half a file."""
        partial = path.with_name(path.name + ".new")
        partial.write_text(text)
        os.replace(partial, path)


__all__ = ["RELOAD", "RUNTIME", "UNCHANGED", "ApplyError", "Applier", "Lingering"]
