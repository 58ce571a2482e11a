"""Deployment plans: actions from the diff, dependency order, cycles, conflicts, Marathon's JSON shape."""

from __future__ import annotations

import pytest

from framework.deploy.plan import (
    DependencyCycleError,
    PlanError,
    advance,
    conflicts,
    current_actions,
    current_step,
    is_finished,
    make_plan,
    rollback_plan,
    to_marathon_json,
)
from framework.timeutil import format_ts, parse_ts
from tests.framework.deploy.helpers import OLD, make_app
from tests.marathon_data import example

NOW = 1_795_000_000.0  # 2026-11-18T...


def apps(*definitions: dict) -> dict[str, dict]:
    return {app["id"]: app for app in definitions}


def steps(plan: dict) -> list[list[tuple[str, str]]]:
    return [[(a["action"], a["app"]) for a in step["actions"]] for step in plan["steps"]]


def plan_for(original: dict, target: dict, **kwargs) -> dict:
    return make_plan(original, target, deployment_id="d-1", now=NOW, **kwargs)


def test_new_app_matches_marathons_step_example():
    documented = example("deployment_steps.json")
    plan = plan_for({}, apps(make_app(id="/tools/oauth-server", instances=2)))
    assert plan["steps"] == documented["steps"]


def test_plan_has_marathons_members():
    documented = example("deployments.json")[0]
    plan = plan_for({}, apps(make_app(id="/foo")))
    public = to_marathon_json(plan)
    assert set(public) == set(documented)
    assert public["currentStep"] == 1 and public["totalSteps"] == 2
    assert public["currentActions"] == [
        {"action": "StartApplication", "app": "/foo", "readinessCheckResults": []}
    ]
    assert set(public["currentActions"][0]) == set(documented["currentActions"][0])
    assert plan["version"] == format_ts(NOW)
    assert parse_ts(plan["version"]) == pytest.approx(NOW, abs=0.001)


def test_actions_from_the_diff():
    before = apps(
        make_app(id="/scale", version=OLD), make_app(id="/same"), make_app(id="/change"), make_app(id="/gone")
    )
    after = apps(
        make_app(id="/scale", instances=9),
        make_app(id="/same"),
        make_app(id="/change", cmd="sleep 2000"),
        make_app(id="/fresh", instances=0),
    )
    plan = plan_for(before, after)
    assert plan["affectedApps"] == ["/change", "/fresh", "/gone", "/scale"]
    assert steps(plan) == [
        [("StopApplication", "/gone")],
        [("StartApplication", "/fresh")],  # 0 instances: no scale action
        [("RestartApplication", "/change"), ("ScaleApplication", "/scale")],
    ]
    assert set(plan["original"]) == {"/change", "/gone", "/scale"}
    assert set(plan["target"]) == {"/change", "/fresh", "/scale"}


def test_restart_kind_restarts_unchanged_apps():
    plan = plan_for(apps(make_app()), apps(make_app()), kind="restart")
    assert steps(plan) == [[("RestartApplication", "/web")]]
    assert plan["kind"] == "restart"


def test_nothing_changed_gives_an_empty_plan():
    plan = plan_for(apps(make_app()), apps(make_app(version="2030-01-01T00:00:00.000Z")))
    assert (plan["steps"], plan["currentStep"], plan["totalSteps"], plan["currentActions"]) == ([], 0, 0, [])
    assert is_finished(plan)


def test_unknown_kind():
    with pytest.raises(PlanError):
        plan_for({}, {}, kind="upgrade")


def stack(**changes) -> dict[str, dict]:
    """/shop/db <- /shop/api <- /shop/web (relative dependency), and an independent /shop/cache."""
    return apps(
        make_app(id="/shop/db", **changes),
        make_app(id="/shop/api", dependencies=["/shop/db"], **changes),
        make_app(id="/shop/web", dependencies=["api"], **changes),
        make_app(id="/shop/cache", **changes),
    )


def test_start_follows_dependencies():
    assert steps(plan_for({}, stack())) == [
        [
            ("StartApplication", "/shop/api"),
            ("StartApplication", "/shop/cache"),
            ("StartApplication", "/shop/db"),
            ("StartApplication", "/shop/web"),
        ],
        [("ScaleApplication", "/shop/cache"), ("ScaleApplication", "/shop/db")],
        [("ScaleApplication", "/shop/api")],
        [("ScaleApplication", "/shop/web")],
    ]


