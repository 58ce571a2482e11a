"""Marathon's real-shaped apps and documentation examples are accepted and come out in Marathon's shape."""

import copy

import pytest

from framework.model import marathon_view, normalize_app, normalize_group

DEFINITION_FIELDS = ("id", "cmd", "args", "cpus", "mem", "disk", "instances", "constraints", "ports",
                     "requirePorts", "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds",
                     "upgradeStrategy", "labels", "executor", "dependencies", "env", "version", "versionInfo")


def test_every_real_shaped_app_normalizes_to_itself(real_apps):
    # The data is Marathon's GET output, so the canonical form must not change a single field of it.
    assert len(real_apps) == 1000
    for raw in real_apps:
        app = normalize_app(raw)
        assert {key: app[key] for key in raw} == raw, raw["id"]


def test_canonical_form_is_idempotent(real_apps, example):
    apps = real_apps[:50] + example("apps_create.json") + [example("app-check-http-example.json")]
    for raw in apps:
        once = normalize_app(raw)
        assert normalize_app(once) == once
        assert normalize_app(copy.deepcopy(once), base_path="/elsewhere") == once  # ids are absolute


def test_app_json_is_rejected_for_the_reasons_marathon_rejects_it(example, errors_of):
    # The documentation example mixes cmd with args and ipAddress with ports, which Marathon refuses.
    assert errors_of(example("app.json")) == {
        "/": ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
              "cannot specify both an IP address and port"],
        "/ipAddress": ["ipAddress/discovery is not allowed for Docker containers"],
    }


def test_app_json_without_its_contradictions_keeps_every_field(example):
    raw = example("app.json")
    del raw["args"], raw["ipAddress"]
    app = normalize_app(raw)
    assert app["container"] == {
        "type": "DOCKER",
        "docker": {"image": "mesosphere:marathon/latest", "forcePullImage": False, "privileged": False,
                   "parameters": [{"key": "name", "value": "kdc"}]},
        "volumes": raw["container"]["volumes"],
        "portMappings": [{"containerPort": 80, "hostPort": 0, "servicePort": 10019, "protocol": "tcp",
                          "name": "http", "labels": {"vip": "192.168.0.1:80"}}],
    }
    assert app["networks"] == [{"mode": "container/bridge"}]
    assert "portDefinitions" not in app  # bridge networking: the ports are the mappings
    assert app["env"]["PASSWORD"] == {"secret": "/db/password"}
    assert app["readinessChecks"] == raw["readinessChecks"]
    assert app["healthChecks"] == [dict(raw["healthChecks"][0], delaySeconds=15, ipProtocol="IPv4")]
    assert app["fetch"] == [
        {"uri": "https://foo.com/setup.py", "extract": True, "executable": False, "cache": False},
        {"uri": "https://foo.com/archive.zip", "extract": True, "executable": False, "cache": True,
         "destPath": "newname.zip"},
    ]
    for key in ("acceptedResourceRoles", "constraints", "dependencies", "labels", "upgradeStrategy",
                "secrets", "user", "tty", "taskKillGracePeriodSeconds", "maxLaunchDelaySeconds"):
        assert app[key] == raw[key], key


@pytest.mark.parametrize("name", ["apps_create.json", "app-check-http-example.json", "app_list.json"])
def test_app_examples_validate(example, name):
    data = example(name)
    apps = data["apps"] if isinstance(data, dict) and "apps" in data else data
    for raw in apps if isinstance(apps, list) else [apps]:
        assert normalize_app(raw)["id"] == "/" + raw["id"].lstrip("/")


def test_defaults_agree_with_marathons_list_example(example):
    raw = example("app_list.json")["apps"][0]
    app = normalize_app({"id": raw["id"], "cmd": raw["cmd"]})
    for key in ("requirePorts", "backoffSeconds", "backoffFactor", "upgradeStrategy", "labels", "executor",
                "disk", "healthChecks", "dependencies"):
        assert app[key] == raw[key], key
    # 300 is Marathon's documented default since 1.x; the 2015 example shows the old 3600.
    assert app["maxLaunchDelaySeconds"] == 300


def test_legacy_fields_of_the_list_example_are_translated(example):
    raw = example("app_list.json")["apps"][0]
    app = normalize_app(raw)
    assert app["portDefinitions"] == [{"port": 10013, "protocol": "tcp"}, {"port": 10015, "protocol": "tcp"}]
    assert app["fetch"] == [{"uri": raw["uris"][0], "extract": False, "executable": False, "cache": False}]
    assert app["constraints"] == [["hostname", "UNIQUE"]]
    assert "ports" not in app and "uris" not in app and "tasksRunning" not in app
    assert set(app) >= set(DEFINITION_FIELDS) - {"args", "ports", "user"}


def test_group_example_normalizes_nested_groups(example):
    group = normalize_group(example("group.json"))
    assert group["id"] == "/"
    tools = group["groups"][0]
    assert [a["id"] for a in tools["apps"]] == ["/tools/oauth-server", "/tools/datadog-agent"]
    assert [g["id"] for g in tools["groups"]] == ["/tools/log", "/tools/docker"]
    registry = tools["groups"][1]["apps"][0]
    assert registry["container"]["portMappings"] == [
        {"containerPort": 5000, "hostPort": 0, "servicePort": 5000, "protocol": "tcp", "labels": {}}]
    assert normalize_group(group) == group


def test_marathon_view_omits_what_marathon_omits():
    app = normalize_app({"id": "/a", "cmd": "sleep 1"})
    view = marathon_view(app)
    assert "env" not in view and "healthChecks" not in view and "constraints" not in view
    assert view["labels"] == {} and view["portDefinitions"] == app["portDefinitions"]
