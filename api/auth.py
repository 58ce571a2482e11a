"""Optional authentication and per-app-id-prefix authorization, configured by a JSON file.

The file (``--auth-file``) looks like::

    {"users":  [{"name": "ops", "passwordHash": "scrypt:32768:8:1$...",
                 "permissions": [{"prefix": "/", "level": "admin"}]}],
     "tokens": [{"token": "ci-token", "name": "ci", "permissions": [{"prefix": "/ci", "level": "write"}]}]}

``passwordHash`` is a salted scrypt hash: ``python -m api.passwords ops --level admin`` prints the entry
(api/passwords.py). Older files with ``passwordSha256`` (unsalted hex digest) or ``password`` (clear text)
still work; each such user is named in a warning at load until rehashed.
Levels are ordered read < write < admin; a permission on ``/team`` covers ``/team`` and ``/team/...``.
Without a file, auth is off (the local stack's default). Credentials are compared in constant time and
never logged: only the principal's name is.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, g, request

from api.errors import ApiError
from api.passwords import StoredPassword, Verifier

log = logging.getLogger(__name__)

LEVELS = {"read": 1, "write": 2, "admin": 3}
# Marathon's wording for the two refusals.
UNAUTHENTICATED = "Invalid username or password."
FORBIDDEN = "Not Authorized to perform this action!"
OPEN_PATHS = ("/ping", "/v2/openapi.json", "/openapi.json")


@dataclass(frozen=True)
class Permission:
    prefix: str
    level: int

    def covers(self, path: str, level: int) -> bool:
        if level > self.level:
            return False
        base = self.prefix.rstrip("/")
        return not base or path == base or path.startswith(base + "/")


@dataclass(frozen=True)
class Principal:
    name: str
    permissions: tuple[Permission, ...] = field(default_factory=tuple)

    def allows(self, level: str, path: str = "/") -> bool:
        wanted = LEVELS[level]
        return any(permission.covers(path or "/", wanted) for permission in self.permissions)

    def allows_any(self, level: str) -> bool:
        """True when the principal may act at this level somewhere (for endpoints not tied to one id)."""
        return any(permission.level >= LEVELS[level] for permission in self.permissions)


class AuthConfig:
    """Users and tokens read from the JSON file; raises ValueError for a malformed file."""

    def __init__(self, data: dict) -> None:
        self.users: dict[str, Principal] = {}
        self.tokens: list[tuple[bytes, Principal]] = []
        stored: dict[str, StoredPassword] = {}
        for user in data.get("users", []):
            name = user["name"]
            self.users[name] = Principal(name, _permissions(user))
            stored[name] = StoredPassword.from_entry(user)
            if stored[name].legacy:
                log.warning("auth file: user %s has an unsalted %s; rehash it with "
                            "`python -m api.passwords %s` and replace the entry", name, stored[name].kind, name)
        self._passwords = Verifier(stored)
        for entry in data.get("tokens", []):
            self.tokens.append((entry["token"].encode(), Principal(entry.get("name", "token"), _permissions(entry))))

    @classmethod
    def load(cls, path: str | Path) -> AuthConfig:
        return cls(json.loads(Path(path).read_text()))

    def authenticate(self, header: str | None) -> Principal | None:
        """The principal of an Authorization header, or None when it proves nothing."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            return self._basic(value.strip())
        if scheme == "bearer" or scheme == "token":
            offered = value.strip().encode()
            for token, principal in self.tokens:
                if hmac.compare_digest(token, offered):
                    return principal
        return None

    def _basic(self, value: str) -> Principal | None:
        try:
            name, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return self.users[name] if self._passwords.check(name, password) else None


def _permissions(entry: dict) -> tuple[Permission, ...]:
    return tuple(Permission(p.get("prefix", "/"), LEVELS[p.get("level", "read")])
                 for p in entry.get("permissions", []))


def init_app(app: Flask) -> None:
    """Authenticates every request when the app's config names an auth file or holds AUTH data."""
    config = app.config.get("AUTH")
    if config is None and app.config.get("AUTH_FILE"):
        config = AuthConfig.load(app.config["AUTH_FILE"])
    elif isinstance(config, dict):
        config = AuthConfig(config)
    app.extensions["balalaika.auth"] = config

    @app.before_request
    def _authenticate() -> None:
        g.principal = None
        if config is None or request.path in OPEN_PATHS:
            return
        principal = config.authenticate(request.headers.get("Authorization"))
        if principal is None:
            raise ApiError(401, UNAUTHENTICATED, headers={"WWW-Authenticate": 'Basic realm="Balalaika"'})
        g.principal = principal


def require(level: str, path: str | None = None) -> None:
    """Raises ApiError(403) unless the caller may act at ``level`` on ``path`` (any path when None)."""
    principal = g.get("principal")
    if principal is None:
        return
    allowed = principal.allows_any(level) if path is None else principal.allows(level, path)
    if not allowed:
        log.info("forbidden: %s wanted %s on %s", principal.name, level, path or "*")
        raise ApiError(403, FORBIDDEN)


def visible(path: str) -> bool:
    """True when the caller may read ``path`` (lists leave out what the caller may not see)."""
    principal = g.get("principal")
    return principal is None or principal.allows("read", path)
