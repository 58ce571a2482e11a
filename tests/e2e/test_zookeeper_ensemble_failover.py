"""A 3-node ZooKeeper ensemble loses its leader under a running stack: while the survivors elect another,
writes are refused with Marathon's 503 within 2 s (or accepted), never hung, and once they are accepted the
scheduler launches again with no task lost or doubled."""

from __future__ import annotations

import time

import pytest

from tests.e2e.outage import APP, REFUSAL_SECONDS, attempts_until, mesos_running, running_app, summary
from tests.fixtures.zookeeper import Ensemble, chrooted

FAILOVER_SECONDS = 30.0  # the longest the ensemble may take to elect a leader and the clients to reconnect


@pytest.fixture
def zk_hosts(zk_ensemble: Ensemble) -> str:
    """The stack's ZooKeeper is the ensemble, every member listed."""
    return chrooted(zk_ensemble.hosts)


def test_writes_are_refused_or_accepted_in_bounded_time_while_the_ensemble_elects_a_leader(
        backend_stack, zk_ensemble):
    before = running_app(backend_stack)
    zk_ensemble.leader().kill()
    attempts = attempts_until(backend_stack, time.monotonic() + FAILOVER_SECONDS, instances=3, until_accepted=True)
    print(f"\nensemble leader killed: {summary(attempts)}")
    assert attempts[-1].status == 200, attempts[-1]
    assert all(attempt.refused_cleanly for attempt in attempts[:-1]), attempts
    assert attempts[-1].seconds < REFUSAL_SECONDS
    after = {task["id"] for task in backend_stack.wait_running(APP["id"], 3)}
    assert before < after, backend_stack.logs()
    assert mesos_running(backend_stack) == sorted(after)  # none lost, none doubled
