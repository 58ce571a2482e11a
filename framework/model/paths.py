"""Marathon path ids: ``/group/subgroup/app``.

An id is a sequence of segments; empty segments are ignored (``/a//b`` is ``/a/b``), ``.`` and ``..``
resolve like file paths against a base, and a resolved id is always absolute. Each segment is a DNS-like
name: dot-separated labels of lowercase letters, digits and dashes that neither start nor end with a dash.
"""

from __future__ import annotations

import re

SEGMENT = re.compile(r"(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])")
ROOT = "/"
# The last segment may not be one of these: the REST API uses them as sub-resources of an app
# (/v2/apps/{id}/restart, /tasks, /versions), so an app with such a name could not be addressed.
RESERVED = ("restart", "tasks", "versions", ".", "..")
SEGMENT_MESSAGE = f"must fully match regular expression '{SEGMENT.pattern}'"
# Far above any real id; the id is also a ZooKeeper node name, and a request naming a node of megabytes
# makes ZooKeeper drop the connection of every request sharing it.
MAX_LENGTH = 1024
LENGTH_MESSAGE = f"must be at most {MAX_LENGTH} characters long"
RESERVED_MESSAGE = f"must not end with any of the following reserved keywords: {', '.join(RESERVED)}"


def segments(path: str) -> list[str]:
    """The non-empty segments of a path, unresolved."""
    return [part for part in path.split("/") if part]


def is_absolute(path: str) -> bool:
    return path.startswith("/")


def is_valid_segment(segment: str) -> bool:
    """True for a segment Marathon accepts in an id (``.`` and ``..`` are accepted before resolution)."""
    return segment in (".", "..") or SEGMENT.fullmatch(segment) is not None


def resolve(path: str, base: str = ROOT) -> str:
    """The absolute id of ``path``: relative paths are appended to ``base``, then ``.``/``..`` resolved.

    ``resolve("../b", "/g/a") == "/g/b"``; ``..`` above the root stays at the root.
    """
    parts = [] if is_absolute(path) else segments(resolve(base, ROOT))
    for part in segments(path):
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/" + "/".join(parts)


def parent(path_id: str) -> str:
    """The enclosing group of an absolute id; the root is its own parent."""
    parts = segments(path_id)
    return "/" + "/".join(parts[:-1])


def is_child_of(path_id: str, group_id: str) -> bool:
    """True when ``path_id`` is a direct child of ``group_id`` (both absolute)."""
    return bool(segments(path_id)) and parent(path_id) == resolve(group_id)


def problems(path_id: str) -> list[str]:
    """What Marathon rejects in an id after resolution: bad segments and reserved last segments; and ours,
    an id above MAX_LENGTH."""
    if len(path_id) > MAX_LENGTH:
        return [LENGTH_MESSAGE]
    found = []
    parts = segments(path_id)
    if not all(is_valid_segment(part) for part in parts):
        found.append(SEGMENT_MESSAGE)
    if parts and parts[-1] in RESERVED:
        found.append(RESERVED_MESSAGE)
    return found
