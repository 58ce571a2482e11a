"""The drills' figures (requests through the edge, how many failed, timings) at the end of every run's output,
not only with `-s`: CI logs then show what each drill measured."""

from __future__ import annotations

import pytest

DRILL_REPORTS: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if DRILL_REPORTS:
        terminalreporter.section("twin drills: traffic through the edge")
        for line in DRILL_REPORTS:
            terminalreporter.write_line(line)
