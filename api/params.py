"""Query parameters and request bodies, parsed the way Marathon's clients send them.

Clients send booleans as ``true``, ``True`` or ``False`` (the PyPI client passes Python booleans through
``requests``), so booleans parse case-insensitively; anything else is a 400, never a 500. Bodies are parsed strictly
(parse_json): hostile JSON is a 400 Invalid JSON here, never an error deeper down.
"""

from __future__ import annotations

import json
import math

from flask import request

from api.errors import ApiError, invalid_json

TRUE = ("true", "1", "yes")
FALSE = ("false", "0", "no", "")


def flag(name: str, default: bool = False) -> bool:
    """A boolean query parameter; raises ApiError(400) for a value that is not a boolean."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ApiError(400, f"Query parameter '{name}' must be a boolean, not '{raw}'")


def multi(name: str) -> list[str]:
    """A repeatable parameter that may also hold comma-separated values (``embed=a,b&embed=c``)."""
    values: list[str] = []
    for raw in request.args.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


# Deeper than any Marathon body (a group tree nests two levels per group); what is deeper is refused before
# anything recursive (validation, copies, encoding) walks it and runs out of stack.
MAX_DEPTH = 100


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def depth(value: object) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json(data: bytes) -> object:
    """Strict JSON as Marathon's parser reads it: no NaN/Infinity literals, no number that overflows a
    double, at most MAX_DEPTH levels. Raises ApiError 400 Invalid JSON."""
    try:
        body = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise invalid_json(f"nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as error:  # ValueError includes ints above 4,300 digits
        raise invalid_json(str(error)) from None
    if depth(body) > MAX_DEPTH:
        raise invalid_json(f"nested deeper than {MAX_DEPTH} levels")
    return body


def json_body(*, expect: type | tuple[type, ...] = dict) -> object:
    """The request body as JSON of the expected type; 400 Invalid JSON otherwise (see parse_json)."""
    data = request.get_data(cache=True)
    if not data.strip():
        raise invalid_json("No content to map due to end-of-input")
    body = parse_json(data)
    if not isinstance(body, expect):
        names = expect.__name__ if isinstance(expect, type) else " or ".join(t.__name__ for t in expect)
        kind = {"dict": "an object", "list": "an array"}.get(names, names)
        raise invalid_json(f"expected {kind}")
    return body
