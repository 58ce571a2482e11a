"""A standalone ZooKeeper frozen (SIGSTOP) for 30 s, and killed then started again, under a running stack.

Meanwhile reads are served from the api's mirror, every write is refused with Marathon's 503 within 2 s,
and the tasks keep running with no launch; afterwards writes are accepted and the scheduler launches again,
with no task lost or doubled (Mesos' task ids are the ground truth).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

import pytest

from launchers.zookeeper import ZooKeeperServer
from tests.e2e.outage import APP, accepted_again, attempts_until, mesos_running, running_app, summary, unclean
from tests.fixtures.zookeeper import chrooted

FREEZE_SECONDS = 30.0  # issue 13
DOWN_SECONDS = 6.0  # killed: long enough for every client to notice and for several refused writes


@pytest.fixture
def zk_hosts(own_zk_server: ZooKeeperServer) -> str:
    """The stack's ZooKeeper is this test's own, since the test stops it."""
    return chrooted(own_zk_server.hosts)


@contextlib.contextmanager
def frozen(server: ZooKeeperServer) -> Iterator[None]:
    assert server.daemon is not None
    os.kill(server.daemon.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.daemon.pid, signal.SIGCONT)


def test_writes_are_refused_while_zookeeper_is_frozen_and_no_task_is_lost(backend_stack, own_zk_server):
    before = running_app(backend_stack)
    with frozen(own_zk_server):
        attempts = attempts_until(backend_stack, time.monotonic() + FREEZE_SECONDS, instances=3)
        assert {task["id"] for task in backend_stack.tasks(APP["id"])} == before  # read from the mirror
        assert mesos_running(backend_stack) == sorted(before)  # kept running, nothing launched
    print(f"\nZooKeeper frozen {FREEZE_SECONDS:.0f} s: {summary(attempts)}")
    assert not unclean(attempts), unclean(attempts)
    _resumes_without_loss(backend_stack, before)


def test_writes_are_refused_while_zookeeper_is_down_and_accepted_after_its_restart(backend_stack, own_zk_server):
    before = running_app(backend_stack)
    own_zk_server.kill()
    attempts = attempts_until(backend_stack, time.monotonic() + DOWN_SECONDS, instances=3)
    assert mesos_running(backend_stack) == sorted(before)
    own_zk_server.start().wait_serving()
    print(f"\nZooKeeper killed for {DOWN_SECONDS:.0f} s: {summary(attempts)}")
    assert not unclean(attempts), unclean(attempts)
    _resumes_without_loss(backend_stack, before)


def _resumes_without_loss(stack, before: set[str]) -> None:
    """Writes are accepted again, the scheduler launches the one new task, and the old ones are all there."""
    accepted_again(stack, 3)
    after = {task["id"] for task in stack.wait_running(APP["id"], 3)}
    assert before < after, stack.logs()
    assert mesos_running(stack) == sorted(after)  # none lost, none doubled
