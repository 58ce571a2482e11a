"""Progress deadlines and automatic rollback, from app labels."""

from __future__ import annotations

import pytest

from framework.deploy.deadline import (
    AUTO_ROLLBACK_LABEL,
    DEADLINE_LABEL,
    DeadlineLabelError,
    auto_rollback_requested,
    deadline_seconds,
    deadline_state,
    failure_reason,
    plan_deadline,
    should_roll_back,
)
from framework.deploy.plan import make_plan, rollback_plan
from tests.framework.deploy.helpers import OLD, make_app

START = 1_795_000_000.0


def deploy(*targets: dict, original: dict | None = None) -> dict:
    return make_plan(original or {}, {app["id"]: app for app in targets}, deployment_id="d-1", now=START)


def test_no_label_no_deadline():
    plan = deploy(make_app())
    assert plan_deadline(plan) is None
    assert deadline_state(plan, START + 10**9) is None
    assert failure_reason(plan) is None
    assert not should_roll_back(plan)


def test_deadline_fails_the_plan_once_passed():
    plan = deploy(make_app(labels={DEADLINE_LABEL: "120"}))
    assert plan_deadline(plan) == pytest.approx(START + 120, abs=0.001)
    assert deadline_state(plan, START + 119.9) is None
    assert deadline_state(plan, START + 120) == "failed"
    assert "120 seconds" in failure_reason(plan) and "/web" in failure_reason(plan)


def test_shortest_deadline_of_the_affected_apps_applies():
    plan = deploy(make_app(id="/a", labels={DEADLINE_LABEL: "300"}), make_app(id="/b", labels={DEADLINE_LABEL: "60.5"}))
    assert plan_deadline(plan) == pytest.approx(START + 60.5, abs=0.001)
    assert "/b" in failure_reason(plan)


def test_a_stopped_app_uses_its_original_labels():
    app = make_app(labels={DEADLINE_LABEL: "30"})
    plan = make_plan({"/web": app}, {}, deployment_id="d-1", now=START)
    assert plan_deadline(plan) == pytest.approx(START + 30, abs=0.001)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("TRUE", True), ("false", False), (None, False)])
def test_auto_rollback_label(value, expected):
    labels = {} if value is None else {AUTO_ROLLBACK_LABEL: value}
    assert auto_rollback_requested(make_app(labels=labels)) is expected


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf", "nan"])
def test_bad_deadline_values_are_refused(value):
    with pytest.raises(DeadlineLabelError):
        deadline_seconds(make_app(labels={DEADLINE_LABEL: value}))


def test_bad_rollback_value_is_refused():
    with pytest.raises(DeadlineLabelError):
        auto_rollback_requested(make_app(labels={AUTO_ROLLBACK_LABEL: "yes"}))


def test_failed_plan_rolls_back_but_a_rollback_never_does():
    labels = {DEADLINE_LABEL: "60", AUTO_ROLLBACK_LABEL: "true"}
    original = make_app(version=OLD, labels=labels)
    plan = deploy(make_app(cmd="broken", labels=labels), original={"/web": original})
    assert should_roll_back(plan)
    back = rollback_plan(plan, deployment_id="d-2", now=START + 60)
    assert back["target"] == {"/web": original}
    assert deadline_state(back, START + 120) == "failed"  # the rollback is bounded too ...
    assert not should_roll_back(back)  # ... but never swings back again
