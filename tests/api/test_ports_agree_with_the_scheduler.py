"""The api and the scheduler agree on the ports of every app of tests/data/marathon (the 1,000 real-shaped apps
and the api-examples that are apps): the service ports the api assigns and shows in its app JSON are those the
scheduler writes into a task's record and the api shows in the task's JSON, and the host ports the app JSON
asks for are those the scheduler launches the task with (records, the TaskInfo's resources and discovery).

The app JSON is read here as a Marathon client reads it, independently of framework.model: with a host
network the ports are ``portDefinitions`` (host port: the number with ``requirePorts``, else any), otherwise
``container.portMappings`` (host port: ``hostPort``, none when it is left out).
"""

from __future__ import annotations

import copy

import pytest

from api import serviceports
from api.formats import app_json
from framework.matching import Demand
from framework.model import normalize_app, normalize_group
from framework.scheduler.launching import plan_launches
from tests.marathon_data import example, real_apps

NOW = 1_790_000_000.0
SERVICE_PORTS = (10000, 20000)


def _group_apps(group: dict) -> list[dict]:
    return [*group["apps"], *(app for sub in group["groups"] for app in _group_apps(sub))]


def example_apps() -> list[dict]:
    app = example("app.json")
    del app["args"], app["ipAddress"]  # the contradictions Marathon refuses it for (see test_model_examples)
    return [app, example("app-check-http-example.json"), *example("app_list.json")["apps"],
            *example("apps_create.json"), *_group_apps(normalize_group(example("group.json")))]


def offer_for(app: dict) -> dict:
    """One offer that fits any instance: every port, and a role the app accepts."""
    roles = app.get("acceptedResourceRoles") or ["*"]
    role = "*" if "*" in roles else roles[0]
    scalars = {"cpus": 1000.0, "mem": 1e6, "disk": 1e7, "gpus": 100.0}
    resources = [{"name": name, "type": "SCALAR", "scalar": {"value": value}, "role": role}
                 for name, value in scalars.items()]
    resources.append({"name": "ports", "type": "RANGES", "role": role,
                      "ranges": {"range": [{"begin": 1, "end": 65535}]}})
    return {"id": {"value": "offer-1"}, "framework_id": {"value": "fw"}, "agent_id": {"value": "agent-1"},
            "hostname": "agent1.local", "resources": resources, "attributes": []}


def shown_ports(shown: dict) -> tuple[list[int], list[int]]:
    """(service ports, host port requests with 0 = any) as a Marathon client reads an app's JSON."""
    if shown["networks"][0]["mode"] == "host":
        definitions = shown.get("portDefinitions", [])
        return ([d["port"] for d in definitions],
                [d["port"] if shown["requirePorts"] else 0 for d in definitions])
    mappings = shown["container"].get("portMappings", [])
    return [m["servicePort"] for m in mappings], [m["hostPort"] for m in mappings if "hostPort" in m]


def launched(app: dict) -> tuple[dict, dict]:
    """The task record and TaskInfo the scheduler makes for one instance of `app`."""
    # Constraints are placement's business, not the ports': without them the one offer always fits.
    batch = plan_launches([Demand({**app, "constraints": []}, 1)], [offer_for(app)], [], now=NOW,
                          framework_id="fw")
    assert len(batch.records) == 1, (app["id"], batch.reasons)
    [task_info] = batch.task_infos_by_offer["offer-1"]
    return batch.records[0], task_info


@pytest.mark.parametrize("source", ["real-shaped", "api-examples"])
def test_the_api_and_the_scheduler_agree_on_ports(source: str) -> None:
    raws = real_apps() if source == "real-shaped" else example_apps()
    assert len(raws) == (1000 if source == "real-shaped" else 8)
    for raw in raws:
        app = normalize_app(copy.deepcopy(raw))
        serviceports.fill([app], iter(range(SERVICE_PORTS[0], SERVICE_PORTS[1] + 1)))  # as a write does
        record, task_info = launched(app)
        shown = app_json(app, {record["id"]: record}, [], ["apps.tasks"], now=NOW)
        service, requests = shown_ports(shown)
        where = app["id"]

        assert 0 not in service, where
        assert record["servicePorts"] == service, where
        assert shown["tasks"][0]["servicePorts"] == service, where

        ports = record["ports"]
        assert shown["tasks"][0]["ports"] == ports, where
        assert len(ports) == len(requests), where
        assert all(wanted in (0, got) for wanted, got in zip(requests, ports, strict=True)), where
        offered = [port for resource in task_info["resources"] if resource["name"] == "ports"
                   for r in resource["ranges"]["range"] for port in range(r["begin"], r["end"] + 1)]
        assert sorted(offered) == sorted(ports), where
        discovered = {p["number"] for p in task_info["discovery"].get("ports", {}).get("ports", [])}
        assert discovered == set(ports), where
