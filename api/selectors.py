"""Marathon's app filters for GET /v2/apps: ``cmd`` and ``id`` substrings and ``label`` selectors.

Label selectors, comma separated, all must hold: ``key``, ``!key``, ``key==value`` (or ``=``),
``key!=value``, ``key in (a, b)``, ``key notin (a, b)``. A malformed selector is a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from api.errors import ApiError

Selector = Callable[[Mapping[str, str]], bool]

_SET = re.compile(r"^\s*([^\s!=,()]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([^\s!=,()]+)\s*(==|=|!=)\s*([^,()]*?)\s*$")
_EXISTS = re.compile(r"^\s*(!?)([^\s!=,()]+)\s*$")


def _split(text: str) -> list[str]:
    """Splits on commas outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _one(text: str) -> Selector:
    match = _SET.match(text)
    if match:
        key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    match = _EQ.match(text)
    if match:
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    match = _EXISTS.match(text)
    if match:
        negate, key = match.groups()
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise ApiError(400, f"Invalid label selector '{text}'")


def label_selector(text: str) -> Selector:
    """A predicate over an app's labels; raises ApiError(400) for a malformed selector."""
    selectors = [_one(part) for part in _split(text)]
    return lambda labels: all(selector(labels) for selector in selectors)
