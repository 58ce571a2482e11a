"""How many /v2/events streams are open, per client address and in all, across the workers of one server.

gunicorn's workers each accept connections from the same socket, so a per-worker count would let a client
open `workers` times its share. The counts live in shared memory made by the master before it forks the
workers: one row per worker slot, one column per address bucket (an address hashes to a bucket; two
addresses sharing one share its budget, which with 4,096 buckets is rare) plus a column for the total.
A worker claims a slot at its first stream; a worker that died (killed, restarted by gunicorn) leaves its
row to the next worker that claims a slot, and rows of dead workers are not counted, so nothing leaks.
"""

from __future__ import annotations

import multiprocessing
import os
import zlib
from dataclasses import dataclass

BUCKETS = 4096
TOTAL = BUCKETS  # the last column of a row


@dataclass(frozen=True)
class Refusal:
    """Why a stream is refused: the limit reached and whose (a client address, or every client's)."""

    limit: int
    address: str | None

    @property
    def message(self) -> str:
        if self.address is None:
            return f"Too many event streams open on this server (limit {self.limit}); try again later"
        return f"Too many event streams open from {self.address} (limit {self.limit} per client); close some"


class StreamQuota:
    """Counts streams per address bucket and in all, for up to `slots` concurrently living worker processes."""

    def __init__(self, per_client: int, total: int, slots: int) -> None:
        if per_client < 1 or total < 1:
            raise ValueError("stream limits must be at least 1")
        self.per_client = per_client
        self.total = total
        self._slots = slots
        self._counts = multiprocessing.RawArray("i", slots * (BUCKETS + 1))
        self._owners = multiprocessing.RawArray("i", slots)
        self._lock = multiprocessing.Lock()
        self._slot: int | None = None
        self._slot_pid = 0

    def acquire(self, address: str) -> Refusal | None:
        """Counts one more stream from `address`, or says why not (nothing counted then)."""
        bucket = _bucket(address)
        with self._lock:
            row = self._row()
            living = self._living_rows()
            if self._sum(living, TOTAL) >= self.total:
                return Refusal(self.total, None)
            if self._sum(living, bucket) >= self.per_client:
                return Refusal(self.per_client, address)
            self._counts[row + bucket] += 1
            self._counts[row + TOTAL] += 1
        return None

    def release(self, address: str) -> None:
        """Forgets one stream of `address` that this process acquired."""
        with self._lock:
            row = self._row()
            self._counts[row + _bucket(address)] -= 1
            self._counts[row + TOTAL] -= 1

    def _row(self) -> int:
        """This process's row offset, claiming a free slot (or one of a dead process) the first time."""
        pid = os.getpid()
        if self._slot is None or self._slot_pid != pid:
            free = next((slot for slot in range(self._slots) if not _alive(self._owners[slot])), None)
            if free is None:
                raise RuntimeError("more worker processes than stream-quota slots")
            start = free * (BUCKETS + 1)
            self._counts[start:start + BUCKETS + 1] = [0] * (BUCKETS + 1)
            self._owners[free] = pid
            self._slot, self._slot_pid = free, pid
        return self._slot * (BUCKETS + 1)

    def _living_rows(self) -> list[int]:
        return [slot * (BUCKETS + 1) for slot in range(self._slots) if _alive(self._owners[slot])]

    def _sum(self, rows: list[int], column: int) -> int:
        return sum(self._counts[row + column] for row in rows)


def _bucket(address: str) -> int:
    return zlib.crc32(address.encode()) % BUCKETS


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
