"""Version history: which versions to list and a line diff between two stored versions. Pure."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from api.ui.app_view import config_of, pretty

SHOWN_VERSIONS = 25


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context", "hunk"
    text: str


def compared_version(versions: Sequence[str], chosen: str | None) -> str | None:
    """The version to compare with the current one: the chosen one if stored, else the one before the newest."""
    if chosen and chosen in versions:
        return chosen
    return versions[1] if len(versions) > 1 else None


def diff(old: Mapping, new: Mapping, context: int = 3) -> list[DiffLine]:
    """Changed lines of the two definitions' JSON (version stamps left out), empty when they are the same."""
    before = pretty(config_of(old)).splitlines()
    after = pretty(config_of(new)).splitlines()
    out = []
    for line in difflib.unified_diff(before, after, "old", "new", n=context, lineterm=""):
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "remove"}.get(line[:1], "context")
        out.append(DiffLine(kind, line))
    return out
