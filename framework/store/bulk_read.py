"""Reading thousands of nodes in a few requests (the mirror's load, a new leader's task records).

kazoo sends one request per `get_async`; its per-request cost in Python bounded the mirror's load at ~4,000
nodes/s on this machine (110,000 nodes: ~30 s). ZooKeeper 3.6+ answers many reads in one `multiRead` request,
which kazoo's API lacks: this module builds it on kazoo's request protocol (`serialize`, `deserialize`,
`type`). Its reads leave no watches (the server drops their watch flag): the mirror follows changes with
persistent recursive watches armed before it reads (framework.store.watches).
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Sequence
from typing import Any, NamedTuple

from kazoo.client import KazooClient
from kazoo.exceptions import EXCEPTIONS, KazooException
from kazoo.interfaces import IAsyncResult
from kazoo.protocol.serialization import (
    MultiHeader,
    multiheader_struct,
    read_buffer,
    read_string,
    stat_struct,
    write_string,
)

GET_DATA, GET_CHILDREN, MULTI_READ = 4, 8, 22
BATCH = 500  # reads per request: ~500 task records of ~600 bytes, far below jute.maxbuffer (1 MB)
_INT = struct.Struct("!i")


class _MultiRead(NamedTuple):
    """Reads of one kind (GET_DATA: bytes per path; GET_CHILDREN: names per path), without watches; a path
    that fails (typically deleted meanwhile) answers its KazooException instead."""

    kind: int
    paths: Sequence[str]
    type: int = MULTI_READ

    def serialize(self) -> bytes:
        out = bytearray()
        for path in self.paths:
            out += MultiHeader(self.kind, False, -1).serialize() + write_string(path) + b"\x00"
        return bytes(out + multiheader_struct.pack(-1, True, -1))

    def deserialize(self, buffer: bytes, offset: int) -> list[Any]:
        results: list[Any] = []
        header, offset = MultiHeader.deserialize(buffer, offset)
        while not header.done:
            if header.type == GET_DATA:
                data, offset = read_buffer(buffer, offset)
                offset += stat_struct.size
                results.append(data)
            elif header.type == GET_CHILDREN:
                count = _INT.unpack_from(buffer, offset)[0]
                offset += _INT.size
                names = []
                for _ in range(max(count, 0)):
                    name, offset = read_string(buffer, offset)
                    names.append(name)
                results.append(names)
            else:  # -1: an error for this read
                results.append(EXCEPTIONS[_INT.unpack_from(buffer, offset)[0]]())
                offset += _INT.size
            header, offset = MultiHeader.deserialize(buffer, offset)
        return results


class Batch(NamedTuple):
    """One batch in flight: its paths (as given) and the read's async result."""

    paths: Sequence[str]
    read: IAsyncResult


def read_batches(client: KazooClient, paths: Sequence[str], children: bool) -> list[Batch]:
    """Reads `paths` (their data, or with `children` their child names) in batches of BATCH, without
    waiting; `answers(batch)` gives the results once `batch.read` is ready."""
    chroot = client.chroot or ""
    batches = []
    for start in range(0, len(paths), BATCH):
        batch = paths[start:start + BATCH]
        read = client.handler.async_result()
        client._call(_MultiRead(GET_CHILDREN if children else GET_DATA, [chroot + path for path in batch]), read)
        batches.append(Batch(batch, read))
    return batches


def read_all(client: KazooClient, paths: Sequence[str], children: bool, timeout: float) -> list[tuple[str, Any]]:
    """`(path, bytes | child names | KazooException)` for every path, read in batches without watches (e.g. a
    new leader loading 100,000 task records). Raises the handler's timeout error (KazooTimeoutError) if an
    answer takes over `timeout`."""
    batches = read_batches(client, paths, children)
    for batch in batches:
        with contextlib.suppress(KazooException):  # answered per path by `answers`
            batch.read.get(timeout=timeout)
    return [answer for batch in batches for answer in answers(batch)]


def answers(batch: Batch) -> list[tuple[str, Any]]:
    """`(path, bytes | child names | KazooException)` per path of a finished batch; a failed request
    (connection lost) answers its error for every path."""
    try:
        results = batch.read.get()
    except KazooException as error:
        results = [error] * len(batch.paths)
    return list(zip(batch.paths, results, strict=True))
