"""Compact JSON for node data, with a size guard far below ZooKeeper's 1 MB jute.maxbuffer."""

from __future__ import annotations

import json
from typing import Any

from framework.store.errors import TooLarge

# ZooKeeper refuses packets above jute.maxbuffer (~1 MB) and then drops the connection, which every
# client on the session feels. Refuse early and clearly instead.
MAX_NODE_BYTES = 512 * 1024
# The same limit applies to a whole multi-op request (jute.maxbuffer is 1 MB by default): Nodes.commit
# refuses requests above this, and staged writes cut theirs at framework.store.staged.TX_BYTES.
MAX_REQUEST_BYTES = 960 * 1024


def encode(value: Any, *, what: str = "node") -> bytes:
    """Compact JSON; raises TooLarge above MAX_NODE_BYTES."""
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > MAX_NODE_BYTES:
        raise TooLarge(f"{what} is {len(data)} bytes of JSON, above the {MAX_NODE_BYTES}-byte limit per node")
    return data


def decode(data: bytes) -> Any:
    return json.loads(data) if data else None
