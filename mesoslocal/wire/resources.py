"""v1 resources as plain values: scalars in 3-decimal fixed point, port ranges, sets (notes C5, E, F).

Only unreserved resources (role "*") exist in mesoslocal. All functions are pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Range = tuple[int, int]
SCALE = 1000  # Mesos compares and adds scalars in fixed point with three decimals


def _normalize(ranges: list[Range]) -> tuple[Range, ...]:
    merged: list[list[int]] = []
    for begin, end in sorted(ranges):
        if merged and begin <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return tuple((b, e) for b, e in merged)


def _subtract_ranges(have: tuple[Range, ...], take: tuple[Range, ...]) -> tuple[Range, ...]:
    result: list[Range] = []
    for begin, end in have:
        pieces = [(begin, end)]
        for t_begin, t_end in take:
            next_pieces = []
            for p_begin, p_end in pieces:
                if t_end < p_begin or t_begin > p_end:
                    next_pieces.append((p_begin, p_end))
                    continue
                if p_begin < t_begin:
                    next_pieces.append((p_begin, t_begin - 1))
                if t_end < p_end:
                    next_pieces.append((t_end + 1, p_end))
            pieces = next_pieces
        result.extend(pieces)
    return _normalize(result)


def _ranges_contain(have: tuple[Range, ...], want: tuple[Range, ...]) -> bool:
    return all(any(hb <= b and e <= he for hb, he in have) for b, e in want)


def format_ranges(ranges: tuple[Range, ...]) -> str:
    return "[" + ", ".join(f"{b}-{e}" for b, e in ranges) + "]"


@dataclass(frozen=True)
class Resources:
    scalars: dict[str, int] = field(default_factory=dict)  # milli-units
    ranges: dict[str, tuple[Range, ...]] = field(default_factory=dict)
    sets: dict[str, frozenset[str]] = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_v1(cls, resources: list[dict]) -> Resources:
        """Parse a v1 `Resource` list; raises ValueError with a Mesos-like message for an invalid resource."""
        scalars: dict[str, int] = {}
        ranges: dict[str, list[Range]] = {}
        sets: dict[str, set[str]] = {}
        for resource in resources:
            name, kind = resource.get("name"), resource.get("type")
            if not name:
                raise ValueError("Empty resource name")
            if kind == "SCALAR":
                value = float(resource.get("scalar", {}).get("value", 0))
                if value < 0 or value != value or value == float("inf"):
                    raise ValueError(f"Invalid scalar resource {name}: {value}")
                scalars[name] = scalars.get(name, 0) + round(value * SCALE)
            elif kind == "RANGES":
                for item in resource.get("ranges", {}).get("range", []):
                    begin, end = int(item["begin"]), int(item["end"])
                    if begin > end:
                        raise ValueError(f"Invalid ranges resource {name}: begin > end")
                    ranges.setdefault(name, []).append((begin, end))
            elif kind == "SET":
                sets.setdefault(name, set()).update(resource.get("set", {}).get("item", []))
            else:
                raise ValueError(f"Unknown resource type for {name}: {kind}")
        return cls({k: v for k, v in scalars.items() if v},
                   {k: _normalize(v) for k, v in ranges.items() if v},
                   {k: frozenset(v) for k, v in sets.items() if v})

    @classmethod
    def parse_spec(cls, spec: str) -> Resources:
        """`cpus:4;mem:4096;disk:10000;ports:[31000-32000]` (the agent's `--resources` text form)."""
        scalars: dict[str, int] = {}
        ranges: dict[str, tuple[Range, ...]] = {}
        sets: dict[str, frozenset[str]] = {}
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            name, _, value = part.partition(":")
            name, value = name.strip(), value.strip()
            if value.startswith("["):
                pairs = [p.strip().split("-") for p in value.strip("[]").split(",") if p.strip()]
                ranges[name] = _normalize([(int(b), int(e)) for b, e in pairs])
            elif value.startswith("{"):
                sets[name] = frozenset(i.strip() for i in value.strip("{}").split(",") if i.strip())
            else:
                scalars[name] = round(float(value) * SCALE)
        return cls(scalars, ranges, sets)

    # -- algebra ------------------------------------------------------------------------------------------
    def __add__(self, other: Resources) -> Resources:
        scalars = dict(self.scalars)
        for k, v in other.scalars.items():
            scalars[k] = scalars.get(k, 0) + v
        ranges = dict(self.ranges)
        for k, v in other.ranges.items():
            ranges[k] = _normalize(list(ranges.get(k, ())) + list(v))
        sets = dict(self.sets)
        for k, v in other.sets.items():
            sets[k] = sets.get(k, frozenset()) | v
        return Resources(scalars, ranges, sets)

    def __sub__(self, other: Resources) -> Resources:
        scalars = {k: v - other.scalars.get(k, 0) for k, v in self.scalars.items()}
        ranges = {k: _subtract_ranges(v, other.ranges.get(k, ())) for k, v in self.ranges.items()}
        sets = {k: v - other.sets.get(k, frozenset()) for k, v in self.sets.items()}
        return Resources({k: v for k, v in scalars.items() if v > 0},
                         {k: v for k, v in ranges.items() if v}, {k: v for k, v in sets.items() if v})

    def contains(self, other: Resources) -> bool:
        """True when `other` is a subset of these resources (every scalar, every port, every item)."""
        return (all(self.scalars.get(k, 0) >= v for k, v in other.scalars.items())
                and all(_ranges_contain(self.ranges.get(k, ()), v) for k, v in other.ranges.items())
                and all(v <= self.sets.get(k, frozenset()) for k, v in other.sets.items()))

    def is_empty(self) -> bool:
        return not (self.scalars or self.ranges or self.sets)

    def scalar(self, name: str) -> float:
        return self.scalars.get(name, 0) / SCALE

    # -- rendering ----------------------------------------------------------------------------------------
    def to_v1(self) -> list[dict]:
        """v1 JSON for a framework without MULTI_ROLE / RESERVATION_REFINEMENT: `role: "*"` (notes C4)."""
        out: list[dict] = []
        for name, value in self.scalars.items():
            out.append({"name": name, "type": "SCALAR", "scalar": {"value": value / SCALE}, "role": "*"})
        for name, value in self.ranges.items():
            out.append({"name": name, "type": "RANGES", "role": "*",
                        "ranges": {"range": [{"begin": b, "end": e} for b, e in value]}})
        for name, value in self.sets.items():
            out.append({"name": name, "type": "SET", "set": {"item": sorted(value)}, "role": "*"})
        return out

    def flatten(self) -> dict:
        """The `/state` form: cpus/gpus/mem/disk always present, ranges as `"[31000-31005]"` strings."""
        out: dict = {"cpus": 0.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}
        for name, value in self.scalars.items():
            out[name] = value / SCALE
        for name, value in self.ranges.items():
            out[name] = format_ranges(value)
        for name, value in self.sets.items():
            out[name] = "{" + ", ".join(sorted(value)) + "}"
        return out

    def __str__(self) -> str:
        parts = [f"{k}:{v / SCALE:g}" for k, v in self.scalars.items()]
        parts += [f"{k}:{format_ranges(v)}" for k, v in self.ranges.items()]
        parts += [f"{k}:{{{','.join(sorted(v))}}}" for k, v in self.sets.items()]
        return "; ".join(parts)


def split_ports(total: Resources, count: int) -> list[Resources]:
    """Give each of `count` agents a disjoint, contiguous slice of the `ports` ranges."""
    ports = [p for b, e in total.ranges.get("ports", ()) for p in (b, e)]
    if not ports or count <= 1:
        return [total] * max(count, 1)
    all_ports = [p for b, e in total.ranges["ports"] for p in range(b, e + 1)]
    size = len(all_ports) // count
    slices = []
    for i in range(count):
        chunk = all_ports[i * size:(i + 1) * size]
        ranges = dict(total.ranges)
        ranges["ports"] = _normalize([(p, p) for p in chunk])
        slices.append(Resources(dict(total.scalars), ranges, dict(total.sets)))
    return slices
