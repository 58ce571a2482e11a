"""Deployment events in Marathon's shapes, read back by the PyPI `marathon` client's own event factory."""

from __future__ import annotations

from marathon.models.deployment import MarathonDeploymentPlan
from marathon.models.events import EventFactory

from framework.deploy import events
from framework.deploy.plan import advance, make_plan
from framework.model import normalize_app

WEB = normalize_app({"id": "/prod/web", "cmd": "sleep 100", "instances": 2})
DB = normalize_app({"id": "/db", "cmd": "sleep 100", "instances": 1})


def plan() -> dict:
    return make_plan({"/db": DB}, {"/db": {**DB, "instances": 3}, "/prod/web": WEB},
                     deployment_id="d-1", now=1_790_000_000.0)


def test_the_plan_of_an_event_has_marathons_members_and_groups_for_original_and_target() -> None:
    shaped = events.marathon_plan(plan())
    assert list(shaped) == ["id", "original", "target", "steps", "version"]
    assert shaped["steps"] == [{"actions": [{"action": "StartApplication", "app": "/prod/web"}]},
                               {"actions": [{"action": "ScaleApplication", "app": "/db"},
                                            {"action": "ScaleApplication", "app": "/prod/web"}]}]
    target = shaped["target"]
    assert set(target) == {"id", "apps", "groups", "pods", "dependencies", "version"}
    assert target["id"] == "/" and [a["id"] for a in target["apps"]] == ["/db"]
    assert [g["id"] for g in target["groups"]] == ["/prod"]
    assert [a["id"] for a in target["groups"][0]["apps"]] == ["/prod/web"]
    assert [a["id"] for a in shaped["original"]["apps"]] == ["/db"] and shaped["original"]["groups"] == []


def test_each_deployment_event_has_exactly_marathons_members() -> None:
    running = plan()
    assert set(events.deployment_info(running)) == {"plan", "currentStep", "eventType"}
    assert events.deployment_info(running)["currentStep"] == {
        "actions": [{"action": "StartApplication", "app": "/prod/web"}]}
    assert set(events.deployment_step_success(running)) == {"plan", "currentStep", "eventType"}
    assert set(events.deployment_step_failure(running)) == {"plan", "currentStep", "eventType"}
    assert set(events.deployment_success(running)) == {"id", "plan", "eventType"}
    assert set(events.deployment_failed(running, None)) == {"id", "plan", "eventType"}
    assert events.deployment_failed(running, "too slow")["reason"] == "too slow"


def test_the_pypi_client_reads_every_deployment_event_in_both_plan_formats() -> None:
    running = plan()
    factory = EventFactory()
    built = [events.deployment_info(running), events.deployment_step_success(running),
             events.deployment_step_failure(running), events.deployment_success(advance(advance(running))),
             events.deployment_failed(running, "cancelled")]
    for event in built:
        full = factory.process({**event, "timestamp": "2026-11-26T20:00:00.000Z"})
        if "currentStep" in event:  # the client keeps the plan of these (the others: only the id)
            assert isinstance(full.plan, MarathonDeploymentPlan) and full.plan.id == "d-1"
            assert full.plan.target.groups[0]["id"] == "/prod"
        else:
            assert full.id == "d-1"
        light = events.plan_format(event, light=True)
        assert list(light["plan"]) == ["id", "steps", "version"]
        assert events.plan_format(event, light=False) is event  # nothing copied per subscriber


def test_light_format_also_shapes_plans_stored_in_the_deployments_listing_shape() -> None:
    old = {"eventType": "deployment_info", "plan": plan(), "currentStep": {"actions": []}}
    assert list(events.plan_format(old, light=True)["plan"]) == ["id", "steps", "version"]
    assert set(events.plan_format(old, light=False)["plan"]) == {"id", "original", "target", "steps", "version"}
    other = {"eventType": "status_update_event", "plan": {"x": 1}}
    assert events.plan_format(other, light=True) is other


def test_group_change_events() -> None:
    ok = events.group_change_success("/prod", "2026-11-26T20:00:00.000Z", "2026-11-26T20:00:00.001Z")
    failed = events.group_change_failed("/", "2026-11-26T20:00:00.000Z", "locked", "2026-11-26T20:00:00.001Z")
    factory = EventFactory()
    assert factory.process(ok).group_id == "/prod"
    assert factory.process(failed).reason == "locked"
    assert set(failed) == {"groupId", "version", "reason", "eventType", "timestamp"}
