"""What the dashboard asks balalaika-lb: its routed services, from its admin pages (the stats port).

The edge is optional and may be down; a short timeout keeps the Cluster page answering either way.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from api.ui.cluster import RoutedService, routed_services

TIMEOUT = 1.5


@dataclass(frozen=True)
class EdgeView:
    url: str | None  # None: no admin URL configured
    services: list[RoutedService]
    error: str | None = None


def read_edge(url: str | None) -> EdgeView:
    """The routed services of the edge at ``url`` (its stats/admin port), or why they are unknown."""
    if not url:
        return EdgeView(None, [])
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_balalaika_services", timeout=TIMEOUT) as response:
            return EdgeView(url, routed_services(json.loads(response.read())))
    except (OSError, ValueError, urllib.error.URLError) as error:
        return EdgeView(url, [], f"{type(error).__name__}: {error}")
