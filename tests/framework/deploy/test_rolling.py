"""Rolling restart, scale and stop decisions, with a small simulator for the upgradeStrategy properties."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.deploy.rolling import (
    RESTART,
    SCALE,
    START,
    STOP,
    Actions,
    capacity_bounds,
    next_actions,
)
from framework.deploy.taskstate import is_current, is_serving, is_serving_old, is_terminal
from tests.framework.deploy.helpers import HEALTH_CHECK, NEW, OLD, make_app, make_task

NOW = 1000.0


def old_tasks(count: int, *, healthy: bool | None = None) -> list[dict]:
    return [make_task(f"old-{i}", version=OLD, started=float(i), healthy=healthy) for i in range(count)]


# --- bounds -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "m", "o", "expected"),
    [
        (5, 1, 0, (5, 6, "one over")),
        (5, 0.6, 0.4, (3, 7, None)),
        (5, 0, 0, (0, 5, None)),
        (5, 1, 1, (5, 10, None)),
        (10, 0.7, 0, (7, 10, None)),  # 10 * 0.7 is 7.000000000000001: must not round up to 8
        (3, 0.9, 0.1, (3, 4, "one over")),  # ceil(2.7) == floor(3.3): bounds coincide by rounding
        (1, 0.5, 0, (1, 2, "one over")),
        (0, 1, 0, (0, 0, None)),
    ],
)
def test_capacity_bounds(n, m, o, expected):
    bounds = capacity_bounds(make_app(instances=n, m=m, o=o))
    assert (bounds.min_healthy, bounds.max_total, bounds.relaxed) == expected


def test_resident_app_goes_one_under_instead_of_one_over():
    container = {"type": "MESOS", "volumes": [{"containerPath": "data", "mode": "RW", "persistent": {"size": 1}}]}
    bounds = capacity_bounds(make_app(instances=5, m=1, o=0, container=container))
    assert (bounds.min_healthy, bounds.max_total, bounds.relaxed) == (4, 5, "one under")


# --- first moves of a rolling restart, per strategy ----------------------------------------------------


@pytest.mark.parametrize(
    ("m", "o", "launch", "kills"),
    [
        (1, 0, 1, ()),  # one over: start one, kill nothing yet
        (0.6, 0.4, 2, ("old-4", "old-3")),  # kill down to 3 healthy, fill up to 7 live
        (0, 0, 0, ("old-4", "old-3", "old-2", "old-1", "old-0")),  # everything at once
        (1, 1, 5, ()),  # full second set first
    ],
)
def test_first_round_of_a_restart(m, o, launch, kills):
    actions = next_actions(make_app(m=m, o=o), old_tasks(5), now=NOW)
    assert actions == Actions(launch=launch, kill=kills)


def test_old_tasks_die_only_as_new_ones_become_healthy():
    app = make_app(m=1, o=0, healthChecks=[HEALTH_CHECK])
    tasks = old_tasks(5) + [make_task("new-0", started=500.0, healthy=None)]
    assert next_actions(app, tasks, now=NOW) == Actions()  # new one not healthy yet: wait
    tasks[-1]["healthy"] = True
    assert next_actions(app, tasks, now=NOW) == Actions(kill=("old-4",))  # youngest old one first


def test_readiness_gates_kills_too():
    app = make_app(m=1, o=0, readinessChecks=[{"name": "ready"}])
    tasks = old_tasks(5) + [make_task("new-0", started=500.0)]
    assert next_actions(app, tasks, now=NOW).kill == ()
    assert next_actions(app, tasks, now=NOW, ready={"new-0"}).kill == ("old-4",)


def test_kill_selection_oldest_first():
    actions = next_actions(make_app(m=0.6, o=0, killSelection="OLDEST_FIRST"), old_tasks(5), now=NOW)
    assert actions.kill == ("old-0", "old-1")


def test_old_tasks_that_serve_nobody_go_first_and_free():
    tasks = old_tasks(5)
    tasks[1]["healthy"] = False
    tasks[2]["state"] = "TASK_STAGING"
    actions = next_actions(make_app(m=1, o=0), tasks, now=NOW)
    # Neither kill lowers the healthy count; all 5 slots + 1 over are still occupied, so no launch yet.
    assert actions == Actions(launch=1, kill=("old-2", "old-1"))


def test_killing_and_pending_count_against_the_maximum():
    tasks = old_tasks(5)
    tasks[4]["state"] = "TASK_KILLING"
    assert next_actions(make_app(m=1, o=0), tasks, now=NOW).launch == 1
    assert next_actions(make_app(m=1, o=0), tasks, now=NOW, pending=1).launch == 0


def test_inactive_unreachable_task_frees_its_slot():
    tasks = old_tasks(5)
    tasks[0].update(state="TASK_UNREACHABLE", unreachableSince=NOW - 301)
    actions = next_actions(make_app(m=1, o=0), tasks, now=NOW)
    assert actions == Actions(launch=2)


def test_surplus_queued_launches_are_withdrawn_before_killing():
    app = make_app(instances=2)
    tasks = [make_task("new-0"), make_task("new-1")]
    assert next_actions(app, tasks, now=NOW, pending=2) == Actions(unqueue=2)


def test_restart_that_also_scales_down():
    app = make_app(instances=2, m=1, o=0)
    actions = next_actions(app, old_tasks(4), now=NOW)
    # min 2, max 3: two old ones may go at once; 4 live leave no room for a launch yet.
    assert actions == Actions(kill=("old-3", "old-2"))


def test_done_only_when_all_new_serving_and_no_old_left():
    app = make_app(instances=2, healthChecks=[HEALTH_CHECK])
    new = [make_task("new-0", healthy=True), make_task("new-1", healthy=True)]
    assert next_actions(app, new, now=NOW).step_done
    assert not next_actions(app, [*new, make_task("old-0", version=OLD, state="TASK_KILLING")], now=NOW).step_done
    new[1]["healthy"] = None
    assert not next_actions(app, new, now=NOW).step_done
    assert not next_actions(app, new[:1], now=NOW).step_done


def test_a_scale_does_not_change_which_tasks_are_current():
    # Scaled at 21:30 after a config change at 21:00: a task launched at 21:00 runs the current config.
    app = make_app(version="2026-11-26T21:30:00.000Z")
    assert is_current(app, make_task("t", version=NEW))
    assert not is_current(app, make_task("t", version=OLD))


# --- scale, start and stop -----------------------------------------------------------------------------


def test_scale_up_and_down():
    tasks = [make_task(f"t{i}", started=float(i), version=OLD) for i in range(3)]
    assert next_actions(make_app(instances=5), tasks, now=NOW, action=SCALE) == Actions(launch=2)
    assert next_actions(make_app(instances=1), tasks, now=NOW, action=SCALE) == Actions(kill=("t2", "t1"))
    assert next_actions(make_app(instances=3), tasks, now=NOW, action=SCALE).step_done


def test_scale_down_kills_the_least_useful_first():
    tasks = [make_task("a", started=1.0), make_task("b", started=2.0), make_task("c", started=3.0)]
    tasks[0]["state"] = "TASK_STARTING"
    app = make_app(instances=1, killSelection="OLDEST_FIRST")
    assert next_actions(app, tasks, now=NOW, action=SCALE).kill == ("a", "b")


def test_scale_waits_for_health_and_for_kills():
    app = make_app(instances=1, healthChecks=[HEALTH_CHECK])
    assert not next_actions(app, [make_task("a", healthy=None)], now=NOW, action=SCALE).step_done
    dying = [make_task("a", healthy=True), make_task("b", state="TASK_KILLING")]
    assert not next_actions(app, dying, now=NOW, action=SCALE).step_done


def test_start_is_immediately_done():
    assert next_actions(make_app(), [], now=NOW, action=START) == Actions(step_done=True)


def test_stop_kills_everything_and_ignores_unreachable_for_done():
    tasks = [
        make_task("a"),
        make_task("b", state="TASK_KILLING"),
        make_task("c", state="TASK_UNREACHABLE", unreachableSince=NOW),
        make_task("d", state="TASK_KILLED"),
    ]
    actions = next_actions(make_app(), tasks, now=NOW, action=STOP, pending=2)
    assert actions == Actions(kill=("a", "c"), unqueue=2)
    assert next_actions(make_app(), tasks[2:], now=NOW, action=STOP).step_done


def test_unknown_action():
    with pytest.raises(ValueError, match="unknown deployment action"):
        next_actions(make_app(), [], now=NOW, action="ScalePod")


# --- the simulator ------------------------------------------------------------------------------------


@dataclass
class Cluster:
    """A toy Mesos: applies Actions and moves tasks along (staging -> running -> healthy -> ready,
    killing -> killed), each transition happening on a tick with probability ``speed``."""

    app: dict
    rng: random.Random
    speed: float = 1.0
    tasks: dict[str, dict] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)
    pending: int = 0
    now: float = NOW
    launched: int = 0

    def apply(self, actions: Actions) -> None:
        self.pending += actions.launch - actions.unqueue
        for task_id in actions.kill:
            self.tasks[task_id]["state"] = "TASK_KILLING"

    def tick(self) -> None:
        self.now += 1.0
        for _ in range(self.pending):
            if self.moves():
                self.pending -= 1
                self.launched += 1
                task_id = f"new-{self.launched}"
                self.tasks[task_id] = make_task(
                    task_id, version=self.app["version"], state="TASK_STAGING", started=None, stagedAt=self.now
                )
        for task in list(self.tasks.values()):
            if not self.moves():
                continue
            if task["state"] == "TASK_STAGING":
                task.update(state="TASK_RUNNING", startedAt=self.now)
            elif task["state"] == "TASK_KILLING":
                del self.tasks[task["id"]]
            elif task["state"] == "TASK_RUNNING" and self.app["healthChecks"] and task["healthy"] is None:
                task["healthy"] = True
            elif task["state"] == "TASK_RUNNING" and self.app["readinessChecks"]:
                self.ready.add(task["id"])

    def moves(self) -> bool:
        return self.rng.random() < self.speed

    def live(self) -> int:
        return self.pending + sum(1 for t in self.tasks.values() if not is_terminal(t))

    def healthy(self) -> int:
        return sum(
            1
            for t in self.tasks.values()
            if (is_serving(self.app, t, self.ready) if is_current(self.app, t) else is_serving_old(t))
        )


def run_restart(cluster: Cluster, *, max_rounds: int) -> int:
    """Drive a restart to completion, checking the bounds at every step; returns the rounds used."""
    bounds = capacity_bounds(cluster.app)
    for rounds in range(1, max_rounds + 1):
        actions = next_actions(
            cluster.app, list(cluster.tasks.values()), now=cluster.now, pending=cluster.pending, ready=cluster.ready
        )
        if actions.step_done:
            return rounds
        live_before, healthy_before = cluster.live(), cluster.healthy()
        cluster.apply(actions)
        # Never more than floor(n(1+o)) (+1 when the bounds coincide), unless already above it.
        assert actions.launch == 0 or cluster.live() <= bounds.max_total
        assert cluster.live() <= max(live_before, bounds.max_total)
        # Kills never take the healthy count below ceil(n·m) (or below what it already was).
        assert cluster.healthy() >= min(bounds.min_healthy, healthy_before)
        cluster.tick()
    raise AssertionError(f"restart not done after {max_rounds} rounds: {cluster.tasks}")


def restart_cluster(n, m, o, *, old=None, speed=1.0, seed=0, checks=True, readiness=False, selection="YOUNGEST_FIRST"):
    app = make_app(
        instances=n,
        m=m,
        o=o,
        killSelection=selection,
        healthChecks=[HEALTH_CHECK] if checks else [],
        readinessChecks=[{"name": "ready"}] if readiness else [],
    )
    cluster = Cluster(app, random.Random(seed), speed)
    for task in old_tasks(n if old is None else old, healthy=True if checks else None):
        cluster.tasks[task["id"]] = task
    return cluster


def assert_finished(cluster: Cluster) -> None:
    n = cluster.app["instances"]
    assert cluster.pending == 0
    assert len(cluster.tasks) == n
    assert all(t["version"] == NEW and is_serving(cluster.app, t, cluster.ready) for t in cluster.tasks.values())


@pytest.mark.parametrize(("m", "o"), [(1, 0), (0.6, 0.4), (0, 0), (1, 1)])
@pytest.mark.parametrize("readiness", [False, True])
def test_restart_of_five_completes_within_bounds(m, o, readiness):
    cluster = restart_cluster(5, m, o, readiness=readiness)
    rounds = run_restart(cluster, max_rounds=100)
    assert_finished(cluster)
    # Deterministic speed: every task moves on each tick; even one at a time needs only a few rounds each.
    assert rounds <= 5 * 5 + 5


strategies = st.one_of(
    st.sampled_from([(1.0, 0.0), (0.6, 0.4), (0.0, 0.0), (1.0, 1.0)]),
    st.tuples(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False)),
)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(0, 10),
    old=st.integers(0, 12),
    strategy=strategies,
    speed=st.floats(0.3, 1.0),
    seed=st.integers(0, 2**32),
    checks=st.booleans(),
    readiness=st.booleans(),
    selection=st.sampled_from(["YOUNGEST_FIRST", "OLDEST_FIRST"]),
)
def test_restart_property(n, old, strategy, speed, seed, checks, readiness, selection):
    m, o = strategy
    cluster = restart_cluster(
        n, m, o, old=old, speed=speed, seed=seed, checks=checks, readiness=readiness, selection=selection
    )
    run_restart(cluster, max_rounds=3000)
    assert_finished(cluster)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 10), start=st.integers(0, 12), speed=st.floats(0.3, 1.0), seed=st.integers(0, 2**32))
def test_scale_property(n, start, speed, seed):
    cluster = restart_cluster(n, 1, 1, old=0, speed=speed, seed=seed)
    for i in range(start):
        cluster.tasks[f"t{i}"] = make_task(f"t{i}", started=float(i), healthy=True)
    for _ in range(3000):
        actions = next_actions(
            cluster.app, list(cluster.tasks.values()), now=cluster.now, action=SCALE, pending=cluster.pending
        )
        if actions.step_done:
            break
        cluster.apply(actions)
        cluster.tick()
    else:
        raise AssertionError("scale did not finish")
    assert len(cluster.tasks) == n and cluster.pending == 0


def test_calls_are_repeatable_and_do_not_mutate_input():
    tasks = old_tasks(5)
    snapshot = [dict(t) for t in tasks]
    first = next_actions(make_app(m=0.6, o=0.4), tasks, now=NOW, action=RESTART)
    assert next_actions(make_app(m=0.6, o=0.4), tasks, now=NOW, action=RESTART) == first
    assert tasks == snapshot
