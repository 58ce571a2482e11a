"""Stored API passwords: salted scrypt hashes (werkzeug's), the legacy forms still read, and a helper that
prints a users entry for the auth file.

    .venv/bin/python -m api.passwords ops --level admin     # asks for the password, prints the JSON entry

An entry holds ``passwordHash`` (werkzeug's ``scrypt:N:r:p$salt$hex``). Files written before it hold
``passwordSha256`` (unsalted hex digest) or ``password`` (clear text): still accepted, with a warning at
load naming the user, until the entry is rewritten with this helper.

scrypt costs ~150 ms and 32 MB per check, by design; paying that on every request of a client that sends
Basic credentials each time would make the API slow, so a password once verified is remembered as an HMAC
under a random per-process key (never the password), and later requests compare against that.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import hashlib
import hmac
import json
import secrets
import sys
import threading
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

METHOD = "scrypt"
HASHED, SHA256, PLAIN = "passwordHash", "passwordSha256", "password"
LEGACY = (SHA256, PLAIN)


def hash_password(password: str) -> str:
    """A salted scrypt hash in werkzeug's self-describing format."""
    return generate_password_hash(password, method=METHOD)


@dataclass(frozen=True)
class StoredPassword:
    """One user's stored secret: ``kind`` is the auth file's key it came from (HASHED or a LEGACY one)."""

    kind: str
    secret: str

    @classmethod
    def from_entry(cls, entry: dict) -> StoredPassword:
        """Raises KeyError when the entry holds none of the three keys."""
        for kind in (HASHED, SHA256, PLAIN):
            if kind in entry:
                secret = entry[kind]
                return cls(kind, secret.lower() if kind == SHA256 else secret)
        raise KeyError(f"user {entry.get('name')!r} has no {HASHED}")

    @property
    def legacy(self) -> bool:
        return self.kind in LEGACY

    def matches(self, password: str) -> bool:
        """Slow for HASHED entries (scrypt); constant-time comparison in every case."""
        if self.kind == HASHED:
            return check_password_hash(self.secret, password)
        if self.kind == SHA256:
            return hmac.compare_digest(hashlib.sha256(password.encode()).hexdigest(), self.secret)
        return hmac.compare_digest(password.encode(), self.secret.encode())


@functools.cache
def _decoy() -> StoredPassword:
    """Checked against for unknown user names, so that they take as long as known ones (made on first use:
    hashing at import would slow every import)."""
    return StoredPassword(HASHED, hash_password(secrets.token_hex(16)))


class Verifier:
    """Checks user passwords against their stored secrets, remembering the last one verified per user as
    an HMAC under a per-process key (see the module docstring). Thread-safe."""

    def __init__(self, stored: dict[str, StoredPassword]) -> None:
        self._stored = stored
        self._key = secrets.token_bytes(32)
        self._verified: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def check(self, name: str, password: str) -> bool:
        digest = hmac.new(self._key, password.encode(), hashlib.sha256).digest()
        with self._lock:
            known = self._verified.get(name)
        if known is not None and hmac.compare_digest(known, digest):
            return True
        stored = self._stored.get(name)
        if stored is None:
            _decoy().matches(password)
            return False
        if not stored.matches(password):
            return False
        with self._lock:
            self._verified[name] = digest  # bounded: only configured names get here
        return True


def user_entry(name: str, password: str, level: str, prefix: str) -> dict:
    """A ``users`` item of the auth file."""
    return {"name": name, HASHED: hash_password(password), "permissions": [{"prefix": prefix, "level": level}]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.passwords",
                                     description="Print an auth-file users entry with a salted scrypt hash.")
    parser.add_argument("name")
    parser.add_argument("--level", choices=("read", "write", "admin"), default="read")
    parser.add_argument("--prefix", default="/", help="app id prefix the permission covers")
    args = parser.parse_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
    else:  # piped: the first line
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        parser.error("empty password")
    print(json.dumps(user_entry(args.name, password, args.level, args.prefix)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
