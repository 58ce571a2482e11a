"""Reading thousands of nodes, with a watch on each, in a few requests (the mirror's bulk load).

kazoo sends one request per `get_async`; its per-request cost in Python bounded the mirror's load at ~4,000
nodes/s on this machine (110,000 nodes: ~30 s). ZooKeeper 3.6+ answers many reads in one `multiRead` request,
but its server drops the watch flag of reads inside it. So a batch is read with one multiRead and then watched
with one `SetWatches` request (what clients send after reconnecting): given the zxid the client had seen
*before* the read, the server arms the watch of every node unchanged since, and fires at once the watch of a
node changed or deleted meanwhile — so no change between the read and the watch is lost; at worst a node is
read twice. Neither request exists in kazoo's API: this module builds them on kazoo's request protocol
(`serialize`, `deserialize`, `type`) and registers the callbacks in kazoo's watcher tables, which is what
kazoo's own `get(watch=...)` does on an answer. kazoo forgets those tables on a connection loss, as it does
its own watches; the mirror reloads then.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable, Sequence
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

GET_DATA, GET_CHILDREN, MULTI_READ, SET_WATCHES = 4, 8, 22, 101
BATCH = 500  # reads per request: ~500 task records of ~600 bytes, far below jute.maxbuffer (1 MB)
_INT, _LONG = struct.Struct("!i"), struct.Struct("!q")

Watcher = Callable[[Any], None]


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


class _SetWatches(NamedTuple):
    relative_zxid: int
    data: Sequence[str]
    children: Sequence[str]
    type: int = SET_WATCHES

    def serialize(self) -> bytes:
        out = bytearray(_LONG.pack(self.relative_zxid))
        for paths in (self.data, (), self.children):  # data, exist, child watches
            out += _INT.pack(len(paths))
            for path in paths:
                out += write_string(path)
        return bytes(out)

    def deserialize(self, buffer: bytes, offset: int) -> bool:
        return True  # the answer has no body


class Batch(NamedTuple):
    """One batch in flight: its paths (as given), the read's async result, the watches' (None if unwatched)."""

    paths: Sequence[str]
    read: IAsyncResult
    watch: IAsyncResult | None


def read_watched(client: KazooClient, paths: Sequence[str], children: bool, watcher: Watcher | None) -> list[Batch]:
    """Reads `paths` (their data, or with `children` their child names) in batches and leaves `watcher` on
    each, as `get_async(path, watch=watcher)` / `get_children_async` would (no watches with None);
    `answers(batch)` gives the results once `batch.read` is ready."""
    chroot = client.chroot or ""
    table = client._child_watchers if children else client._data_watchers  # kazoo internals: see the module docstring
    batches = []
    for start in range(0, len(paths), BATCH):
        batch = paths[start:start + BATCH]
        wire = [chroot + path for path in batch]
        seen_before = client.last_zxid  # a node changed after it fires at once: read again, never missed
        read = client.handler.async_result()
        client._call(_MultiRead(GET_CHILDREN if children else GET_DATA, wire), read)
        watch = None
        if watcher is not None:
            for path in wire:
                table[path].add(watcher)
            watch = client.handler.async_result()
            client._call(_SetWatches(seen_before, [] if children else wire, wire if children else []), watch)
        batches.append(Batch(batch, read, watch))
    return batches


def read_all(client: KazooClient, paths: Sequence[str], children: bool, timeout: float) -> list[tuple[str, Any]]:
    """`(path, bytes | child names | KazooException)` for every path, read in batches without watches (e.g. a
    new leader loading 100,000 task records). Raises the handler's timeout error (KazooTimeoutError) if an
    answer takes over `timeout`."""
    batches = read_watched(client, paths, children, None)
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
