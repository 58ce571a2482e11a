"""Fixtures for the lb's end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.lb.edge import EdgeProcess


@pytest.fixture
def start_edge(tmp_path: Path) -> Iterator[Callable[..., EdgeProcess]]:
    """`start_edge(api_url, *flags)` starts balalaika-lb; each is stopped (HAProxy with it) at the end."""
    started: list[EdgeProcess] = []

    def start(api_url: str, *extra: str) -> EdgeProcess:
        edge = EdgeProcess(api_url, tmp_path / f"edge{len(started)}", *extra)
        started.append(edge)
        return edge.start()

    try:
        yield start
    finally:
        for edge in started:
            edge.stop()
