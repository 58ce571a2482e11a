"""/v2/tasks, /v2/apps/{id}/tasks, /v2/deployments, /v2/groups and /v2/queue against a real ZooKeeper."""

from __future__ import annotations

import json

from tests.api.conftest import running_task
from tests.api.test_apps import SLEEP, create, finish
from tests.marathon_data import EXAMPLES
from tests.waiting import wait_for


def with_tasks(client, store, n=2):
    create(client)
    finish(store, client)
    app = client.get("/v2/apps/sleep").get_json()["app"]
    ids = [f"sleep.t{i}" for i in range(n)]
    for i, task_id in enumerate(ids):
        store.tasks.put(running_task(app, task_id, host=f"h{i}", port=31000 + i))
    wait_for(lambda: len(client.get("/v2/apps/sleep/tasks").get_json()["tasks"]) == n, 5, "tasks mirrored")
    return app, ids


def requests(store):
    return [request for _, request in store.requests.take()]


def test_task_listings_json_and_text(client, store):
    app, ids = with_tasks(client, store)
    tasks = client.get("/v2/tasks").get_json()["tasks"]
    assert [t["id"] for t in tasks] == ids
    assert set(tasks[0]) >= {"id", "appId", "host", "ports", "servicePorts", "ipAddresses", "slaveId", "stagedAt",
                             "startedAt", "state", "version", "healthCheckResults"}
    assert client.get("/v2/tasks?status=running").get_json()["tasks"] != []
    assert client.get("/v2/tasks?status=staging").get_json()["tasks"] == []
    text = client.get("/v2/tasks", headers={"Accept": "text/plain"})
    assert text.mimetype == "text/plain"
    port = app["portDefinitions"][0]["port"]
    assert text.data.decode() == f"sleep\t{port}\th0:31000\th1:31001\n"


def test_kill_tasks_without_and_with_scale(client, store):
    _, ids = with_tasks(client, store, 3)
    killed = client.delete(f"/v2/apps/sleep/tasks/{ids[0]}")
    assert killed.status_code == 200 and killed.get_json()["task"]["id"] == ids[0]
    assert requests(store) == [{"type": "kill", "taskIds": [ids[0]], "scale": False, "wipe": False}]
    scaled = client.delete(f"/v2/apps/sleep/tasks/{ids[1]}?scale=true")
    assert scaled.status_code == 200 and scaled.headers["Marathon-Deployment-Id"]
    assert client.get("/v2/apps/sleep").get_json()["app"]["instances"] == 1
    finish(store, client)
    on_host = client.delete("/v2/apps/sleep/tasks?host=h2")
    assert [t["id"] for t in on_host.get_json()["tasks"]] == [ids[2]]
    bulk = client.post("/v2/tasks/delete", json={"ids": ids[:2]})
    assert bulk.status_code == 200 and len(bulk.get_json()["tasks"]) == 2
    assert client.delete("/v2/apps/sleep/tasks/sleep.nope").status_code == 404
    assert client.post("/v2/tasks/delete", json={"ids": ["sleep.nope"]}).status_code == 404
    assert client.post("/v2/tasks/delete", json={"ids": "x"}).status_code == 422


def test_deployment_rollback_and_forced_cancel(client, store):
    create(client)
    finish(store, client)
    client.put("/v2/apps/sleep", json={"cmd": "sleep 2"})
    plan = client.get("/v2/deployments").get_json()[0]
    rollback = client.delete(f"/v2/deployments/{plan['id']}")
    assert rollback.status_code == 200
    plans = client.get("/v2/deployments").get_json()
    assert [p["id"] for p in plans] == [rollback.get_json()["deploymentId"]]
    assert client.get("/v2/apps/sleep").get_json()["app"]["cmd"] == "sleep 1000"
    cancel = client.delete(f"/v2/deployments/{plans[0]['id']}?force=true")
    assert cancel.status_code == 202
    assert client.delete("/v2/deployments/nope").status_code == 404


def test_groups_create_get_update_dry_run_scale_and_delete(client, store):
    with open(EXAMPLES / "group.json") as f:
        example = json.load(f)
    tools = example["groups"][0]
    created = client.post("/v2/groups", json=tools)
    assert created.status_code == 201, created.get_json()
    assert client.post("/v2/groups", json=tools).status_code == 409
    root = client.get("/v2/groups").get_json()
    assert [g["id"] for g in root["groups"]] == ["/tools"]
    sub = client.get("/v2/groups/tools").get_json()
    assert {a["id"] for a in sub["apps"]} == {"/tools/oauth-server", "/tools/datadog-agent"}
    assert {g["id"] for g in sub["groups"]} == {"/tools/docker", "/tools/log"}
    assert client.get("/v2/groups/tools/versions").status_code == 200
    assert client.get("/v2/groups/nope").status_code == 404
    finish(store, client)
    dry = client.put("/v2/groups/tools?dryRun=true", json={"id": "/tools", "apps": []})
    assert dry.status_code == 200 and "steps" in dry.get_json()
    assert len(client.get("/v2/groups/tools").get_json()["apps"]) == 2
    scaled = client.put("/v2/groups/tools", json={"scaleBy": 2})
    assert scaled.status_code == 200
    assert client.get("/v2/apps/tools/oauth-server").get_json()["app"]["instances"] == 4
    finish(store, client)
    updated = client.put("/v2/groups/tools", json={"id": "/tools", "apps": [{"id": "only", "cmd": "sleep 1"}]})
    assert updated.status_code == 200
    assert [a["id"] for a in client.get("/v2/groups/tools").get_json()["apps"]] == ["/tools/only"]
    bad = client.post("/v2/groups", json={"id": "/x", "apps": [{"id": "/elsewhere/a", "cmd": "x"}]})
    assert bad.status_code == 422
    finish(store, client)
    assert client.delete("/v2/groups/tools").status_code == 200
    assert client.get("/v2/apps").get_json()["apps"] == []


def test_queue_and_delay_reset(client, store):
    create(client)
    assert client.get("/v2/queue").get_json() == {"queue": []}
    assert client.delete("/v2/queue/sleep/delay").status_code == 404
    store.queue.put("/sleep", {"count": 2, "delay": {"timeLeftSeconds": 7, "overdue": False},
                               "since": "2026-11-26T20:00:00.000Z", "processedOffersSummary": {}})
    wait_for(lambda: client.get("/v2/queue").get_json()["queue"], 5, "queue mirrored")
    entry = client.get("/v2/queue").get_json()["queue"][0]
    assert entry["app"]["id"] == "/sleep" and entry["count"] == 2
    assert entry["delay"] == {"timeLeftSeconds": 7, "overdue": False}
    assert client.delete("/v2/queue/sleep/delay").status_code == 204
    assert requests(store) == [{"type": "reset-delay", "appId": "/sleep"}]
    assert SLEEP["id"] == "/sleep"
