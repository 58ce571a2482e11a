"""Refuses cross-site form posts to the dashboard's actions.

Browsers replay Basic credentials on any request to the origin, a form on another site included, so an
action must come from a page of this origin: Fetch Metadata (``Sec-Fetch-Site``) where the browser sends it,
else the ``Origin`` header. A request with neither (a script, curl) carries its credentials on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

ALLOWED_SITES = frozenset({"same-origin", "none"})


def cross_site(headers: Mapping[str, str], host: str) -> bool:
    """True when the request's headers show it was sent by a page of another origin than ``host``."""
    site = headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ALLOWED_SITES
    origin = headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != host
