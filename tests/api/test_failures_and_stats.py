"""embed=apps.lastTaskFailure and embed=apps.taskStats: the pure taskStats function, and both through the
API over a real ZooKeeper, with failures and task records written by a Store as the scheduler does."""

from __future__ import annotations

from api.formats import task_stats
from framework.scheduler import records
from framework.timeutil import parse_ts
from tests.api.conftest import running_task
from tests.waiting import wait_for

V1, V2, V3 = "2026-11-26T20:00:00.000Z", "2026-11-26T20:05:00.000Z", "2026-11-26T20:10:00.000Z"
NOW = parse_ts("2026-11-26T21:00:00.000Z")
SLEEP = {"id": "/sleep", "cmd": "sleep 1000", "instances": 2, "cpus": 0.1, "mem": 16}


def _task(version: str, state: str = "TASK_RUNNING", *, started_ago: float | None = None,
          healthy: bool | None = None) -> dict:
    """A record of app /a at `version`, staged at V1, then moved to `state` (TASK_RUNNING: started
    `started_ago` seconds before NOW) as the scheduler's record functions do."""
    record = records.new_record({"id": "/a", "version": version}, f"t.{version}.{started_ago}.{state}",
                                agent_id="S0", host="h", ports=(31000,), service_ports=[], now=parse_ts(V1))
    if state == records.STAGING:
        return record
    status: dict = {"state": state}
    if started_ago is not None:
        status["timestamp"] = NOW - started_ago
    if healthy is not None:
        status.update(healthy=healthy, reason=records.HEALTH_REASON)
    return records.apply_status(record, status, now=NOW)


def test_task_stats_groups_by_launch_version_against_version_info() -> None:
    app = {"id": "/a", "version": V2, "versionInfo": {"lastScalingAt": V2, "lastConfigChangeAt": V1}}
    tasks = [_task(V1, started_ago=10, healthy=True), _task(V1, started_ago=20, healthy=False),
             _task(V2, started_ago=60), _task(V2, "TASK_STAGING"), _task(V2, "TASK_STARTING")]
    stats = task_stats(app, tasks, NOW)
    assert set(stats) == {"startedAfterLastScaling", "withLatestConfig", "totalSummary"}  # none outdated
    total = stats["totalSummary"]["stats"]
    assert total == {"counts": {"staged": 2, "running": 3, "healthy": 1, "unhealthy": 1},
                     "lifeTime": {"averageSeconds": 30.0, "medianSeconds": 20.0}}
    assert stats["withLatestConfig"] == stats["totalSummary"]
    assert stats["startedAfterLastScaling"]["stats"] == {
        "counts": {"staged": 2, "running": 1, "healthy": 0, "unhealthy": 0},
        "lifeTime": {"averageSeconds": 60.0, "medianSeconds": 60.0}}

    changed = {**app, "version": V3, "versionInfo": {"lastScalingAt": V3, "lastConfigChangeAt": V3}}
    stats = task_stats(changed, tasks, NOW)
    assert set(stats) == {"withOutdatedConfig", "totalSummary"}
    assert stats["withOutdatedConfig"] == stats["totalSummary"]


def test_task_stats_leave_out_empty_groups_and_unstarted_life_times() -> None:
    app = {"id": "/a", "version": V1}  # no versionInfo: the version stands for both timestamps
    assert task_stats(app, [], NOW) == {}
    staging = task_stats(app, [_task(V1, "TASK_STAGING")], NOW)
    assert staging["totalSummary"] == {"stats": {"counts": {"staged": 1, "running": 0, "healthy": 0,
                                                             "unhealthy": 0}}}
    assert set(staging) == {"startedAfterLastScaling", "withLatestConfig", "totalSummary"}
    broken = _task(V1, started_ago=5) | {"startedAt": "not a time"}
    assert "lifeTime" not in task_stats(app, [broken], NOW)["totalSummary"]["stats"]


def _create(client, app=SLEEP) -> dict:
    response = client.post("/v2/apps", json=app)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _finish(store, client) -> None:
    for deployment in client.get("/v2/deployments").get_json():
        store.deployments.delete(deployment["id"])


def _failure(app: dict, task_id: str, state: str = "TASK_FAILED") -> dict:
    """What the leader stores when a task of `app` ends in a failure state."""
    status = {"state": state, "message": "Command exited with status 1",
              "timestamp": parse_ts("2026-11-26T20:00:01.000Z")}
    return records.task_failure(running_task(app, task_id), status, now=NOW)


