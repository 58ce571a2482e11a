"""Errors raised by the store; callers map them to HTTP answers (404, 409) or to retries."""

from __future__ import annotations


class StoreError(Exception):
    """Anything the store cannot do: a bad id, an oversized node, ZooKeeper refusing (NoAuth), ..."""


class Conflict(StoreError):
    """A compare-and-set lost: the node changed since it was read, or it already exists."""


class NotFound(StoreError):
    """The node the operation needs does not exist."""


class TooLarge(StoreError):
    """A value too large for one node: the caller's data is at fault, not ZooKeeper (a 422, not a 503)."""
