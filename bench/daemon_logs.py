"""When a daemon logged something: benches time the steps of a process from its own log lines.

Balalaika's daemons log with `%(asctime)s` first (`2026-12-01 18:00:33,484`, local time, milliseconds), so a
step is timed where it happened, without polling the process for it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def logged_at(log: Path, marker: str, after: float) -> float | None:
    """Wall-clock time (epoch seconds) of the first line containing `marker` stamped at or after `after`;
    None if there is none yet. A millisecond of slack: the stamps are truncated to milliseconds."""
    for line in log.read_text(errors="replace").splitlines():
        match = LOG_TIME.match(line)
        if match and marker in line:
            stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if stamp >= after - 0.001:
                return stamp
    return None
