"""Events move tasks without a new snapshot; what they cannot settle asks for a re-read."""

from lb.services import Options
from lb.state import AppsState, Refresh
from tests.lb.apps import app, task


def state_with(*apps):
    state = AppsState(Options(health_check=True), str)
    state.replace_all(apps)
    return state


def addresses(state):
    return {(s.port, s.draining) for service in state.routing().services for s in service.servers}


def status(app_id, task_id, state, port):
    return {"eventType": "status_update_event", "appId": app_id, "taskId": task_id, "taskStatus": state,
            "host": "127.0.0.1", "ports": [port], "ipAddresses": [], "version": "v1"}


def test_status_updates_add_drain_and_remove_servers():
    state = state_with(app("/web", 10001, task("a", 31001)))
    assert state.on_event(status("/web", "b", "TASK_RUNNING", 31002)) == Refresh()
    assert addresses(state) == {(31001, False), (31002, False)}
    state.on_event(status("/web", "a", "TASK_KILLING", 31001))
    assert addresses(state) == {(31001, True), (31002, False)}
    state.on_event(status("/web", "a", "TASK_KILLED", 31001))
    assert addresses(state) == {(31002, False)}


def test_health_events_gate_routing_of_checked_apps():
    web = {**app("/web", 10001, task("a", 31001, alive=True)), "healthChecks": [{"protocol": "TCP"}]}
    state = state_with(web)
    state.on_event(status("/web", "b", "TASK_RUNNING", 31002))
    assert addresses(state) == {(31001, False)}
    state.on_event({"eventType": "health_status_changed_event", "appId": "/web", "taskId": "b", "alive": True})
    assert addresses(state) == {(31001, False), (31002, False)}
    state.on_event({"eventType": "health_status_changed_event", "appId": "/web", "taskId": "a", "alive": False})
    assert addresses(state) == {(31002, False)}


def test_what_events_cannot_settle_is_re_read():
    state = state_with(app("/web", 10001))
    assert state.on_event(status("/new", "x", "TASK_RUNNING", 31009)) == Refresh(frozenset({"/new"}))
    assert state.on_event({"eventType": "health_status_changed_event", "appId": "/web", "taskId": "zz",
                           "alive": True}) == Refresh(frozenset({"/web"}))
    assert state.on_event({"eventType": "api_post_event", "appDefinition": {"id": "/web"}}) == \
        Refresh(frozenset({"/web"}))
    plan = {"id": "p", "steps": [{"actions": [{"action": "StopApplication", "app": "/old"}]}]}
    assert state.on_event({"eventType": "deployment_success", "plan": plan}) == Refresh(frozenset({"/old"}))
    state.on_event({"eventType": "app_terminated_event", "appId": "/web"})
    assert state.routing().services == ()


def test_a_snapshot_replaces_everything_and_keeps_unchanged_apps_built():
    state = state_with(app("/a", 10001, task("a", 31001)), app("/b", 10002))
    built = state.routes["/a"]
    state.replace_all([app("/a", 10001, task("a", 31001)), app("/c", 10003)])
    assert state.routes["/a"] is built and set(state.routes) == {"/a", "/c"}
