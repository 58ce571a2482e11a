"""A corpus of hostile request bodies for the write routes, built from data (nothing here talks to a server).

`RAW` holds bodies that are not JSON, or JSON that Marathon's parser refuses or that stresses ours (deep
nesting, huge numbers, non-finite literals, bad encodings, duplicate keys, huge strings and arrays).
`wrong_types(app)` replaces each member of a real AppDefinition, nested ones too, by each JSON type it
does not have, so that every field's validation is exercised with every wrong type.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

BODY_LIMIT = 5 * 1024 * 1024  # api/app_factory.py's MAX_CONTENT_LENGTH default
DEPTH = 100_000

VALID_APP = b'{"id": "/hostile-ok", "cmd": "sleep 1", "cpus": 0.1, "mem": 16}'


def _nested(open_: str, close: str, depth: int = DEPTH) -> bytes:
    return (open_ * depth + close * depth).encode()


def _with_member(raw: str) -> bytes:
    """An otherwise acceptable app with `raw` (JSON text) as its `instances`: the number is what is hostile."""
    return f'{{"id": "/hostile-number", "cmd": "sleep 1", "instances": {raw}}}'.encode()


RAW: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b" \n\t ",
    "truncated object": b'{"id": "/x", "cmd": ',
    "trailing garbage": VALID_APP + b" }",
    "two documents": VALID_APP + VALID_APP,
    "deeply nested arrays": _nested("[", "]"),
    "deeply nested objects": ('{"a":' * DEPTH + "1" + "}" * DEPTH).encode(),
    "deeply nested inside an app": b'{"id": "/deep", "cmd": "x", "labels": ' + _nested("[", "]") + b"}",
    "nested 1,000 deep": _nested("[", "]", 1000),
    "1e400": _with_member("1e400"),
    "-1e400": _with_member("-1e400"),
    "5,000 digit integer": _with_member("9" * 5000),
    "1e-400": _with_member("1e-400"),
    "2**64": _with_member(str(2**64)),
    "-2**63-1": _with_member(str(-(2**63) - 1)),
    "NaN": _with_member("NaN"),
    "Infinity": _with_member("Infinity"),
    "-Infinity": _with_member("-Infinity"),
    "NaN as a whole body": b"NaN",
    "invalid UTF-8": b'{"id": "/\xff\xfe", "cmd": "sleep 1"}',
    "overlong UTF-8": b'{"id": "/\xc0\xaf", "cmd": "sleep 1"}',
    "lone surrogate escape": b'{"id": "/\\ud800", "cmd": "sleep 1"}',
    "NUL in a string": b'{"id": "/nul\\u0000", "cmd": "sleep\\u0000 1"}',
    "UTF-8 BOM": b"\xef\xbb\xbf" + VALID_APP.replace(b"hostile-ok", b"hostile-bom"),
    "UTF-16": VALID_APP.decode().encode("utf-16"),
    "duplicate keys": b'{"id": "/dup", "cmd": "sleep 1", "instances": 1, "instances": "many", "mem": []}',
    "huge string id": b'{"id": "/' + b"a" * (1024 * 1024) + b'", "cmd": "sleep 1"}',
    "huge cmd": b'{"id": "/hostile-huge-cmd", "cmd": "' + b"x" * (4 * 1024 * 1024) + b'"}',
    "huge array of constraints": b'{"id": "/hostile-constraints", "cmd": "x", "constraints": ['
                                 + b",".join([b'["hostname", "UNIQUE"]'] * 100_000) + b"]}",
    "huge array of nulls": b"[" + b",".join([b"null"] * 500_000) + b"]",
    "many labels": json.dumps({"id": "/hostile-labels", "cmd": "x",
                               "labels": {f"k{i}": "v" * 20 for i in range(50_000)}}).encode(),
    "beyond the body limit": b'{"id": "/hostile-big", "cmd": "' + b"x" * (BODY_LIMIT + 1) + b'"}',
    "array": b"[]",
    "string": b'"app"',
    "number": b"42",
    "null": b"null",
    "true": b"true",
}

# One value of each JSON type, plus numbers a field of another type could trip over.
WRONG = {"null": None, "true": True, "zero": 0, "negative": -1, "fraction": 0.5, "huge int": 10**30,
         "string": "x", "empty string": "", "array": [], "array of null": [None], "object": {},
         "object of null": {"a": None}}


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _paths(value: object, path: tuple = ()) -> Iterator[tuple]:
    """Every member and element path under `value` (the root excluded)."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*path, key)
        yield from _paths(child, (*path, key))


def _replaced(value: object, path: tuple, new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)  # type: ignore[call-overload]
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def pointer(path: tuple) -> str:
    """Marathon-style path of a member: `/container/docker/portMappings(0)/hostPort`."""
    return "".join(f"({part})" if isinstance(part, int) else f"/{part}" for part in path)


def wrong_types(app: dict) -> Iterator[tuple[str, dict]]:
    """(description, app) for every path of `app` and every value of WRONG of another JSON type."""
    for path in _paths(app):
        current = app
        for part in path:
            current = current[part]
        for name, value in WRONG.items():
            if _json_type(value) != _json_type(current):
                yield f"{pointer(path)} = {name}", _replaced(app, path, value)  # type: ignore[misc]
