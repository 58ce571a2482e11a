"""Fixtures shared by the whole suite: real services started per session or per test."""

pytest_plugins = [
    "tests.fixtures.zookeeper",
    "tests.fixtures.haproxy",
    "tests.fixtures.docker",
    "tests.fixtures.mesoslocal",
    "tests.fixtures.stack",
]
