"""Hostile bodies on every write route: never a 5xx, never a hang, nothing created by a refused write, and
the api still answering afterwards; in-process on a real ZooKeeper, plus one run under gunicorn for what
only a real server frames (bodies beyond the limit, bytes that are not UTF-8)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.api.hostile import RAW, wrong_types

REAL_APP = json.loads((Path(__file__).parents[1] / "data/marathon/api-examples/app.json").read_text())
EXISTING = {"id": "/hostile-existing", "cmd": "sleep 1", "instances": 1, "cpus": 0.1, "mem": 16}
WRITE_ROUTES = [
    ("POST", "/v2/apps"), ("PUT", "/v2/apps"), ("PATCH", "/v2/apps"),
    ("PUT", "/v2/apps/hostile-existing?force=true"), ("PATCH", "/v2/apps/hostile-existing?force=true"),
    ("POST", "/v2/groups"), ("PUT", "/v2/groups?force=true"), ("PUT", "/v2/groups/hostile?force=yes&dryRun=no"),
    ("POST", "/v2/apps/hostile-existing/restart?force=maybe"), ("POST", "/v2/tasks/delete?scale=%ff"),
]
SECONDS = 5.0  # "never a hang": every answer within this


def apps_listing(client) -> list[tuple[str, str]]:
    return sorted((app["id"], app["version"]) for app in client.get("/v2/apps").get_json()["apps"])


def answered(client, method: str, url: str, **body: object) -> tuple[int, dict | None]:
    """Status and JSON of one request, asserting it answered in bounded time without a server error and,
    when refused, in Marathon's error shape and with the apps unchanged."""
    before = apps_listing(client)
    started = time.monotonic()
    response = client.open(url, method=method, **body)
    elapsed = time.monotonic() - started
    data = response.get_json(silent=True)
    assert response.status_code < 500, (method, url, response.status_code, data)
    assert elapsed < SECONDS, (method, url, elapsed)
    if response.status_code >= 400:
        assert isinstance(data, dict) and isinstance(data.get("message"), str), (method, url, data)
        if response.status_code in (400, 422):
            assert all({"path", "errors"} <= set(detail) for detail in data.get("details", [])), data
        assert apps_listing(client) == before, (method, url, "half-created")
    return response.status_code, data


@pytest.fixture
def existing(client) -> None:
    assert client.post("/v2/apps", json=EXISTING).status_code == 201


@pytest.mark.parametrize("name", list(RAW))
def test_hostile_raw_body_on_every_write_route(client, existing, name):
    for method, url in WRITE_ROUTES:
        answered(client, method, url, data=RAW[name], content_type="application/json")
    assert client.get("/ping").status_code == 200


@pytest.mark.parametrize(("name", "status"), [("deeply nested arrays", 400), ("deeply nested inside an app", 400),
                                              ("1e400", 400), ("5,000 digit integer", 400), ("NaN", 400),
                                              ("Infinity", 400), ("-Infinity", 400), ("invalid UTF-8", 400),
                                              ("huge string id", 422), ("many labels", 422),
                                              ("beyond the body limit", 413)])
def test_what_marathon_refuses_is_refused_as_marathon_does(client, name, status):
    code, data = answered(client, "POST", "/v2/apps", data=RAW[name], content_type="application/json")
    assert code == status, data
    if status == 400:
        assert data["message"] == "Invalid JSON"
    if status == 422:
        assert data["message"] == "Object is not valid"


def test_every_field_of_an_app_with_every_wrong_type(client, existing):
    """POST /v2/apps, PUT /v2/apps/<id> and POST /v2/groups with each member of a real app (nested ones too)
    replaced by each JSON type it does not have: 422 (or accepted where Marathon is lenient), never 5xx."""
    cases = list(wrong_types(REAL_APP))
    assert len(cases) > 500
    statuses = set()
    for n, (what, app) in enumerate(cases):
        own = app if what.startswith("/id ") else {**app, "id": f"/typed/a{n}"}
        statuses.add(answered(client, "POST", "/v2/apps", json=own)[0])
        update = {key: value for key, value in app.items() if key != "id"}
        statuses.add(answered(client, "PUT", "/v2/apps/hostile-existing?force=true", json=update)[0])
        group = {"id": f"/typed-group{n}", "apps": [{**app, "id": f"/typed-group{n}/a"}]}
        statuses.add(answered(client, "POST", "/v2/groups", json=group)[0])
    assert 422 in statuses
    assert client.get("/ping").status_code == 200


def test_under_gunicorn_oversized_and_undecodable_bodies_are_refused_and_the_api_lives_on(gunicorn_api):
    url = f"{gunicorn_api}/v2/apps"
    big = requests.post(url, data=RAW["beyond the body limit"], timeout=SECONDS,
                        headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and "message" in big.json()
    for name in ("invalid UTF-8", "deeply nested arrays", "NaN", "huge string id"):
        refused = requests.post(url, data=RAW[name], timeout=SECONDS, headers={"Content-Type": "application/json"})
        assert refused.status_code in (400, 422) and "message" in refused.json(), (name, refused.text)
    assert requests.get(url, timeout=SECONDS).json() == {"apps": []}