def test_last_task_failure_is_embedded_shown_on_the_app_and_goes_with_it(client, store):
    app = _create(client)
    _create(client, {**SLEEP, "id": "/other"})
    assert "lastTaskFailure" not in client.get("/v2/apps/sleep").get_json()["app"]
    failure = _failure(app, "sleep.t1")
    store.failures.put(failure).get(timeout=10)
    store.failures.put(_failure(app, "sleep.t2", "TASK_LOST")).get(timeout=10)  # the last one wins

    def shown(**query):
        apps = client.get("/v2/apps", query_string=query).get_json()["apps"]
        return {a["id"]: a.get("lastTaskFailure") for a in apps}

    wait_for(lambda: (shown(embed="apps.lastTaskFailure")["/sleep"] or {}).get("taskId") == "sleep.t2", 5,
             "the failure in the listing")
    expected = {**failure, "taskId": "sleep.t2", "state": "TASK_LOST"}
    assert shown(embed="apps.lastTaskFailure") == {"/sleep": expected, "/other": None}
    assert shown(embed="apps.failures")["/sleep"] == expected  # Marathon's older spelling
    assert shown() == {"/sleep": None, "/other": None}  # only when asked for
    single = client.get("/v2/apps/sleep").get_json()["app"]
    assert single["lastTaskFailure"] == expected
    assert list(single["lastTaskFailure"]) == ["appId", "host", "message", "state", "taskId", "timestamp",
                                               "version", "slaveId"]
    group = client.get("/v2/groups/", query_string={"embed": "group.apps.lastTaskFailure"}).get_json()
    assert {a["id"]: a.get("lastTaskFailure") for a in group["apps"]}["/sleep"] == expected

    _finish(store, client)
    assert client.delete("/v2/apps/sleep").status_code == 200
    wait_for(lambda: store.failures.get("/sleep") is None, 5, "the failure deleted with its app")
    _finish(store, client)
    _create(client)
    assert "lastTaskFailure" not in client.get("/v2/apps/sleep").get_json()["app"], "a new app has no past"


def test_task_stats_through_the_api_follow_scaling_and_config_changes(client, store):
    first = _create(client)
    _finish(store, client)
    for n in range(2):
        store.tasks.put(running_task(first, f"sleep.a{n}", port=31000 + n, healthy=n == 0))
    assert client.put("/v2/apps/sleep", json={"instances": 3}).status_code == 200  # a pure scale
    _finish(store, client)
    scaled = client.get("/v2/apps/sleep").get_json()["app"]
    assert scaled["versionInfo"]["lastConfigChangeAt"] == first["version"] != scaled["version"]
    store.tasks.put(running_task(scaled, "sleep.b0", port=31002, state="TASK_STAGING"))

    def stats() -> dict:
        listed = client.get("/v2/apps", query_string={"embed": "apps.taskStats"}).get_json()["apps"][0]
        return listed["taskStats"]

    wait_for(lambda: "startedAfterLastScaling" in stats() and
             stats()["totalSummary"]["stats"]["counts"]["staged"] == 1, 5, "three tasks mirrored")
    now = stats()
    assert now["totalSummary"]["stats"]["counts"] == {"staged": 1, "running": 2, "healthy": 1, "unhealthy": 1}
    assert now["withLatestConfig"] == now["totalSummary"] and "withOutdatedConfig" not in now
    assert now["startedAfterLastScaling"]["stats"] == {"counts": {"staged": 1, "running": 0, "healthy": 0,
                                                                   "unhealthy": 0}}
    life = now["totalSummary"]["stats"]["lifeTime"]
    assert 0 <= life["medianSeconds"] <= life["averageSeconds"] + 1 < 60

    assert client.put("/v2/apps/sleep", json={"cmd": "sleep 2000"}).status_code == 200  # a config change
    wait_for(lambda: "withOutdatedConfig" in stats(), 5, "the config change mirrored")
    changed = stats()
    assert set(changed) == {"withOutdatedConfig", "totalSummary"}
    assert changed["withOutdatedConfig"]["stats"]["counts"] == changed["totalSummary"]["stats"]["counts"]
    single = client.get("/v2/apps/sleep", query_string={"embed": "app.taskStats"}).get_json()["app"]
    assert single["taskStats"]["totalSummary"]["stats"]["counts"]["running"] == 2
