"""Edit-and-deploy: parse the edited JSON, and place the api's validation errors at the lines of the fields
they name (a JSON pointer such as ``/container/docker/image`` or Marathon's ``/portDefinitions(0)/port``). Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_INDEX = re.compile(r"\((\d+)\)")
CLOSERS = frozenset({"}", "},", "]", "],"})


@dataclass(frozen=True)
class FieldError:
    path: str  # as the api named it
    field: str  # the member the path ends at (the index for an array item)
    line: int | None  # 1-based line in the edited text, None when not found
    messages: tuple[str, ...]


class NotJson(ValueError):
    """The edited text does not parse; ``error`` carries the line."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(error.messages[0])
        self.error = error


def parse(text: str) -> dict:
    """The edited definition; raises NotJson (with the line of the syntax error) for text that is not a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        reason = f"not JSON: {error.msg} (column {error.colno})"
        raise NotJson(FieldError("/", "JSON", error.lineno, (reason,))) from None
    if not isinstance(value, dict):
        raise NotJson(FieldError("/", "JSON", 1, ("an app definition is a JSON object",)))
    return value


def segments(path: str) -> list[str]:
    """``/portDefinitions(0)/port`` or ``/portDefinitions/0/port`` → ``["portDefinitions", "0", "port"]``."""
    path = _INDEX.sub(r"/\1", path)
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/") if part]


def line_of(text: str, path: str) -> int | None:
    """The line where the member ``path`` names starts in ``text`` (JSON laid out one member per line, as
    the page's editor shows it), or of its deepest ancestor found; None when not even the first is found."""
    lines = text.splitlines()
    found: int | None = None
    start, end = 0, len(lines)
    for part in segments(path):
        position = _array_item(lines, start, end, int(part)) if part.isdigit() else _member(lines, start, end, part)
        if position is None:
            break
        found = position + 1
        start, end = position, _block_end(lines, position, end)
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _member(lines: Sequence[str], start: int, end: int, name: str) -> int | None:
    """The line opening member ``name`` of the object that opens at line ``start`` (its members are the
    shallowest lines after it)."""
    key = json.dumps(name) + ":"
    depth = None
    for number in range(start + 1, end):
        stripped = lines[number].strip()
        if not stripped or stripped in CLOSERS:
            continue
        depth = _indent(lines[number]) if depth is None else depth
        if _indent(lines[number]) == depth and stripped.startswith(key):
            return number
    return None


def _array_item(lines: Sequence[str], start: int, end: int, index: int) -> int | None:
    """The line of item ``index`` of the array opened at line ``start``."""
    depth = None
    seen = -1
    for number in range(start + 1, end):
        line = lines[number]
        if not line.strip() or line.strip() in CLOSERS:
            continue
        depth = _indent(line) if depth is None else depth
        if _indent(line) == depth:
            seen += 1
            if seen == index:
                return number
    return None


def _block_end(lines: Sequence[str], start: int, end: int) -> int:
    """One past the last line of the value that opens at ``start`` (the next line as shallow as it)."""
    depth = _indent(lines[start])
    for number in range(start + 1, end):
        if lines[number].strip() and _indent(lines[number]) <= depth:
            return number + 1 if lines[number].strip()[:1] in "}]" else number
    return end


def field_errors(text: str, details: Sequence[Mapping]) -> list[FieldError]:
    """The api's 422 ``details`` (``[{"path", "errors"}]``) placed in the edited text, in line order."""
    out = []
    for detail in details:
        path = str(detail.get("path") or "/")
        parts = segments(path)
        out.append(FieldError(path, parts[-1] if parts else "definition", line_of(text, path),
                              tuple(str(message) for message in detail.get("errors") or ["invalid"])))
    return sorted(out, key=lambda error: (error.line or 0, error.path))
