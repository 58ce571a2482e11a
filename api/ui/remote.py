"""The dashboard's reads of other daemons' JSON pages (the edge's admin port, the Mesos master): optional
and possibly down, so a short timeout keeps a page answering either way, with the reason it has no data."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

TIMEOUT = 1.5


def get_json(url: str) -> tuple[object, str | None]:
    """``(document, None)``, or ``(None, why)`` when ``url`` did not answer with JSON in time."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return json.loads(response.read()), None
    except (OSError, ValueError, urllib.error.URLError) as error:
        return None, f"{type(error).__name__}: {error}"
