"""Marathon's documented API examples and 1,000 real-shaped app definitions, kept in tests/data/marathon/
(see the README there for where they come from), so the suite does not depend on where it is cloned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "marathon"
EXAMPLES = DATA / "api-examples"
REAL_APPS = DATA / "apps-1000-real-shaped.json"


def example(name: str) -> Any:
    """One file of api-examples/, parsed."""
    return json.loads((EXAMPLES / name).read_text())


def real_apps() -> list[dict]:
    return json.loads(REAL_APPS.read_text())["apps"]
