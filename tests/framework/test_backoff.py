"""Per-app launch backoff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.backoff import Backoff, next_delay

APP = {"backoffSeconds": 1, "backoffFactor": 2, "maxLaunchDelaySeconds": 300}


def test_delays_grow_geometrically_up_to_the_ceiling():
    assert [next_delay(APP, k) for k in range(0, 11)] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]


def test_marathon_defaults():
    app = {"backoffSeconds": 1, "backoffFactor": 1.15, "maxLaunchDelaySeconds": 300}
    assert next_delay(app, 2) == pytest.approx(1.15)
    assert next_delay(app, 100) == 300


def test_huge_failure_counts_do_not_overflow():
    assert next_delay(APP, 10**6) == 300


def test_factor_one_is_constant():
    assert next_delay({**APP, "backoffFactor": 1, "backoffSeconds": 5}, 1000) == 5


@given(
    base=st.floats(0, 100),
    factor=st.floats(1, 10),
    ceiling=st.floats(0, 10_000),
    failures=st.integers(1, 5000),
)
def test_delay_is_monotonic_and_capped(base, factor, ceiling, failures):
    app = {"backoffSeconds": base, "backoffFactor": factor, "maxLaunchDelaySeconds": ceiling}
    assert 0 <= next_delay(app, failures) <= ceiling
    assert next_delay(app, failures) <= next_delay(app, failures + 1)


def test_backoff_lifecycle():
    fresh = Backoff()
    assert fresh.ready(0.0) and fresh.remaining(0.0) == 0
    once = fresh.on_failure(APP, now=100.0)
    assert once == Backoff(failures=1, delay_until=101.0)
    twice = once.on_failure(APP, now=101.0)
    assert twice == Backoff(failures=2, delay_until=103.0)
    assert not twice.ready(102.9) and twice.remaining(102.0) == pytest.approx(1.0)
    assert twice.ready(103.0)
    assert twice.reset() == Backoff()
    assert once.failures == 1  # immutable: on_failure returned a new value


def test_backoff_is_frozen():
    with pytest.raises(AttributeError):
        Backoff().failures = 3  # type: ignore[misc]
