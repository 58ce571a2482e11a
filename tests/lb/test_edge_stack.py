"""balalaika-lb end to end: real HAProxy routing to real tasks of a real api + scheduler on mesoslocal.

Every request of the load is counted; "zero failed requests" means zero, across scaling, rolling
restarts and config reloads. Membership changes must not reload HAProxy at all.
"""

from __future__ import annotations

from launchers.process import free_port
from tests.load import LoadCounter
from tests.waiting import wait_for

# Each instance answers with its task id, so the tests can tell which instances served.
WEB_CMD = "mkdir -p www && echo $MESOS_TASK_ID > www/index.html && exec busybox httpd -f -p 127.0.0.1:$PORT0 -h www"
CHECK = {"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "intervalSeconds": 1, "timeoutSeconds": 1,
         "delaySeconds": 0, "gracePeriodSeconds": 10, "maxConsecutiveFailures": 3}


def web_app(app_id: str, instances: int, service_port: int, **labels: str) -> dict:
    return {"id": app_id, "cmd": WEB_CMD, "cpus": 0.05, "mem": 16, "instances": instances,
            "portDefinitions": [{"port": service_port}], "healthChecks": [CHECK],
            "upgradeStrategy": {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0},
            "labels": {"HAPROXY_GROUP": "external", "BALALAIKA_DRAIN_SECONDS": "2", **labels}}


def ids(tasks: list[dict]) -> set[str]:
    return {task["id"] for task in tasks}


def test_routes_by_service_port_and_vhost_and_follows_new_apps(backend_stack, start_edge):
    edge = start_edge(backend_stack.api_url, "--health-check")
    port = free_port()
    backend_stack.post_app(web_app("/shop/web", 2, port, HAPROXY_0_VHOST="shop.localhost"))
    tasks = backend_stack.wait_running("/shop/web", 2, healthy=True)
    edge.wait_serving(port, ids(tasks))
    edge.wait_serving(edge.http_port, ids(tasks), host="shop.localhost")
    assert edge.get(edge.http_port, "other.localhost").status_code == 503
    other_port = free_port()
    backend_stack.post_app(web_app("/other", 1, other_port))
    edge.wait_serving(other_port, ids(backend_stack.wait_running("/other", 1, healthy=True)))
    assert "frontend shop_web_" in edge.stats("/_haproxy_getconfig").text
    # what the dashboard's Cluster page lists
    routed = {s["appId"]: s for s in edge.stats("/_balalaika_services").json()["services"]}
    assert (routed["/shop/web"]["port"], routed["/shop/web"]["vhosts"]) == (port, ["shop.localhost"])
    assert sorted(server["port"] for server in routed["/shop/web"]["servers"]) == sorted(
        task["ports"][0] for task in tasks)


def test_scaling_under_load_fails_no_request_and_never_reloads(backend_stack, start_edge):
    edge = start_edge(backend_stack.api_url, "--health-check")
    port = free_port()
    backend_stack.post_app(web_app("/web", 2, port))
    edge.wait_serving(port, ids(backend_stack.wait_running("/web", 2, healthy=True)))
    reloads = edge.metric("balalaika_lb_reloads_total")
    with LoadCounter(f"http://127.0.0.1:{port}/") as load:
        backend_stack.scale("/web", 6)
        six = backend_stack.wait_running("/web", 6, healthy=True)
        edge.wait_serving(port, ids(six))
        backend_stack.scale("/web", 1)
        wait_for(lambda: "DRAIN" in edge.servers(f"web_{port}").values(), 10, "removed instances to drain first")
        one = backend_stack.wait_running("/web", 1, healthy=True)
        wait_for(lambda: len(edge.servers(f"web_{port}")) == 1, 30, "the drained servers to leave HAProxy")
        edge.wait_serving(port, ids(one))
    assert load.failed == 0, load.failures[:5]
    assert load.total > 100 and len(load.bodies) >= 6
    assert edge.metric("balalaika_lb_reloads_total") == reloads
    assert edge.metric("balalaika_lb_runtime_updates_total") > 0