def test_restart_follows_dependencies():
    plan = plan_for(stack(), stack(cmd="new"))
    assert steps(plan) == [
        [("RestartApplication", "/shop/cache"), ("RestartApplication", "/shop/db")],
        [("RestartApplication", "/shop/api")],
        [("RestartApplication", "/shop/web")],
    ]


def test_stop_goes_in_reverse_order():
    assert steps(plan_for(stack(), {})) == [
        [("StopApplication", "/shop/web")],
        [("StopApplication", "/shop/api")],
        [("StopApplication", "/shop/cache"), ("StopApplication", "/shop/db")],
    ]


def test_dependency_on_an_unaffected_app_skips_empty_levels():
    before = stack()
    after = stack()
    after["/shop/web"] = make_app(id="/shop/web", dependencies=["api"], cmd="new")
    after["/shop/cache"] = make_app(id="/shop/cache", instances=1)
    assert steps(plan_for(before, after)) == [
        [("ScaleApplication", "/shop/cache")],
        [("RestartApplication", "/shop/web")],
    ]


@pytest.mark.parametrize(
    ("deps", "cycle"),
    [
        ({"/a": ["/b"], "/b": ["/a"]}, ["/a", "/b", "/a"]),
        ({"/a": ["/b"], "/b": ["/c"], "/c": ["/a"]}, ["/a", "/b", "/c", "/a"]),
        ({"/a": ["/a"]}, ["/a", "/a"]),
    ],
)
def test_cycles_are_refused(deps, cycle):
    target = apps(*(make_app(id=app_id, dependencies=d) for app_id, d in deps.items()))
    with pytest.raises(DependencyCycleError) as raised:
        plan_for({}, target)
    assert raised.value.cycle == cycle
    assert " -> ".join(cycle) in str(raised.value)


def test_a_cycle_among_unaffected_target_apps_is_refused_too():
    cyclic = apps(make_app(id="/a", dependencies=["/b"]), make_app(id="/b", dependencies=["/a"]))
    with pytest.raises(DependencyCycleError):
        plan_for(cyclic, {**cyclic, "/c": make_app(id="/c")})


def test_conflicts_name_running_deployments_on_the_same_app():
    mine = plan_for({}, apps(make_app(id="/a"), make_app(id="/b")))
    other = {**plan_for({}, apps(make_app(id="/b"))), "id": "d-2"}
    unrelated = {**plan_for({}, apps(make_app(id="/c"))), "id": "d-3"}
    assert conflicts(mine, [other, unrelated, mine]) == ["d-2"]


def test_advance_walks_the_steps():
    plan = plan_for({}, stack())
    seen = []
    while not is_finished(plan):
        seen.append([a["app"] for a in plan["currentActions"]])
        plan = advance(plan)
    assert len(seen) == 4 and seen[2] == ["/shop/api"]
    assert plan["currentActions"] == [] and plan["currentStep"] == 5


def test_the_current_step_as_events_show_it():
    plan = plan_for({}, apps(make_app(id="/foo")))
    assert current_actions(plan) == [{"action": "StartApplication", "app": "/foo"}]
    assert current_step(plan) == {"actions": current_actions(plan)}
    done = advance(advance(plan))
    assert is_finished(done) and current_actions(done) == [] and current_step(done) is None


def test_rollback_returns_to_the_original_definitions():
    before = apps(make_app(id="/a", version=OLD, cmd="old"), make_app(id="/gone"))
    after = apps(make_app(id="/a", cmd="new"), make_app(id="/created"))
    plan = plan_for(before, after)
    back = rollback_plan(plan, deployment_id="d-2", now=NOW + 60)
    assert back["kind"] == "rollback" and back["id"] == "d-2"
    assert steps(back) == [
        [("StopApplication", "/created")],
        [("StartApplication", "/gone")],
        [("RestartApplication", "/a"), ("ScaleApplication", "/gone")],
    ]
    assert back["target"]["/a"]["version"] == OLD  # verbatim: surviving old tasks stay current


def test_plan_does_not_share_definitions_with_its_inputs():
    target = apps(make_app())
    plan = plan_for({}, target)
    target["/web"]["labels"]["x"] = "y"
    assert plan["target"]["/web"]["labels"] == {}
