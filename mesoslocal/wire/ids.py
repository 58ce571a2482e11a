"""Identifiers in Mesos's formats: `<masterId>-0000` frameworks, `-S<n>` agents, `-O<n>` offers (notes C3)."""

from __future__ import annotations

import base64
import itertools
import uuid


def new_master_id() -> str:
    return str(uuid.uuid4())


def new_stream_id() -> str:
    return str(uuid.uuid4())


def new_update_uuid() -> str:
    """A status-update uuid as it travels in v1 JSON: 16 random bytes, standard base64 with padding."""
    return base64.b64encode(uuid.uuid4().bytes).decode("ascii")


def is_update_uuid(value: object) -> bool:
    """True when `value` is base64 of exactly 16 bytes."""
    if not isinstance(value, str):
        return False
    try:
        return len(base64.b64decode(value, validate=True)) == 16
    except ValueError:
        return False


class IdGenerator:
    """Monotonic counters under one master id; a restarted master gets a new id, so ids never repeat."""

    def __init__(self, master_id: str) -> None:
        self.master_id = master_id
        self._frameworks = itertools.count()
        self._agents = itertools.count()
        self._offers = itertools.count()

    def framework(self) -> str:
        return f"{self.master_id}-{next(self._frameworks):04d}"

    def agent(self) -> str:
        return f"{self.master_id}-S{next(self._agents)}"

    def offer(self) -> str:
        return f"{self.master_id}-O{next(self._offers)}"
