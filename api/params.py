"""Query parameters and request bodies, parsed the way Marathon's clients send them.

Clients send booleans as ``true``, ``True`` or ``False`` (the PyPI client passes Python booleans through
``requests``), so booleans parse case-insensitively; anything else is a 400, never a 500.
"""

from __future__ import annotations

import json

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


def json_body(*, expect: type | tuple[type, ...] = dict) -> object:
    """The request body as JSON of the expected type; 400 Invalid JSON otherwise."""
    data = request.get_data(cache=True)
    if not data.strip():
        raise invalid_json("No content to map due to end-of-input")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid_json(str(error)) from None
    if not isinstance(body, expect):
        names = expect.__name__ if isinstance(expect, type) else " or ".join(t.__name__ for t in expect)
        kind = {"dict": "an object", "list": "an array"}.get(names, names)
        raise invalid_json(f"expected {kind}")
    return body
