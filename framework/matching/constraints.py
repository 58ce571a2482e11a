"""Marathon placement constraints: one small checker per operator.

A constraint is ``[field, OPERATOR, value?]``. The field ``hostname`` (or ``@hostname``) is the agent's
hostname; ``@region`` and ``@zone`` are the offer's fault domain (read into the flattened attributes by
``resources.flatten_attributes``; placements carry them under the same keys, or lack them, in which case
they count as "no value"); any other field is an agent attribute, compared as Marathon formats it.

Semantics follow Marathon:

* An offer without the attribute fails every operator except UNLIKE.
* UNIQUE: no placed instance of the app has the offer's value.
* CLUSTER with a value: the offer's value equals it. Without a value: anything while nothing is placed,
  then the value of the first placed instance.
* GROUP_BY [n]: group the placed instances by value (instances without the attribute form a group too).
  A value not yet used is always accepted; a used one only when at least ``n`` groups exist and its
  group is (one of) the smallest. Without ``n`` Marathon can only spread over the values it has seen.
* LIKE / UNLIKE: the regex must (not) match the whole value; a missing regex rejects.
  (Python's ``re`` stands in for Java's regex; the common syntax is the same.)
* MAX_PER n: fewer than ``n`` placed instances have the offer's value.
* IS: the value equals the constraint's value exactly. IN (Marathon 1.5+): one of a comma list.

Checkers take the offer's value and the app's ``FieldStats`` (counts of placed instances per value)
and return None to accept or a human-readable reason, so they are O(1) except GROUP_BY (O(groups)).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from framework.matching.reasons import Rejection, constraint_rejection

HOSTNAME = "@hostname"
_UNLIMITED = 2**31 - 1  # Marathon's "inf" for GROUP_BY


@dataclass(frozen=True)
class Placement:
    """A running or just-planned instance, as far as constraints care."""

    app_id: str
    agent_id: str
    hostname: str
    attributes: Mapping[str, str] = field(default_factory=dict)


def field_key(name: str) -> str:
    """``hostname`` and ``@hostname`` are the same field."""
    return HOSTNAME if name in ("hostname", HOSTNAME) else name


def placement_value(placement: Placement, key: str) -> str | None:
    return placement.hostname if key == HOSTNAME else placement.attributes.get(key)


@dataclass(frozen=True)
class Constraint:
    key: str  # field_key() of the field
    operator: str
    value: str | None
    label: str  # the constraint as written, for messages: "rack:GROUP_BY:3"
    pattern: re.Pattern[str] | None = None
    error: str | None = None  # why the constraint is unusable; it then rejects every offer
    limit: int = 0  # MAX_PER's quota, GROUP_BY's minimum number of values; parsed once, not per offer

    @classmethod
    def parse(cls, raw: Sequence[str]) -> Constraint:
        name, operator = str(raw[0]), str(raw[1]).upper()
        value = str(raw[2]) if len(raw) > 2 and raw[2] is not None else None
        label = ":".join(str(p) for p in raw)
        pattern, error, limit = None, None, 0
        if operator in ("LIKE", "UNLIKE"):
            if not value:
                error = f"{operator} needs a regular expression"
            else:
                try:
                    pattern = re.compile(value)
                except re.error as exc:
                    error = f"invalid regular expression ({exc})"
        elif operator == "MAX_PER":
            if _is_int(value):
                limit = int(value or "")
            else:
                error = "MAX_PER needs an integer"
        elif operator == "GROUP_BY":
            limit = _group_minimum(value)
        elif operator not in CHECKERS:
            error = f"unknown operator {operator}"
        return cls(field_key(name), operator, value, label, pattern, error, limit)

    @property
    def field_name(self) -> str:
        return "hostname" if self.key == HOSTNAME else self.key


class FieldStats:
    """How many placed instances of one app have each value of one field; updated as matching places."""

    __slots__ = ("counts", "total", "first")

    def __init__(self) -> None:
        self.counts: dict[str | None, int] = {}
        self.total = 0
        self.first: str | None = None

    def add(self, value: str | None, n: int = 1) -> None:
        if self.total == 0:
            self.first = value
        self.total += n
        self.counts[value] = self.counts.get(value, 0) + n

    @classmethod
    def of(cls, key: str, placements: Iterable[Placement]) -> FieldStats:
        stats = cls()
        for p in placements:
            stats.add(placement_value(p, key))
        return stats


def _is_int(value: str | None) -> bool:
    try:
        int(value or "")
    except ValueError:
        return False
    return True


def _group_minimum(value: str | None) -> int:
    if value == "inf":
        return _UNLIMITED
    return max(0, int(value)) if _is_int(value) else 0


Checker = Callable[[Constraint, str, FieldStats], str | None]


def check_unique(c: Constraint, value: str, stats: FieldStats) -> str | None:
    if stats.counts.get(value, 0):
        return f"{c.label}: an instance already runs where {c.field_name} is {value!r}"
    return None


def check_cluster(c: Constraint, value: str, stats: FieldStats) -> str | None:
    if c.value:
        if value != c.value:
            return f"{c.label}: {c.field_name} is {value!r}, not {c.value!r}"
        return None
    if stats.total and stats.first != value:
        return f"{c.label}: instances run where {c.field_name} is {stats.first!r}, not {value!r}"
    return None


def check_group_by(c: Constraint, value: str, stats: FieldStats) -> str | None:
    count = stats.counts.get(value)
    if count is None:
        return None
    minimum = c.limit
    if len(stats.counts) < minimum:
        return (f"{c.label}: {c.field_name} {value!r} already has an instance and only "
                f"{len(stats.counts)} of {minimum} values are used")
    smallest = min(stats.counts.values())
    if count != smallest:
        return (f"{c.label}: {c.field_name} {value!r} has {count} instances, "
                f"more than the smallest group ({smallest})")
    return None


def check_like(c: Constraint, value: str, stats: FieldStats) -> str | None:
    if c.pattern is None or c.pattern.fullmatch(value) is None:
        return f"{c.label}: {c.field_name} {value!r} does not match {c.value!r}"
    return None


def check_unlike(c: Constraint, value: str, stats: FieldStats) -> str | None:
    if c.pattern is None or c.pattern.fullmatch(value) is not None:
        return f"{c.label}: {c.field_name} {value!r} matches {c.value!r}"
    return None


def check_max_per(c: Constraint, value: str, stats: FieldStats) -> str | None:
    count = stats.counts.get(value, 0)
    if count >= c.limit:
        return f"{c.label}: {c.field_name} {value!r} already has {count} instances"
    return None


def check_is(c: Constraint, value: str, stats: FieldStats) -> str | None:
    if value != c.value:
        return f"{c.label}: {c.field_name} is {value!r}, not {c.value!r}"
    return None


def check_in(c: Constraint, value: str, stats: FieldStats) -> str | None:
    if value not in re.split(r" *, *", c.value or ""):
        return f"{c.label}: {c.field_name} {value!r} is not one of {c.value!r}"
    return None


CHECKERS: dict[str, Checker] = {
    "UNIQUE": check_unique,
    "CLUSTER": check_cluster,
    "GROUP_BY": check_group_by,
    "LIKE": check_like,
    "UNLIKE": check_unlike,
    "MAX_PER": check_max_per,
    "IS": check_is,
    "IN": check_in,
}


def room(c: Constraint, offer_value: str | None, stats: FieldStats) -> int:
    """How many more instances ``c`` lets onto one offer with ``offer_value``, once ``check`` passed.

    Lets the matcher place a block of instances at once: UNIQUE and GROUP_BY allow one (GROUP_BY's
    smallest group changes with every placement), MAX_PER the rest of its quota, the others any number.
    """
    if c.operator in ("UNIQUE", "GROUP_BY"):
        return 1
    if c.operator == "MAX_PER":
        return c.limit - stats.counts.get(offer_value, 0)
    return _UNLIMITED


def check(c: Constraint, offer_value: str | None, stats: FieldStats) -> Rejection | None:
    """Whether an offer whose field has ``offer_value`` (None: attribute missing) meets ``c``."""
    if c.error is not None:
        return constraint_rejection(f"{c.label}: {c.error}")
    if offer_value is None:
        if c.operator == "UNLIKE":
            return None
        return constraint_rejection(f"{c.label}: agent has no attribute {c.field_name!r}")
    reason = CHECKERS[c.operator](c, offer_value, stats)
    return None if reason is None else constraint_rejection(reason)


def check_offer(
    constraints: Iterable[Sequence[str]],
    hostname: str,
    attributes: Mapping[str, str],
    placements: Iterable[Placement],
) -> Rejection | None:
    """All constraints against one offer; ``placements`` are the app's own instances.

    A convenience for callers outside the batch matcher (which keeps its stats incrementally).
    """
    placed = list(placements)
    for raw in constraints:
        c = Constraint.parse(raw)
        offer_value = hostname if c.key == HOSTNAME else attributes.get(c.key)
        rejection = check(c, offer_value, FieldStats.of(c.key, placed))
        if rejection is not None:
            return rejection
    return None
