"""Defaults and translations of legacy fields, as Marathon applies them."""

from framework.model import normalize_app


def test_minimal_app_gets_marathons_defaults():
    app = normalize_app({"id": "web", "cmd": "serve"})
    assert app == {
        "id": "/web", "backoffFactor": 1.15, "backoffSeconds": 1, "cmd": "serve", "constraints": [],
        "cpus": 1, "dependencies": [], "disk": 0, "env": {}, "executor": "", "fetch": [], "gpus": 0,
        "healthChecks": [], "instances": 1, "labels": {}, "maxLaunchDelaySeconds": 300, "mem": 128,
        "networks": [{"mode": "host"}], "portDefinitions": [{"port": 0, "protocol": "tcp", "name": "default"}],
        "readinessChecks": [], "requirePorts": False, "secrets": {},
        "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
        "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
        "killSelection": "YOUNGEST_FIRST", "role": "*",
    }


def test_relative_ids_resolve_against_the_base_and_dependencies_against_the_group():
    app = normalize_app({"id": "../api", "cmd": "x", "dependencies": ["db", "../cache", "/x/y"]},
                        base_path="/prod/web")
    assert app["id"] == "/prod/api"
    assert app["dependencies"] == ["/prod/db", "/cache", "/x/y"]


def test_unknown_top_level_fields_are_dropped():
    app = normalize_app({"id": "/a", "cmd": "x", "tasksRunning": 3, "deployments": [], "whatever": {}})
    assert not {"tasksRunning", "deployments", "whatever"} & set(app)


def test_health_check_defaults_per_protocol():
    app = normalize_app({"id": "/a", "cmd": "x", "healthChecks": [
        {}, {"protocol": "TCP"}, {"protocol": "COMMAND", "command": {"value": "true"}}]})
    common = {"gracePeriodSeconds": 300, "intervalSeconds": 60, "timeoutSeconds": 20,
              "maxConsecutiveFailures": 3, "delaySeconds": 15, "ipProtocol": "IPv4"}
    assert app["healthChecks"] == [
        {"protocol": "HTTP", **common, "ignoreHttp1xx": False, "portIndex": 0},
        {"protocol": "TCP", **common, "portIndex": 0},
        {"protocol": "COMMAND", **common, "command": {"value": "true"}},
    ]


def test_readiness_check_defaults():
    app = normalize_app({"id": "/a", "cmd": "x", "portDefinitions": [{"name": "http-api"}],
                         "readinessChecks": [{}]})
    assert app["readinessChecks"] == [{
        "name": "readinessCheck", "protocol": "HTTP", "path": "/", "portName": "http-api",
        "intervalSeconds": 30, "timeoutSeconds": 10, "httpStatusCodesForReady": [200],
        "preserveLastResponse": False}]


def test_legacy_docker_bridge_becomes_networks_and_container_port_mappings():
    app = normalize_app({"id": "/a", "container": {"type": "DOCKER", "docker": {
        "image": "nginx", "network": "BRIDGE", "portMappings": [{"containerPort": 80, "protocol": "udp"}]}},
        "requirePorts": True, "portDefinitions": [{"port": 0}, {"port": 0}]})
    assert app["networks"] == [{"mode": "container/bridge"}]
    assert "network" not in app["container"]["docker"] and "portMappings" not in app["container"]["docker"]
    # One mapping given, two port definitions: Marathon adds an empty mapping for the second port.
    assert app["container"]["portMappings"] == [
        {"containerPort": 80, "hostPort": 0, "servicePort": 0, "protocol": "udp", "labels": {}},
        {"containerPort": 0, "servicePort": 0, "protocol": "tcp", "labels": {}, "hostPort": 0},
    ]
    assert "portDefinitions" not in app
    assert app["requirePorts"] is False  # only meaningful with host networking


def test_bridge_without_mappings_gets_the_default_mapping():
    app = normalize_app({"id": "/a", "networks": [{"mode": "container/bridge"}],
                         "container": {"type": "DOCKER", "docker": {"image": "nginx"}}})
    assert app["container"]["portMappings"] == [
        {"containerPort": 0, "servicePort": 0, "protocol": "tcp", "labels": {}, "name": "default", "hostPort": 0}]


def test_container_network_without_container_gets_an_empty_mesos_container():
    app = normalize_app({"id": "/a", "cmd": "x", "networks": [{"mode": "container", "name": "dcos"}]})
    assert app["container"] == {"type": "MESOS", "volumes": [], "portMappings": [
        {"containerPort": 0, "servicePort": 0, "protocol": "tcp", "labels": {}, "name": "default"}]}


def test_host_networking_drops_port_mappings():
    app = normalize_app({"id": "/a", "container": {"type": "DOCKER", "docker": {"image": "nginx"},
                                                    "portMappings": [{"containerPort": 80}]}})
    assert "portMappings" not in app["container"]
    assert app["portDefinitions"] == [{"port": 0, "protocol": "tcp", "name": "default"}]


def test_explicitly_empty_ports_stay_empty():
    assert normalize_app({"id": "/a", "cmd": "x", "portDefinitions": []})["portDefinitions"] == []
    assert normalize_app({"id": "/a", "cmd": "x", "ports": []})["portDefinitions"] == []


def test_ip_address_discovery_becomes_port_mappings_of_a_mesos_container():
    app = normalize_app({"id": "/a", "cmd": "x", "ipAddress": {
        "networkName": "dcos", "discovery": {"ports": [{"number": 8080, "name": "rest"}]}}})
    assert app["networks"] == [{"mode": "container", "name": "dcos"}]
    assert app["container"]["type"] == "MESOS"
    assert app["container"]["portMappings"] == [
        {"containerPort": 8080, "servicePort": 0, "protocol": "tcp", "name": "rest", "labels": {}}]


def test_uris_become_fetch_with_extract_by_extension():
    app = normalize_app({"id": "/a", "cmd": "x", "uris": ["http://h/a.tgz", "http://h/run.sh"]})
    assert [f["extract"] for f in app["fetch"]] == [True, False]


def test_persistent_volumes_make_a_resident_app():
    app = normalize_app({"id": "/db", "cmd": "x", "container": {"type": "MESOS", "volumes": [
        {"containerPath": "data", "mode": "RW", "persistent": {"size": 10}}]}})
    assert app["upgradeStrategy"] == {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0}
    assert app["unreachableStrategy"] == "disabled"
    assert app["residency"] == {"relaunchEscalationTimeoutSeconds": 3600, "taskLostBehavior": "WAIT_FOREVER"}
    assert normalize_app(app) == app


def test_constraints_are_upper_cased_and_deduplicated():
    app = normalize_app({"id": "/a", "cmd": "x", "constraints": [
        ["hostname", "unique"], ["hostname", "UNIQUE"], ["rack", "max_per", "2"]]})
    assert app["constraints"] == [["hostname", "UNIQUE"], ["rack", "MAX_PER", "2"]]


def test_null_means_absent():
    app = normalize_app({"id": "/a", "cmd": "x", "args": None, "user": None, "container": None, "cpus": None})
    assert "args" not in app and "user" not in app and "container" not in app and app["cpus"] == 1


def test_integral_floats_are_integers():
    app = normalize_app({"id": "/a", "cmd": "x", "instances": 3.0})
    assert app["instances"] == 3 and isinstance(app["instances"], int)
