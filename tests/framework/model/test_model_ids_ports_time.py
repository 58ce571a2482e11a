"""Path ids, task ids, port helpers and Marathon timestamps."""

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from framework import timeutil
from framework.model import (
    app_id_of_task,
    app_ports_count,
    host_port_requests,
    is_docker,
    network_mode,
    new_task_id,
    normalize_app,
    paths,
    port_names,
    service_ports,
    task_host_ports,
    task_id_prefix,
)


@pytest.mark.parametrize(("path", "base", "expected"), [
    ("a", "/", "/a"),
    ("/a/b", "/x", "/a/b"),
    ("b", "/a", "/a/b"),
    ("../c", "/a/b", "/a/c"),
    ("./c/../d", "/a", "/a/d"),
    ("../../..", "/a", "/"),
    ("a//b/", "/", "/a/b"),
    ("b", "a", "/a/b"),
])
def test_resolve(path, base, expected):
    assert paths.resolve(path, base) == expected


def test_parent_and_segments():
    assert paths.parent("/a/b/c") == "/a/b"
    assert paths.parent("/a") == "/"
    assert paths.parent("/") == "/"
    assert paths.is_valid_segment("api.v2") and paths.is_valid_segment("..")
    assert not paths.is_valid_segment("a..b") and not paths.is_valid_segment("A")


def test_task_ids_round_trip():
    task_id = new_task_id("/prod/web.v2/api")
    assert re.fullmatch(r"prod_web\.v2_api\.[0-9a-f-]{36}", task_id)
    assert task_id_prefix("/prod/web.v2/api") == "prod_web.v2_api"
    assert app_id_of_task(task_id) == "/prod/web.v2/api"
    assert app_id_of_task("prod_api.instance-2f6b1a4e-0000-4000-8000-000000000000._app.1") == "/prod/api"
    with pytest.raises(ValueError):
        app_id_of_task("no-dot")


def test_port_helpers_with_host_networking():
    app = normalize_app({"id": "/a", "cmd": "x", "requirePorts": True,
                         "portDefinitions": [{"port": 8080, "name": "web"}, {"port": 0}]})
    assert network_mode(app) == "HOST" and not is_docker(app)
    assert app_ports_count(app) == 2
    assert port_names(app) == ["web", None]
    assert host_port_requests(app) == [8080, 0]
    assert service_ports(app) == [8080, 0]
    app = normalize_app({**app, "requirePorts": False})
    assert host_port_requests(app) == [0, 0]


def test_port_helpers_with_bridge_and_container_networks():
    mappings = [{"containerPort": 80, "hostPort": 31000, "servicePort": 10000, "name": "web"},
                {"containerPort": 81}]
    container = {"type": "DOCKER", "docker": {"image": "nginx"}, "portMappings": mappings}
    bridge = normalize_app({"id": "/a", "networks": [{"mode": "container/bridge"}], "container": container})
    assert network_mode(bridge) == "BRIDGE" and is_docker(bridge)
    assert port_names(bridge) == ["web", None]
    assert host_port_requests(bridge) == [31000, 0]
    assert service_ports(bridge) == [10000, 0]
    user = normalize_app({"id": "/a", "networks": [{"mode": "container", "name": "overlay"}],
                          "container": container})
    assert network_mode(user) == "USER"
    assert host_port_requests(user) == [31000]  # the second mapping needs no host port
    assert task_host_ports(user, [31000]) == [31000, None] and task_host_ports(bridge, [31000, 31007]) == [
        31000, 31007]
    flipped = normalize_app({**user, "container": {**container, "portMappings": mappings[::-1]}})
    assert task_host_ports(flipped, [31000]) == [None, 31000]  # a task's ports skip mappings without one



def test_network_mode_networks_decide_then_the_legacy_docker_network():
    legacy = {"type": "DOCKER", "docker": {"image": "nginx", "network": "BRIDGE"}}
    # `networks` is authoritative when present (a canonical app always has it) ...
    assert network_mode({"networks": [{"mode": "host"}], "container": legacy}) == "HOST"
    two = [{"mode": "container", "name": "a"}, {"mode": "container", "name": "b"}]
    assert network_mode({"networks": two}) == "USER"
    assert network_mode({"networks": [{"name": "a"}]}) == "USER"  # a network entry's mode defaults to container
    # ... the legacy container.docker.network decides without it, and host networking is the default.
    assert network_mode({"container": legacy}) == "BRIDGE"
    assert network_mode({"networks": [], "container": {"docker": {"network": "user"}}}) == "USER"
    assert network_mode({"container": {"docker": {"network": "HOST"}}}) == "HOST"
    assert network_mode({"id": "/a"}) == "HOST"
    # Whatever the shape, the canonical form answers the same.
    for raw in ({"id": "/a", "container": legacy}, {"id": "/a", "container": {**legacy, "docker": {
            "image": "nginx", "network": "USER"}}, "ipAddress": {"networkName": "overlay"}}):
        assert network_mode(raw) == network_mode(normalize_app(raw))


def test_ports_of_a_legacy_definition_read_as_its_canonical_form_does():
    raw = {"id": "/a", "container": {"type": "DOCKER", "docker": {
        "image": "nginx", "network": "BRIDGE", "portMappings": [{"containerPort": 80, "servicePort": 10000}]}}}
    for app in (raw, normalize_app(raw)):
        assert host_port_requests(app) == [0]  # a bridge mapping without hostPort asks for any host port
        assert service_ports(app) == [10000] and port_names(app) == [None]


def test_format_and_parse_timestamps():
    assert timeutil.format_ts(0) == "1970-01-01T00:00:00.000Z"
    moment = datetime(2026, 11, 26, 20, 0, 0, 123456, tzinfo=UTC)
    assert timeutil.format_ts(moment) == "2026-11-26T20:00:00.123Z"
    assert timeutil.format_ts(moment.astimezone(timezone(timedelta(hours=2)))) == "2026-11-26T20:00:00.123Z"
    assert timeutil.format_ts(moment.replace(tzinfo=None)) == "2026-11-26T20:00:00.123Z"
    assert timeutil.parse_ts("2026-11-26T20:00:00.123Z") == pytest.approx(moment.timestamp() - 0.000456)
    assert timeutil.parse_ts("2026-11-26T22:00:00+02:00") == timeutil.parse_ts("2026-11-26T20:00:00.000Z")
    assert timeutil.parse_ts("2026-11-26T20:00:00.123456789Z") == pytest.approx(moment.timestamp())
    stamp = timeutil.now_ts()
    assert timeutil.format_ts(timeutil.parse_ts(stamp)) == stamp
    for bad in ("yesterday", "", None):
        with pytest.raises(ValueError):
            timeutil.parse_ts(bad)
