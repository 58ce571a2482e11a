"""/v2/apps through the Flask test client against a real ZooKeeper."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from api import create_app
from tests.api.conftest import ROOT, running_task
from tests.marathon_data import EXAMPLES
from tests.waiting import wait_for

SLEEP = {"id": "/sleep", "cmd": "sleep 1000", "instances": 2, "cpus": 0.1, "mem": 16}


def create(client, app=SLEEP, **query):
    response = client.post("/v2/apps", json=app, query_string=query)
    assert response.status_code == 201, response.get_json()
    return response


def finish(store, client):
    """Plays the leader finishing every deployment."""
    for deployment in client.get("/v2/deployments").get_json():
        store.deployments.delete(deployment["id"])


def test_create_answers_201_with_location_defaults_and_deployment(client):
    response = create(client)
    body = response.get_json()
    assert response.headers["Location"] == "/v2/apps/sleep"
    assert body["deployments"] == [{"id": response.headers["Marathon-Deployment-Id"]}]
    assert body["instances"] == 2 and body["backoffFactor"] == 1.15 and body["tasksRunning"] == 0
    assert body["version"].endswith("Z") and len(body["version"]) == 24
    assert body["versionInfo"] == {"lastScalingAt": body["version"], "lastConfigChangeAt": body["version"]}
    listed = client.get("/v2/apps").get_json()["apps"]
    assert [app["id"] for app in listed] == ["/sleep"]
    assert listed[0]["deployments"] == body["deployments"]


def test_create_twice_is_409_and_invalid_json_400_and_invalid_app_422(client):
    create(client)
    again = client.post("/v2/apps", json=SLEEP)
    assert again.status_code == 409 and "already exists" in again.get_json()["message"]
    broken = client.post("/v2/apps", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["message"] == "Invalid JSON"
    assert client.post("/v2/apps", data="[]", content_type="application/json").status_code == 400
    invalid = client.post("/v2/apps", json={"id": "/Bad_Id", "cmd": "x", "cpus": -1})
    assert invalid.status_code == 422
    body = invalid.get_json()
    assert body["message"] == "Object is not valid"
    assert {detail["path"] for detail in body["details"]} >= {"/id", "/cpus"}


def test_body_over_the_limit_is_413(api_app):
    api_app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api_app.test_client().post("/v2/apps", json={**SLEEP, "env": {"X": "y" * 2000}})
    assert response.status_code == 413 and "message" in response.get_json()


def test_unknown_app_is_404_in_marathon_shape(client):
    for method, path in [("get", "/v2/apps/nope"), ("delete", "/v2/apps/nope"), ("patch", "/v2/apps/nope"),
                         ("post", "/v2/apps/nope/restart"), ("get", "/v2/apps/nope/versions"),
                         ("get", "/v2/apps/nope/tasks")]:
        kwargs = {"json": {"instances": 1}} if method == "patch" else {}
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 404, path
        assert response.get_json() == {"message": "App '/nope' does not exist"}


def test_locked_app_is_409_unless_forced_and_force_replaces_the_deployment(client):
    first = create(client).headers["Marathon-Deployment-Id"]
    locked = client.put("/v2/apps/sleep", json={"instances": 3})
    assert locked.status_code == 409
    assert locked.get_json()["deployments"] == [{"id": first}]
    assert "locked by one or more deployments" in locked.get_json()["message"]
    forced = client.put("/v2/apps/sleep", json={"instances": 3}, query_string={"force": "True"})
    assert forced.status_code == 200
    second = forced.get_json()["deploymentId"]
    assert forced.headers["Marathon-Deployment-Id"] == second
    assert [d["id"] for d in client.get("/v2/deployments").get_json()] == [second]


def test_partial_update_scale_keeps_config_change_time_and_full_replace_does_not(client, store):
    created = create(client).get_json()
    finish(store, client)
    scaled = client.put("/v2/apps/sleep", json={"instances": 5})
    assert scaled.status_code == 200
    app = client.get("/v2/apps/sleep").get_json()["app"]
    assert app["instances"] == 5 and app["cmd"] == "sleep 1000" and app["mem"] == 16
    assert app["versionInfo"]["lastConfigChangeAt"] == created["version"]
    assert app["versionInfo"]["lastScalingAt"] == scaled.get_json()["version"]
    finish(store, client)
    replaced = client.put("/v2/apps/sleep?partialUpdate=false", json={"cmd": "sleep 5"})
    app = client.get("/v2/apps/sleep").get_json()["app"]
    assert app["instances"] == 1 and app["mem"] == 128
    assert app["versionInfo"]["lastConfigChangeAt"] == replaced.get_json()["version"]
    finish(store, client)
    patched = client.patch("/v2/apps/sleep", json={"mem": 32})
    assert patched.status_code == 200
    assert client.get("/v2/apps/sleep").get_json()["app"]["mem"] == 32


def test_put_creates_a_missing_app_with_201(client):
    response = client.put("/v2/apps/made/by/put", json={"cmd": "sleep 1"})
    assert response.status_code == 201
    assert set(response.get_json()) == {"deploymentId", "version"}
    assert client.get("/v2/apps/made/by/put").status_code == 200


def test_versions_and_rollback_to_a_version(client, store):
    first = create(client).get_json()["version"]
    finish(store, client)
    client.put("/v2/apps/sleep", json={"cmd": "sleep 2"})
    finish(store, client)
    versions = client.get("/v2/apps/sleep/versions").get_json()["versions"]
    assert len(versions) == 2 and versions[-1] == first
    old = client.get(f"/v2/apps/sleep/versions/{first}").get_json()
    assert old["cmd"] == "sleep 1000"
    assert client.get("/v2/apps/sleep/versions/2000-01-01T00:00:00.000Z").status_code == 404
    client.put("/v2/apps/sleep", json={"version": first})
    assert client.get("/v2/apps/sleep").get_json()["app"]["cmd"] == "sleep 1000"


def test_delete_and_restart_create_deployments(client, store):
    create(client)
    finish(store, client)
    restart = client.post("/v2/apps/sleep/restart")
    assert restart.status_code == 200
    plan = client.get("/v2/deployments").get_json()[0]
    assert plan["id"] == restart.get_json()["deploymentId"]
    assert plan["steps"][0]["actions"][0]["action"] == "RestartApplication"
    finish(store, client)
    deleted = client.delete("/v2/apps/sleep")
    assert deleted.status_code == 200 and deleted.headers["Marathon-Deployment-Id"]
    assert client.get("/v2/apps/sleep").status_code == 404


def test_bulk_put_and_patch(client):
    with open(EXAMPLES / "apps_create.json") as f:
        apps = json.load(f)
    response = client.put("/v2/apps", json=apps)
    assert response.status_code == 200
    assert {a["id"] for a in client.get("/v2/apps").get_json()["apps"]} == {"/test/sleep60", "/test/sleep120"}
    plan = client.get("/v2/deployments").get_json()[0]
    # /test/sleep60 depends on /test/sleep120, so it starts in a later step
    assert plan["affectedApps"] == ["/test/sleep120", "/test/sleep60"]
    patch = client.patch("/v2/apps", json=[{"id": "/test/sleep60", "cpus": 0.5}], query_string={"force": "true"})
    assert patch.status_code == 200
    assert client.get("/v2/apps/test/sleep60").get_json()["app"]["cpus"] == 0.5
    assert client.put("/v2/apps", json=[{"cmd": "no id"}]).status_code == 422


def test_filters_embeds_counts_and_group_wildcard(client, store):
    create(client, {**SLEEP, "id": "/web/front", "labels": {"tier": "web", "team": "a"},
                    "healthChecks": [{"protocol": "TCP"}]})
    create(client, {**SLEEP, "id": "/db/main", "cmd": "postgres", "labels": {"tier": "db"}})
    front = client.get("/v2/apps/web/front").get_json()["app"]
    store.tasks.put(running_task(front, "web_front.a1", healthy=True))
    store.tasks.put(running_task(front, "web_front.a2", healthy=False, port=31001))
    store.tasks.put(running_task(front, "web_front.a3", state="TASK_STAGING"))

    def ids(**query):
        return [a["id"] for a in client.get("/v2/apps", query_string=query).get_json()["apps"]]

    assert ids(cmd="postgres") == ["/db/main"]
    assert ids(id="web") == ["/web/front"]
    assert ids(label="tier==web") == ["/web/front"]
    assert ids(label="tier in (db, cache)") == ["/db/main"]
    assert ids(label="team") == ["/web/front"] and ids(label="!team") == ["/db/main"]
    assert client.get("/v2/apps", query_string={"label": "tier in (oops"}).status_code == 400
    wait_for(lambda: len(client.get("/v2/apps/web/front").get_json()["app"]["tasks"]) == 3, 5, "tasks mirrored")
    app = client.get("/v2/apps", query_string={"embed": ["apps.tasks", "apps.taskStats"], "id": "front"})
    app = app.get_json()["apps"][0]
    assert (app["tasksRunning"], app["tasksStaged"], app["tasksHealthy"], app["tasksUnhealthy"]) == (2, 1, 1, 1)
    task = next(t for t in app["tasks"] if t["id"] == "web_front.a1")
    assert task["slaveId"] == "agent-1-S0"
    assert task["servicePorts"] == [front["portDefinitions"][0]["port"]]
    assert task["healthCheckResults"][0]["alive"] is True
    assert app["taskStats"]["totalSummary"]["stats"]["counts"]["running"] == 2
    assert "tasks" not in client.get("/v2/apps").get_json()["apps"][0]
    assert [a["id"] for a in client.get("/v2/apps/web*").get_json()["apps"]] == ["/web/front"]


def test_service_ports_are_unique_and_kept_across_updates(client, store):
    create(client, {**SLEEP, "id": "/a", "portDefinitions": [{"port": 0}, {"port": 0}]})
    create(client, {**SLEEP, "id": "/b", "portDefinitions": [{"port": 0}]})
    create(client, {"id": "/c", "instances": 1, "container": {"type": "DOCKER", "docker": {
        "image": "nginx", "network": "BRIDGE", "portMappings": [{"containerPort": 80, "hostPort": 0,
                                                                 "servicePort": 0}]}}})
    apps = {a["id"]: a for a in client.get("/v2/apps").get_json()["apps"]}
    ports = [p["port"] for p in apps["/a"]["portDefinitions"]] + [apps["/b"]["portDefinitions"][0]["port"]]
    ports.append(apps["/c"]["container"]["portMappings"][0]["servicePort"])
    assert len(set(ports)) == 4 and all(10000 <= p <= 20000 for p in ports)
    finish(store, client)
    client.put("/v2/apps/a", json={"portDefinitions": [{"port": 0}, {"port": 0}], "cmd": "sleep 9"})
    after = client.get("/v2/apps/a").get_json()["app"]
    assert [p["port"] for p in after["portDefinitions"]] == ports[:2]


def test_concurrent_creates_on_two_replicas_get_unique_service_ports(zk_hosts):
    """Writers of two replicas reserve their blocks of ports on the one allocation record: a reservation that
    loses the compare-and-set re-reads it and picks other ports, and no write gives up with 409. (Replicas
    on one host would reserve in turn through a lock file; these race as if on two hosts.)"""
    replicas = [create_app({"ZK_HOSTS": zk_hosts, "ZK_ROOT": ROOT, "TESTING": True,
                            "SERVICE_PORTS_HOST_TURN": False}) for _ in range(2)]

    def post(index: int) -> list[int]:
        client = replicas[index % 2].test_client()
        codes = []
        for i in range(6):
            body = {**SLEEP, "id": f"/race/w{index}/a{i}", "portDefinitions": [{"port": 0}, {"port": 0}]}
            codes.append(client.post("/v2/apps", json=body).status_code)
        return codes

    try:
        with ThreadPoolExecutor(6) as pool:
            codes = [code for batch in pool.map(post, range(6)) for code in batch]
        assert codes == [201] * 36
        reader = replicas[0].test_client()

        def listed() -> list[dict]:
            return reader.get("/v2/apps", query_string={"id": "/race"}).get_json()["apps"]

        wait_for(lambda: len(listed()) == 36, 5, "both replicas' apps visible")
        ports = [d["port"] for app in listed() for d in app["portDefinitions"]]
        assert len(ports) == 72 and len(set(ports)) == 72
    finally:
        for replica in replicas:
            replica.extensions["balalaika.backend"].close()


def test_a_deployment_written_by_another_replica_locks_the_app_at_once(client, zk_hosts):
    other = create_app({"ZK_HOSTS": zk_hosts, "ZK_ROOT": ROOT, "TESTING": True})
    try:
        first = create(other.test_client()).headers["Marathon-Deployment-Id"]
        locked = client.put("/v2/apps/sleep", json={"instances": 3})
        assert locked.status_code == 409
        assert locked.get_json()["deployments"] == [{"id": first}]
    finally:
        other.extensions["balalaika.backend"].close()


def test_boolean_query_parameters_are_case_insensitive_and_checked(client):
    create(client)
    assert client.put("/v2/apps/sleep?force=TRUE", json={"instances": 1}).status_code == 200
    assert client.put("/v2/apps/sleep?force=False", json={"instances": 2}).status_code == 409
    bad = client.put("/v2/apps/sleep?force=maybe", json={"instances": 2})
    assert bad.status_code == 400 and "force" in bad.get_json()["message"]