def test_rolling_restart_under_load_fails_no_request(backend_stack, start_edge):
    edge = start_edge(backend_stack.api_url, "--health-check")
    port = free_port()
    backend_stack.post_app(web_app("/web", 3, port, HAPROXY_0_VHOST="web.localhost"))
    old = ids(backend_stack.wait_running("/web", 3, healthy=True))
    edge.wait_serving(edge.http_port, old, host="web.localhost")
    with LoadCounter(f"http://127.0.0.1:{edge.http_port}/", host_header="web.localhost") as load:
        backend_stack.restart("/web")
        new = ids(backend_stack.wait_running("/web", 3, healthy=True, timeout=90))
        assert not new & old
        edge.wait_serving(edge.http_port, new, host="web.localhost")
    assert load.failed == 0, load.failures[:5]
    assert set(load.bodies) & old and set(load.bodies) & new


def test_config_changes_under_load_reload_without_failing_a_request(backend_stack, start_edge):
    edge = start_edge(backend_stack.api_url)
    port = free_port()
    backend_stack.post_app(web_app("/web", 2, port))
    edge.wait_serving(port, ids(backend_stack.wait_running("/web", 2, healthy=True)))
    other = web_app("/other", 0, free_port())
    backend_stack.post_app(other)
    wait_for(lambda: "frontend other_" in edge.stats("/_haproxy_getconfig").text, 30, "the other app routed")
    reloads = edge.metric("balalaika_lb_reloads_total")
    with LoadCounter(f"http://127.0.0.1:{port}/") as load:
        for change in range(10):
            vhost = f"v{change}.localhost"
            backend_stack.put_app({**other, "labels": {**other["labels"], "HAPROXY_0_VHOST": vhost}}, force=True)
            wait_for(lambda vhost=vhost: vhost in edge.stats("/_haproxy_getconfig").text, 30, f"{vhost} routed")
    assert load.failed == 0, load.failures[:5]
    assert edge.metric("balalaika_lb_reloads_total") - reloads >= 10
    print(f"10 config changes: {load.total} requests, 0 failed, "
          f"{edge.metric('balalaika_lb_reloads_total') - reloads:.0f} reloads")


def test_bad_labels_skip_only_their_apps(backend_stack, start_edge):
    edge = start_edge(backend_stack.api_url)
    good_port, clash_port = free_port(), free_port()
    backend_stack.post_app(web_app("/good", 1, good_port))
    bad = {"/newline": {"HAPROXY_0_VHOST": "a.localhost\n    acl evil always_true"},
           "/badvhost": {"HAPROXY_0_VHOST": "not a host!"},
           "/clash": {"HAPROXY_0_PORT": str(good_port)}}
    for app_id, labels in bad.items():
        backend_stack.post_app(web_app(app_id, 0, free_port() if app_id != "/clash" else clash_port, **labels))
    edge.wait_serving(good_port, ids(backend_stack.wait_running("/good", 1, healthy=True)))

    def skipped() -> dict[str, str]:
        return {s["app_id"]: s["reason"] for s in edge.stats("/_balalaika_skipped").json()["skipped"]}

    wait_for(lambda: set(skipped()) == set(bad), 30, "the three bad apps to be skipped")
    assert skipped() == {"/newline": "bad-label", "/badvhost": "bad-label", "/clash": "port-clash"}
    assert "evil" not in edge.stats("/_haproxy_getconfig").text
    assert edge.metric("balalaika_lb_skipped_apps", reason="bad-label") == 2
    assert edge.metric("balalaika_lb_skipped_apps", reason="port-clash") == 1


def test_the_edge_keeps_routing_while_the_api_is_away_and_follows_it_back(backend_stack, start_edge):
    edge = start_edge(backend_stack.api_url, "--health-check")
    port = free_port()
    backend_stack.post_app(web_app("/web", 1, port))
    edge.wait_serving(port, ids(backend_stack.wait_running("/web", 1, healthy=True)))
    backend_stack.api.stop()
    wait_for(lambda: edge.metric("balalaika_lb_api_errors_total") > 0, 30, "the lb to notice the API is gone")
    with LoadCounter(f"http://127.0.0.1:{port}/", max_duration=60) as load:
        wait_for(lambda: load.total > 50, 20, "some requests while the API is away")
    assert load.failed == 0, load.failures[:5]
    backend_stack.api.start()
    backend_stack.scale("/web", 2)
    edge.wait_serving(port, ids(backend_stack.wait_running("/web", 2, healthy=True)))
