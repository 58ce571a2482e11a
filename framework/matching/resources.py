"""Offer resources as immutable values, in Mesos's fixed-point arithmetic.

Mesos keeps scalar resources with three decimal digits (it rounds ``value * 1000`` to an integer), so
0.1 + 0.2 cpus is exactly 0.3 there. Floats would make a 0.3-cpu offer refuse a 0.1 and a 0.2 task;
here every scalar is an ``int`` of thousandths ("milli") and arithmetic is exact.

Port ranges are tuples of inclusive ``(begin, end)`` pairs, sorted and merged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from framework.matching.reasons import (
    INSUFFICIENT_CPUS,
    INSUFFICIENT_DISK,
    INSUFFICIENT_GPUS,
    INSUFFICIENT_MEMORY,
    Rejection,
)

Ranges = tuple[tuple[int, int], ...]
UNRESERVED = "*"


def to_fixed(value: float) -> int:
    """A scalar in thousandths, rounded half away from zero like Mesos's llround."""
    scaled = value * 1000
    return math.floor(scaled + 0.5) if scaled >= 0 else -math.floor(-scaled + 0.5)


def from_fixed(milli: int) -> float:
    return milli / 1000


def format_scalar(value: float) -> str:
    """A scalar as Mesos prints it: fixed-point to 3 decimals, then C++ ostream's default (%g) form."""
    return format(from_fixed(to_fixed(value)), "g")


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> Ranges:
    if isinstance(ranges, list) and len(ranges) == 1 and ranges[0][0] <= ranges[0][1]:
        return ((int(ranges[0][0]), int(ranges[0][1])),)
    out: list[list[int]] = []
    for begin, end in sorted((int(b), int(e)) for b, e in ranges):
        if end < begin:
            continue
        if out and begin <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([begin, end])
    return tuple((b, e) for b, e in out)


def ranges_of_ports(ports: Iterable[int]) -> Ranges:
    spans: list[tuple[int, int]] = []
    for port in sorted(ports):
        if spans and port <= spans[-1][1] + 1:
            if port > spans[-1][1]:
                spans[-1] = (spans[-1][0], port)
        else:
            spans.append((port, port))
    return tuple(spans)


def count_ports(ranges: Ranges) -> int:
    if len(ranges) == 1:
        return ranges[0][1] - ranges[0][0] + 1
    return sum(e - b + 1 for b, e in ranges)


def flatten_attribute(attribute: Mapping[str, Any]) -> str:
    """One agent attribute as the string constraints compare against (Marathon's formatting:
    TEXT as is, SCALAR like Mesos prints it, RANGES ``[a-b,c-d]``, SET ``{a,b}`` sorted)."""
    kind = attribute.get("type")
    if kind == "SCALAR":
        return format_scalar(attribute["scalar"]["value"])
    if kind == "RANGES":
        spans = sorted(attribute.get("ranges", {}).get("range", []), key=lambda r: r["begin"])
        return "[" + ",".join(f"{r['begin']}-{r['end']}" for r in spans) + "]"
    if kind == "SET":
        return "{" + ",".join(sorted(attribute.get("set", {}).get("item", []))) + "}"
    return str(attribute.get("text", {}).get("value", ""))


def flatten_attributes(offer: Mapping[str, Any]) -> dict[str, str]:
    """Offer attributes by name; the fault domain, if any, appears as ``@region`` and ``@zone``."""
    attrs = {a["name"]: flatten_attribute(a) for a in offer.get("attributes") or []}
    domain = (offer.get("domain") or {}).get("fault_domain") or {}
    for key in ("region", "zone"):
        name = (domain.get(key) or {}).get("name")
        if name is not None:
            attrs["@" + key] = name
    return attrs


class ResourceNeed(NamedTuple):
    """What one task takes, in thousandths."""

    cpus: int
    mem: int
    disk: int
    gpus: int

    @classmethod
    def of(cls, cpus: float, mem: float, disk: float = 0.0, gpus: float = 0) -> ResourceNeed:
        return cls(to_fixed(cpus), to_fixed(mem), to_fixed(disk), to_fixed(gpus))


