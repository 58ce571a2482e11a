"""Fixtures shared by the whole suite: real services started per session or per test.

End-to-end tests take seconds each: those on a whole backend stack, on scheduler clusters driven through
ZooKeeper and mesoslocal, on balalaika-lb, on `balalaika up`. They are marked `slow`, so that
`pytest -m "not slow"` is a quick loop while coding; the full run (the README's command, `.ci/run`) runs them
all. A test is marked by using one of the fixtures below; one that starts them without these fixtures is marked
itself (`pytestmark = pytest.mark.slow`, as in tests/cli/test_up.py)."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.zookeeper",
    "tests.fixtures.haproxy",
    "tests.fixtures.docker",
    "tests.fixtures.mesoslocal",
    "tests.fixtures.stack",
    "tests.fixtures.edge",
    "tests.fixtures.browser",
    "tests.fixtures.twin",
]

END_TO_END_FIXTURES = frozenset({
    "backend_stack_factory",  # tests.fixtures.stack: the API and schedulers (backend_stack uses it)
    "schedulers",  # tests/framework/scheduler/conftest.py: scheduler processes on mesoslocal
    "scheduler_on",  # tests/framework/scheduler/test_scheduler_cluster.py: the same, per cluster
    "start_edge",  # tests.fixtures.edge: balalaika-lb with its HAProxy
    "twin",  # tests.fixtures.twin: the lab topology in network namespaces
})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if END_TO_END_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
