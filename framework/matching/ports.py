"""Host port assignment from an offer's free port ranges.

Exact ports (``requirePorts``, or a non-zero ``hostPort`` in BRIDGE/USER mode) are taken first so that
dynamic ports cannot steal them; dynamic ports (requested as 0) then come from what is left. Without a
random generator the lowest free ports are used, which keeps results reproducible; the scheduler may
pass a ``random.Random`` to spread ports like Marathon does (fewer clashes with ports just released).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from framework.matching.reasons import NOT_ENOUGH_PORTS, Rejection, ports_rejection
from framework.matching.resources import Ranges, count_ports


@dataclass(frozen=True)
class PortAssignment:
    ports: tuple[int, ...]  # parallel to the requests
    remaining: Ranges  # the free ranges after taking ``ports``


def contains(ranges: Ranges, port: int) -> bool:
    return any(b <= port <= e for b, e in ranges)


def remove_port(ranges: Ranges, port: int) -> Ranges:
    """``ranges`` without ``port`` (which must be inside)."""
    out: list[tuple[int, int]] = []
    for b, e in ranges:
        if b <= port <= e:
            if b < port:
                out.append((b, port - 1))
            if port < e:
                out.append((port + 1, e))
        else:
            out.append((b, e))
    return tuple(out)


def nth_port(ranges: Ranges, n: int) -> int:
    """The n-th free port (0-based) counting through the ranges in order."""
    for b, e in ranges:
        size = e - b + 1
        if n < size:
            return b + n
        n -= size
    raise IndexError(n)


def take_lowest(ranges: Ranges, k: int) -> tuple[list[int], Ranges]:
    """The ``k`` lowest free ports and the ranges left (``k`` must not exceed the free count)."""
    b, e = ranges[0] if ranges else (1, 0)
    if k <= e - b + 1:  # the usual case: the first range has enough, and a matcher calls this per placement
        rest = ranges[1:] if b + k > e else ((b + k, e), *ranges[1:])
        return list(range(b, b + k)), rest
    taken: list[int] = []
    rest = list(ranges)
    while len(taken) < k:
        b, e = rest[0]
        n = min(k - len(taken), e - b + 1)
        taken.extend(range(b, b + n))
        if b + n > e:
            rest.pop(0)
        else:
            rest[0] = (b + n, e)
    return taken, tuple(rest)


def assign_ports(
    requests: Sequence[int], free: Ranges, *, rng: random.Random | None = None
) -> PortAssignment | Rejection:
    """Host ports for ``requests`` (0 = any) out of ``free``, or why not.

    Returns a Rejection (code InsufficientPorts) when an exact port is not free, the same exact port
    is requested twice, or there are fewer free ports than dynamic requests.
    """
    if not requests:
        return PortAssignment((), free)
    assigned: list[int] = [0] * len(requests)
    remaining = free
    dynamic: list[int] = []
    for i, want in enumerate(requests):
        if want == 0:
            dynamic.append(i)
            continue
        if not contains(remaining, want):
            return ports_rejection(f"host port {want} is not offered or already in use")
        remaining = remove_port(remaining, want)
        assigned[i] = want
    if dynamic:
        available = count_ports(remaining)
        if available < len(dynamic):
            return NOT_ENOUGH_PORTS
        if rng is None:
            picked, remaining = take_lowest(remaining, len(dynamic))
        else:
            picked = []
            for _ in dynamic:
                port = nth_port(remaining, rng.randrange(available))
                remaining = remove_port(remaining, port)
                available -= 1
                picked.append(port)
        for i, port in zip(dynamic, picked, strict=True):
            assigned[i] = port
    return PortAssignment(tuple(assigned), remaining)