class OfferResources(NamedTuple):
    """The resources of one role in an offer (an offer holds one per role, usually only ``*``).

    Immutable; a NamedTuple rather than a frozen dataclass because the matcher makes one per placement.
    """

    role: str = UNRESERVED
    cpus: int = 0
    mem: int = 0
    disk: int = 0
    gpus: int = 0
    ports: Ranges = ()

    def shortfall(self, need: ResourceNeed) -> Rejection | None:
        """The first scalar that does not fit, in Marathon's reporting order, or None."""
        if need.cpus > self.cpus:
            return INSUFFICIENT_CPUS
        if need.mem > self.mem:
            return INSUFFICIENT_MEMORY
        if need.disk > self.disk:
            return INSUFFICIENT_DISK
        if need.gpus > self.gpus:
            return INSUFFICIENT_GPUS
        return None

    def fits(self, need: ResourceNeed) -> bool:
        return self.shortfall(need) is None

    def subtract(self, need: ResourceNeed, remaining_ports: Ranges | None = None) -> OfferResources:
        """What is left after ``need``; raises ValueError if it does not fit (a caller bug)."""
        if not self.fits(need):
            raise ValueError(f"{need} does not fit in {self}")
        return OfferResources(
            self.role,
            self.cpus - need.cpus,
            self.mem - need.mem,
            self.disk - need.disk,
            self.gpus - need.gpus,
            self.ports if remaining_ports is None else remaining_ports,
        )


def _role(resource: Mapping[str, Any]) -> str:
    reservations = resource.get("reservations")
    if reservations:
        return str(reservations[-1].get("role", UNRESERVED))
    return resource.get("role") or UNRESERVED


_SCALARS = ("cpus", "mem", "disk", "gpus")
_SCALAR_INDEX = {name: i for i, name in enumerate(_SCALARS)}


def parse_resources(resources: Sequence[Mapping[str, Any]]) -> tuple[OfferResources, ...]:
    """Pools by role: reserved roles first (sorted), the unreserved ``*`` pool last.

    Disks with a ``disk`` source or persistence (MOUNT/PATH disks, persistent volumes) are left out:
    they cannot be split between tasks and apps here do not ask for them.
    """
    pools: dict[str, list] = {}  # role -> [cpus, mem, disk, gpus, [ranges]]
    for res in resources:
        name = res.get("name")
        index = _SCALAR_INDEX.get(name)  # type: ignore[arg-type]
        if index is None and name != "ports":
            continue
        role = _role(res) if "reservations" in res else res.get("role") or UNRESERVED
        pool = pools.get(role)
        if pool is None:
            pool = pools[role] = [0, 0, 0, 0, []]
        if index is not None:
            disk_info = res.get("disk")
            if disk_info and (disk_info.get("source") or disk_info.get("persistence")):
                continue
            scalar = res.get("scalar")
            if scalar:
                pool[index] += to_fixed(scalar.get("value", 0))
        else:
            pool[4].extend((r["begin"], r["end"]) for r in (res.get("ranges") or {}).get("range", ()))
    roles = sorted(pools, key=lambda r: (r == UNRESERVED, r)) if len(pools) > 1 else list(pools)
    # tuple.__new__ skips the NamedTuple's Python-level __new__ (a batch parses up to thousands of offers).
    return tuple([
        tuple.__new__(OfferResources, (role, *pools[role][:4], merge_ranges(pools[role][4])))
        for role in roles
    ])


class ParsedOffer(NamedTuple):
    """The parts of a v1 offer that matching reads, parsed once per batch."""

    offer_id: str
    agent_id: str
    hostname: str
    attributes: Mapping[str, str]
    pools: tuple[OfferResources, ...]


def parse_offer(offer: Mapping[str, Any]) -> ParsedOffer:
    return tuple.__new__(ParsedOffer, (
        offer["id"]["value"],
        offer["agent_id"]["value"],
        offer.get("hostname", ""),
        flatten_attributes(offer),
        parse_resources(offer.get("resources") or []),
    ))


def task_resources(need: ResourceNeed, ports: Sequence[int], role: str = UNRESERVED) -> list[dict]:
    """The v1 Resource dicts a task launched with ``need`` and ``ports`` carries.

    Zero scalars are left out (Mesos refuses empty resources); ``role`` is written only when reserved,
    as Mesos's old resource format expects from a framework without MULTI_ROLE.
    """
    out: list[dict] = [
        {"name": name, "type": "SCALAR", "scalar": {"value": milli / 1000}}  # from_fixed, inlined
        for name, milli in zip(_SCALARS, need, strict=True)
        if milli > 0
    ]
    if ports:
        spans = [{"begin": b, "end": e} for b, e in ranges_of_ports(ports)]
        out.append({"name": "ports", "type": "RANGES", "ranges": {"range": spans}})
    if role != UNRESERVED:
        for res in out:
            res["role"] = role
    return out
