"""Steady-state reconciliation: replacements, unreachable strategy, convergence to ``instances``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from framework.deploy.instances import InstanceActions, reconcile_instances
from framework.deploy.taskstate import is_inactive, is_killing, is_terminal
from tests.framework.deploy.helpers import OLD, make_app, make_task

NOW = 10_000.0


def unreachable(task_id: str, seconds: float) -> dict:
    return make_task(task_id, state="TASK_UNREACHABLE", unreachableSince=NOW - seconds)


def test_steady_state_does_nothing():
    tasks = [make_task(f"t{i}") for i in range(3)]
    assert reconcile_instances(make_app(instances=3), tasks, now=NOW) == InstanceActions()


def test_ended_tasks_are_replaced_and_forgotten():
    tasks = [make_task("a"), make_task("b", state="TASK_FAILED"), make_task("c", state="TASK_FINISHED")]
    assert reconcile_instances(make_app(instances=3), tasks, now=NOW) == InstanceActions(launch=2, expunge=("b", "c"))


def test_killed_task_is_replaced_at_once():
    tasks = [make_task("a"), make_task("b", state="TASK_KILLING")]
    assert reconcile_instances(make_app(instances=2), tasks, now=NOW) == InstanceActions(launch=1)


def test_pending_launches_count():
    tasks = [make_task("a")]
    assert reconcile_instances(make_app(instances=3), tasks, now=NOW, pending=2) == InstanceActions()
    assert reconcile_instances(make_app(instances=1), tasks, now=NOW, pending=2) == InstanceActions(unqueue=2)


def test_unreachable_strategy():
    app = make_app(instances=2, unreachableStrategy={"inactiveAfterSeconds": 60, "expungeAfterSeconds": 120})
    assert reconcile_instances(app, [make_task("a"), unreachable("b", 59)], now=NOW) == InstanceActions()
    assert reconcile_instances(app, [make_task("a"), unreachable("b", 60)], now=NOW) == InstanceActions(launch=1)
    assert reconcile_instances(app, [make_task("a"), unreachable("b", 120)], now=NOW) == InstanceActions(
        launch=1, expunge=("b",)
    )


def test_disabled_unreachable_strategy_waits_forever():
    app = make_app(instances=2, unreachableStrategy="disabled")
    assert reconcile_instances(app, [make_task("a"), unreachable("b", 10**6)], now=NOW) == InstanceActions()


def test_a_task_that_returns_after_its_replacement_is_killed():
    returned = make_task("back", started=1.0, unreachableSince=NOW - 400)
    tasks = [make_task("a", started=5.0), make_task("replacement", started=9.0), returned]
    assert reconcile_instances(make_app(instances=2), tasks, now=NOW).kill == ("back",)


def test_scale_down_victims():
    tasks = [make_task(f"t{i}", started=float(i)) for i in range(5)]
    tasks[0]["healthy"] = False
    tasks[1]["version"] = OLD
    assert reconcile_instances(make_app(instances=2), tasks, now=NOW).kill == ("t0", "t1", "t4")
    oldest = make_app(instances=2, killSelection="OLDEST_FIRST")
    assert reconcile_instances(oldest, tasks, now=NOW).kill == ("t0", "t1", "t2")


states = st.sampled_from(
    ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE", "TASK_FAILED", "TASK_KILLED"]
)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 8),
    pending=st.integers(0, 4),
    tasks=st.lists(st.tuples(states, st.floats(0, 1000), st.booleans()), max_size=12),
)
def test_applying_the_actions_converges_to_exactly_n(n, pending, tasks):
    app = make_app(instances=n, unreachableStrategy={"inactiveAfterSeconds": 300, "expungeAfterSeconds": 600})
    records = [
        make_task(f"t{i}", state=state, started=float(i), unreachableSince=NOW - away, healthy=healthy)
        for i, (state, away, healthy) in enumerate(tasks)
    ]
    actions = reconcile_instances(app, records, now=NOW, pending=pending)
    assert actions.launch == 0 or not actions.kill  # never both launch and kill
    kept = [
        t
        for t in records
        if t["id"] not in actions.kill + actions.expunge
        and not is_terminal(t)
        and not is_killing(t)
        and not is_inactive(app, t, NOW)
    ]
    assert len(kept) + pending - actions.unqueue + actions.launch == n
    expired = {t["id"] for t in records if t["state"] == "TASK_UNREACHABLE" and NOW - t["unreachableSince"] >= 600}
    assert set(actions.expunge) == {t["id"] for t in records if is_terminal(t)} | expired
