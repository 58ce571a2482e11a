"""Marathon's timestamps: ISO-8601 in UTC with milliseconds, ``2026-11-26T20:00:00.000Z``.

App versions are such strings and clients compare them as text, so every timestamp we emit must have
exactly this form: always UTC, always three fractional digits, always ``Z``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def format_ts(t: float | datetime) -> str:
    """Formats epoch seconds or a datetime (naive ones are taken as UTC), truncated to milliseconds."""
    if isinstance(t, datetime):
        moment = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    else:
        moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_ts(s: str) -> float:
    """Epoch seconds of an ISO-8601 timestamp; ``Z`` or an offset, any fractional digits, none = UTC.

    Raises ValueError when s is not such a timestamp.
    """
    if not isinstance(s, str):
        raise ValueError(f"not a timestamp: {s!r}")
    text = s.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:
        # datetime.fromisoformat wants at most 6 fractional digits; Marathon's peers may send 9.
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = head + "." + (rest[:digits][:6] or "0") + rest[digits:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def now_ts() -> str:
    """The current time as a Marathon timestamp (the one place in the model that reads the clock)."""
    return format_ts(time.time())
