"""From Marathon's apps to services: groups, networking, task states, health, skips and port clashes."""

from lb.services import AppRoutes, Options, app_routes, route
from tests.lb.apps import app, task
from tests.marathon_data import real_apps

OPTIONS = Options(groups=frozenset({"external"}))


def routes_of(*apps, options=OPTIONS):
    return {a["id"]: app_routes(a, options, lambda host: host) for a in apps}


def servers(entry: AppRoutes, index: int = 0):
    return [(s.address, s.port, s.draining) for s in entry.services[index].servers]


def test_running_tasks_are_servers_killing_ones_drain_and_others_are_left_out():
    entry = app_routes(app("/web", 10001, task("a", 31001), task("b", 31002, state="TASK_KILLING"),
                           task("c", 31003, state="TASK_STAGING"), task("d", 31004, state="TASK_FINISHED"),
                           task("e", 31005, state="TASK_UNREACHABLE")), OPTIONS, lambda host: host)
    assert servers(entry) == [("127.0.0.1", 31001, False), ("127.0.0.1", 31002, True), ("127.0.0.1", 31005, False)]
    assert entry.services[0].name == "web_10001" and entry.services[0].mode == "tcp"


def test_with_health_check_only_tasks_whose_checks_pass_are_routed():
    web = app("/web", 10001, task("a", 31001, alive=True), task("b", 31002, alive=False), task("c", 31003))
    web["healthChecks"] = [{"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0, "intervalSeconds": 2,
                            "timeoutSeconds": 1, "maxConsecutiveFailures": 2}]
    entry = app_routes(web, Options(health_check=True), lambda host: host)
    assert servers(entry) == [("127.0.0.1", 31001, False)]
    check = entry.services[0].check
    assert (check.http_path, check.interval, check.fall, entry.services[0].mode) == ("/health", 2, 3, "http")
    everyone = app_routes(web, Options(health_check=False), lambda host: host)
    assert len(everyone.services[0].servers) == 3


def test_groups_strict_mode_and_enabled():
    assert app_routes(app("/in", 10001, group="internal"), OPTIONS, str).services == ()
    assert len(app_routes(app("/in", 10001, group="internal"), Options(groups=frozenset("*")), str).services) == 1
    assert app_routes(app("/off", 10001, enabled="false"), OPTIONS, str).services == ()
    strict = Options(strict_mode=True)
    assert app_routes(app("/plain", 10001), strict, str).services == ()
    assert len(app_routes(app("/on", 10001, enabled="true"), strict, str).services) == 1


def test_bridge_uses_host_ports_and_container_networking_uses_task_ips():
    bridge = {"id": "/b", "labels": {"HAPROXY_GROUP": "external"}, "networks": [{"mode": "container/bridge"}],
              "container": {"type": "DOCKER", "portMappings": [{"containerPort": 80, "servicePort": 10010}]},
              "tasks": [task("t", 31777)]}
    user = {**bridge, "id": "/u", "networks": [{"mode": "container", "name": "dcos"}]}
    mappings = [{"containerPort": 80, "servicePort": 10011}]
    legacy = {"id": "/l", "labels": {"HAPROXY_GROUP": "external"},
              "container": {"docker": {"network": "BRIDGE", "portMappings": mappings}},
              "tasks": [task("t", 31778)]}
    assert servers(app_routes(bridge, OPTIONS, str)) == [("127.0.0.1", 31777, False)]
    assert servers(app_routes(user, OPTIONS, str)) == [("198.18.7.9", 80, False)]
    assert servers(app_routes(legacy, OPTIONS, str)) == [("127.0.0.1", 31778, False)]
    assert app_routes(legacy, OPTIONS, str).services[0].bind_port == 10011


def test_unresolvable_hosts_leave_out_the_task_not_the_app():
    entry = app_routes(app("/web", 10001, task("a", 31001, host="gone.invalid"), task("b", 31002)), OPTIONS,
                       lambda host: None if host == "gone.invalid" else host)
    assert servers(entry) == [("127.0.0.1", 31002, False)]


def test_a_bad_label_skips_only_its_app():
    routing = route(routes_of(app("/bad", 10001, vhost="web.test\nacl x"), app("/good", 10002, vhost="good.test"),
                              app("/nopath", 10003, path="/api"), app("/tcpvhost", 10004, vhost="a.test", mode="tcp")))
    assert [s.app_id for s in routing.services] == ["/good"]
    assert sorted((s.app_id, s.reason) for s in routing.skipped) == [
        ("/bad", "bad-label"), ("/nopath", "bad-label"), ("/tcpvhost", "bad-label")]


def test_a_port_clash_skips_the_newcomer_and_the_edge_keeps_its_ports():
    first = routes_of(app("/b-owner", 10001), app("/c-other", 10002))
    routing = route(first, reserved_ports={9090})
    owners = {s.bind_port: s.app_id for s in routing.services}
    later = routes_of(app("/a-thief", 10001), app("/b-owner", 10001), app("/c-other", 10002),
                      app("/d-stats", 9090), app("/e-self", 10005, port="10005"))
    routing = route(later, reserved_ports={9090}, owners=owners)
    assert [s.app_id for s in routing.services] == ["/b-owner", "/c-other", "/e-self"]
    assert sorted((s.app_id, s.reason) for s in routing.skipped) == [("/a-thief", "port-clash"),
                                                                    ("/d-stats", "port-clash")]


def test_every_real_shaped_app_routes_without_error():
    apps = real_apps()
    routing = route({a["id"]: app_routes({**a, "tasks": [task("t", 31000)]}, Options(groups=frozenset("*")), str)
                     for a in apps})
    assert len(routing.services) == len(apps) and routing.skipped == ()
    assert all(len(s.servers) == 1 for s in routing.services)
