"""Membership changes become runtime API commands; anything else asks for a reload."""

from lb.runtime import membership_commands
from lb.services import Options, app_routes, route
from tests.lb.apps import app, task


def routing(*apps):
    return route({a["id"]: app_routes(a, Options(), str) for a in apps})


def test_scaling_and_draining_are_runtime_commands():
    before = routing(app("/web", 10001, task("a", 31001), task("b", 31002)))
    after = routing(app("/web", 10001, task("a", 31001, state="TASK_KILLING"), task("c", 31003)))
    assert membership_commands(before, after) == [
        "set server web_10001/127_0_0_1_31002 state maint", "del server web_10001/127_0_0_1_31002",
        "add server web_10001/127_0_0_1_31003 127.0.0.1:31003", "enable server web_10001/127_0_0_1_31003",
        "set server web_10001/127_0_0_1_31001 state drain"]


def test_a_lingering_server_coming_back_is_made_ready_not_added():
    before = routing(app("/web", 10001))
    after = routing(app("/web", 10001, task("a", 31001)))
    assert membership_commands(before, after, frozenset({("web_10001", "127_0_0_1_31001")})) == [
        "set server web_10001/127_0_0_1_31001 state ready", "set weight web_10001/127_0_0_1_31001 1"]


def test_health_checked_servers_get_their_checks_enabled():
    web = app("/web", 10001, task("a", 31001))
    web["healthChecks"] = [{"protocol": "TCP", "portIndex": 0}]
    commands = membership_commands(routing({**web, "tasks": []}), routing(web))
    assert commands[0].endswith("127.0.0.1:31001 check inter 60s fall 4")
    assert "enable health web_10001/127_0_0_1_31001" in commands


def test_config_changes_and_sticky_backends_reload():
    base = routing(app("/web", 10001, task("a", 31001)))
    assert membership_commands(base, routing(app("/web", 10001, task("a", 31001), vhost="w.test"))) is None
    assert membership_commands(base, routing(app("/web", 10001, task("a", 31001)), app("/new", 10002))) is None
    sticky = routing(app("/web", 10001, task("a", 31001), sticky="true", vhost="w.test"))
    scaled = routing(app("/web", 10001, task("a", 31001), task("b", 31002), sticky="true", vhost="w.test"))
    assert membership_commands(sticky, scaled) is None
    assert membership_commands(base, base) == []
