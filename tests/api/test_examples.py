"""Every example in examples/ is accepted by the API as it is (apps on /v2/apps, groups on /v2/groups), and the
web example is what the README and `balalaika up` promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framework.model import network_mode
from launchers.docker import STACK_IMAGE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


NAMES = sorted(path.name for path in EXAMPLES.glob("*.json"))


def load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def post(client, name: str):
    """POSTs an example where a user would: a group (it has apps or groups) to /v2/groups, an app to /v2/apps."""
    example = load(name)
    return client.post("/v2/groups" if "apps" in example or "groups" in example else "/v2/apps", json=example)


@pytest.mark.parametrize("name", NAMES)
def test_example_is_accepted(client, name):
    response = post(client, name)
    assert response.status_code == 201, response.get_json()


def test_all_examples_are_accepted_together(client):
    """A user may deploy them all on one stack: their ids and service ports do not collide."""
    for name in NAMES:
        assert post(client, name).status_code == 201, name


def test_web_example_is_a_routed_docker_app_with_health_checks(client):
    app = post(client, "web.json").get_json()
    assert app["instances"] == 3
    assert app["container"]["docker"]["image"] == STACK_IMAGE
    assert network_mode(app) == "BRIDGE"
    assert [(m["containerPort"], m["hostPort"]) for m in app["container"]["portMappings"]] == [(8080, 0)]
    assert [check["protocol"] for check in app["healthChecks"]] == ["MESOS_HTTP"]
    assert app["labels"] == {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.localhost"}
    assert "$MESOS_TASK_ID" in app["cmd"]  # each answer names the instance that served it


def test_group_example_orders_the_web_after_the_db(client):
    post(client, "group.json")
    web = client.get("/v2/apps/shop/web").get_json()["app"]
    assert web["dependencies"] == ["/shop/db"]


def test_constraints_example_spreads_one_instance_per_host(client):
    app = post(client, "constraints.json").get_json()
    assert app["constraints"] == [["hostname", "UNIQUE"]]
