"""Explicit reconciliation in batches, each given up on `grace` seconds after its latest answer (not after the
request): at 50,000 tasks the answers to a single request reached the loop after a fixed 15 s deadline, and
10,000 running tasks were declared lost."""

from __future__ import annotations

from framework.scheduler.reconciliation import Reconciliation


def test_tasks_are_asked_about_in_batches_one_after_the_other() -> None:
    reconciliation = Reconciliation.asking([f"t{i}" for i in range(5)], grace=15.0, batch=2)
    assert reconciliation.in_progress() and not reconciliation.waiting(now=0.0)
    assert reconciliation.next_batch(now=0.0) == ["t0", "t1"]
    reconciliation.answered("t0", now=1.0)
    assert reconciliation.waiting(now=1.0)
    reconciliation.answered("t1", now=2.0)
    assert not reconciliation.waiting(now=2.0) and reconciliation.give_up() == []
    assert reconciliation.next_batch(now=2.0) == ["t2", "t3"]
    assert reconciliation.awaiting == {"t2", "t3"}
    reconciliation.answered("t2", now=3.0)
    reconciliation.answered("t3", now=3.0)
    assert reconciliation.next_batch(now=3.0) == ["t4"]
    reconciliation.answered("t4", now=4.0)
    assert reconciliation.next_batch(now=4.0) == []  # every batch asked and answered: done


def test_answers_keep_a_slow_batch_alive_and_a_quiet_master_is_given_up_on() -> None:
    reconciliation = Reconciliation.asking([f"t{i}" for i in range(100)], grace=15.0, batch=100)
    reconciliation.next_batch(now=0.0)
    for i in range(99):  # one answer a second for 99 s, far past 15 s from the request
        reconciliation.answered(f"t{i}", now=float(i + 1))
        assert reconciliation.waiting(now=float(i + 1))
    assert reconciliation.waiting(now=99.0 + 14.9)
    assert not reconciliation.waiting(now=99.0 + 15.0)
    assert reconciliation.give_up() == ["t99"] and not reconciliation.awaiting


def test_answers_for_tasks_not_awaited_change_nothing() -> None:
    reconciliation = Reconciliation.asking(["a", "b"], grace=15.0)
    reconciliation.next_batch(now=0.0)
    reconciliation.answered("unknown", now=10.0)
    assert reconciliation.deadline == 15.0 and reconciliation.awaiting == {"a", "b"}


def test_nothing_to_step_before_the_subscription_or_after_the_end() -> None:
    """Connected but not yet subscribed: a tick must not finish (and log) a reconciliation never begun."""
    assert not Reconciliation().in_progress()
    begun = Reconciliation.asking([], grace=15.0)
    assert begun.in_progress() and begun.next_batch(now=0.0) == []
    begun.done = True
    assert not begun.in_progress()
