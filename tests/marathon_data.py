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


def real_group(count: int, group: str = "/big", instances: int = 0) -> dict:
    """A POST /v2/groups body of `count` apps cycling through the real-shaped definitions, ids varied to
    stay distinct (`<group>/g<n // 1000>/<name>-<n>`, in subgroups of 1,000), service ports left to the api,
    `instances` each."""
    apps = real_apps()
    out = []
    for n in range(count):
        app = {k: v for k, v in apps[n % len(apps)].items() if k not in ("version", "versionInfo")}
        name = app["id"].rsplit("/", 1)[1]
        app["id"] = f"{group}/g{n // 1000}/{name}-{n}"
        app["instances"] = instances
        app["portDefinitions"] = [{**port, "port": 0} for port in app.get("portDefinitions", [])]
        app.pop("dependencies", None)
        out.append(app)
    subgroups = sorted({app["id"].rsplit("/", 1)[0] for app in out})
    return {"id": group, "apps": [], "groups": [
        {"id": sub, "apps": [app for app in out if app["id"].rsplit("/", 1)[0] == sub]} for sub in subgroups]}
