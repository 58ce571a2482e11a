"""/v2/info, /v2/leader, /ping, /metrics, /v2/openapi.json, /v2/events, auth, and a second replica."""

from __future__ import annotations

import base64
import json
import time

from api import create_app
from framework.store import Mirror
from tests.api.conftest import ROOT
from tests.api.test_apps import SLEEP, create
from tests.waiting import wait_for


def test_ping_info_leader_metrics_openapi(client, store, kazoo_client):
    assert client.get("/ping").data == b"pong"
    assert client.get("/v2/leader").status_code == 404
    leader = json.dumps({"id": "s1", "host": "sched1", "port": 8081}).encode()
    kazoo_client.create(store.nodes.layout.leader_info, leader)
    store.set_framework_id("fw-0001")
    wait_for(lambda: client.get("/v2/leader").status_code == 200, 5, "leader mirrored")
    assert client.get("/v2/leader").get_json() == {"leader": "sched1:8081"}
    wait_for(lambda: client.get("/v2/info").get_json()["frameworkId"] == "fw-0001", 5, "framework id")
    info = client.get("/v2/info").get_json()
    assert info["elected"] is True and info["leader"] == "sched1:8081"
    assert {"marathon_config", "zookeeper_config", "http_config"} <= set(info)
    create(client)
    metrics = client.get("/metrics").data.decode()
    assert 'balalaika_api_requests_total{' in metrics and "balalaika_apps 1" in metrics
    assert "balalaika_api_request_duration_seconds_bucket" in metrics and "balalaika_deployments 1" in metrics
    document = client.get("/v2/openapi.json").get_json()
    assert document["openapi"].startswith("3.") and "/v2/apps/{app_id}" in document["paths"]
    assert client.get("/v2/nothing").get_json() == {"message": "HTTP 404 Not Found"}
    assert client.delete("/v2/info").status_code == 405


def _read_until(lines, wanted, deadline=5.0):
    end = time.monotonic() + deadline
    seen = []
    for chunk in lines:
        seen.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if wanted in "".join(seen) or time.monotonic() > end:
            break
    return "".join(seen)


def test_event_stream_filters_and_heartbeats(api_app, store):
    client = api_app.test_client()
    response = client.get("/v2/events?event_type=api_post_event&event_type=deployment_info&plan-format=light",
                          buffered=False)
    assert response.mimetype == "text/event-stream"
    stream = iter(response.response)
    assert "event_stream_attached" in _read_until(stream, "event_stream_attached")
    store.events.append({"eventType": "status_update_event", "timestamp": "2026-11-26T20:00:00.000Z"})
    store.events.append({"eventType": "deployment_info", "timestamp": "2026-11-26T20:00:00.000Z",
                         "plan": {"id": "d1", "original": {"apps": []}, "target": {"apps": []}, "steps": []}})
    create(client)
    text = _read_until(stream, "api_post_event")
    assert "status_update_event" not in text
    assert "event: deployment_info" in text and '"original"' not in text
    assert '"appDefinition":{"id":"/sleep"' in text
    assert ":\n\n" in _read_until(stream, ":\n\n")  # heartbeat comment (EVENT_HEARTBEAT=0.2 s)
    response.close()


def test_auth_basic_and_bearer_with_prefix_permissions(zk_hosts):
    app = create_app({"ZK_HOSTS": zk_hosts, "ZK_ROOT": ROOT, "AUTH": {
        "users": [{"name": "ops", "password": "pw", "permissions": [{"prefix": "/", "level": "admin"}]},
                  {"name": "team", "password": "t", "permissions": [{"prefix": "/team", "level": "write"}]}],
        "tokens": [{"token": "reader-token", "permissions": [{"prefix": "/", "level": "read"}]}]}})
    client = app.test_client()
    try:
        def basic(user, password):
            return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

        assert client.get("/ping").status_code == 200
        anonymous = client.get("/v2/apps")
        assert anonymous.status_code == 401 and anonymous.get_json() == {"message": "Invalid username or password."}
        assert client.get("/v2/apps", headers=basic("ops", "wrong")).status_code == 401
        assert client.post("/v2/apps", json={**SLEEP, "id": "/team/a"}, headers=basic("team", "t")).status_code == 201
        denied = client.post("/v2/apps", json={**SLEEP, "id": "/other"}, headers=basic("team", "t"))
        assert denied.status_code == 403 and denied.get_json() == {"message": "Not Authorized to perform this action!"}
        bearer = {"Authorization": "Bearer reader-token"}
        assert client.get("/v2/apps", headers=bearer).status_code == 200
        assert client.delete("/v2/apps/team/a", headers=bearer).status_code == 403
        assert client.post("/v2/apps", json={**SLEEP, "id": "/other"}, headers=basic("ops", "pw")).status_code == 201
    finally:
        app.extensions["balalaika.backend"].close()


def test_a_write_is_visible_on_a_second_replica_within_a_second(client, kazoo_client):
    other = Mirror(kazoo_client, ROOT)
    other.start(10)
    try:
        started = time.monotonic()
        create(client)
        wait_for(lambda: "/sleep" in other.snapshot().apps, 1.0, "the app on the second replica")
        assert time.monotonic() - started < 1.5
    finally:
        other.stop()
