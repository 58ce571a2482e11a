"""The dashboard's pure view models: status words, the services table, error lines, diffs, progress, agents."""

from __future__ import annotations

import json

from api.ui.app_view import config_of, pretty, queue_view, task_rows
from api.ui.cluster import Resources, agents, master_url, routed_services, with_master_agents
from api.ui.deployments import deployment_view
from api.ui.editing import NotJson, field_errors, line_of, parse
from api.ui.guard import cross_site
from api.ui.history import compared_version, diff
from api.ui.services import breadcrumbs, group_ids, rows
from api.ui.status import app_status, epoch, group_status

NOW = epoch("2026-01-01T12:00:00.000Z")


def app(app_id: str, **fields) -> dict:
    return {"id": app_id, "instances": 2, "cpus": 0.5, "mem": 64, "disk": 0, "tasksRunning": 2, "tasksHealthy": 0,
            "tasksUnhealthy": 0, "tasksStaged": 0, "deployments": [], "version": "2026-01-01T10:00:00.000Z", **fields}


def test_status_words_in_order_of_what_explains_most():
    assert app_status(app("/a"), None, NOW) == "Running"
    assert app_status(app("/a", deployments=[{"id": "d"}]), None, NOW) == "Deploying"
    assert app_status(app("/a", instances=0, tasksRunning=0), None, NOW) == "Suspended"
    assert app_status(app("/a", tasksUnhealthy=1), None, NOW) == "Unhealthy"
    delayed = {"count": 1, "delay": {"timeLeftSeconds": 30, "overdue": False}, "since": "2026-01-01T11:59:59.000Z"}
    assert app_status(app("/a", deployments=[{"id": "d"}]), delayed, NOW) == "Delayed"
    fresh = {"count": 1, "delay": {"timeLeftSeconds": 0, "overdue": True}, "since": "2026-01-01T11:59:55.000Z"}
    assert app_status(app("/a", deployments=[{"id": "d"}]), fresh, NOW) == "Deploying"
    stuck = {**fresh, "since": "2026-01-01T11:58:00.000Z"}
    assert app_status(app("/a", deployments=[{"id": "d"}]), stuck, NOW) == "Waiting"
    assert group_status(["Running", "Unhealthy", "Suspended"]) == "Unhealthy"
    assert group_status([]) is None


def test_rows_of_a_group_aggregate_nested_apps_and_keep_empty_groups():
    apps = [app("/top"), app("/g/a", tasksUnhealthy=1), app("/g/sub/b", instances=0, tasksRunning=0)]
    table = rows(apps, {"/g", "/g/sub", "/empty"}, {}, NOW)
    assert [(row.kind, row.name) for row in table] == [("group", "empty"), ("group", "g"), ("app", "top")]
    group = table[1]
    assert (group.status, group.running, group.target, group.apps, group.cpus) == ("Unhealthy", 2, 2, 2, 1.0)
    inside = rows(apps, {"/g", "/g/sub"}, {}, NOW, group="/g")
    assert [(row.kind, row.name, row.status) for row in inside] == [("group", "sub", "Suspended"),
                                                                     ("app", "a", "Unhealthy")]
    assert [row.id for row in rows(apps, set(), {}, NOW, group="/g", text="B")] == ["/g/sub/b"]
    assert breadcrumbs("/g/sub") == [("All services", "/"), ("g", "/g"), ("sub", "/g/sub")]
    assert group_ids({"id": "/", "groups": [{"id": "/g", "groups": [{"id": "/g/sub"}]}]}) == {"/g", "/g/sub"}


def test_healthy_counts_only_apps_with_health_checks():
    checked = app("/g/checked", tasksHealthy=2, healthChecks=[{"protocol": "HTTP"}])
    table = rows([app("/unchecked"), checked], {"/g"}, {}, NOW)
    assert [(row.name, row.healthy) for row in table] == [("g", 2), ("unchecked", None)]  # not "0 healthy"
    assert rows([app("/g/a")], {"/g"}, {}, NOW)[0].healthy is None


def test_validation_errors_land_on_the_line_of_the_field_they_name():
    definition = {"id": "/web", "cpus": -1, "container": {"type": "DOCKER", "docker": {"image": ""}},
                  "portDefinitions": [{"port": 0}, {"port": -5, "name": "x"}], "labels": {"cpus": "not this"}}
    text = pretty(definition)
    lines = text.splitlines()
    assert lines[line_of(text, "/cpus") - 1].strip().startswith('"cpus": -1')
    assert lines[line_of(text, "/container/docker/image") - 1].strip() == '"image": ""'
    assert lines[line_of(text, "/portDefinitions(1)/port") - 1].strip() == '"port": -5,'
    assert lines[line_of(text, "/portDefinitions/1/port") - 1].strip() == '"port": -5,'
    assert lines[line_of(text, "/labels/cpus") - 1].strip() == '"cpus": "not this"'
    assert line_of(text, "/nothere/deeper") is None
    assert line_of(text, "/container/nothere") == line_of(text, "/container")  # its deepest ancestor
    errors = field_errors(text, [{"path": "/container/docker/image", "errors": ["must not be empty"]},
                                 {"path": "/cpus", "errors": ["too small"]}])
    assert [(error.field, error.messages) for error in errors] == [("cpus", ("too small",)),
                                                                   ("image", ("must not be empty",))]


def test_text_that_is_not_json_is_refused_with_its_line():
    try:
        parse('{\n  "id": "/web",\n  "cpus": 1,,\n}')
    except NotJson as error:
        assert error.error.line == 3
    else:
        raise AssertionError("parsed")
    assert parse('{"id": "/web"}') == {"id": "/web"}


def test_diff_shows_changed_lines_without_version_stamps():
    old = app("/a", cmd="sleep 1", version="v1")
    new = app("/a", cmd="sleep 2", version="v2", versionInfo={"lastConfigChangeAt": "v2"})
    kinds = [(line.kind, line.text.strip()) for line in diff(old, new)]
    assert any(k == "remove" and "sleep 1" in t for k, t in kinds)
    assert any(k == "add" and "sleep 2" in t for k, t in kinds)
    assert not any("v2" in t for _, t in kinds)
    assert diff(old, old) == []
    assert compared_version(["v3", "v2", "v1"], None) == "v2"
    assert compared_version(["v3", "v2", "v1"], "v1") == "v1"
    assert compared_version(["v3"], "gone") is None


def test_config_leaves_out_runtime_members_and_tasks_read_well():
    shown = app("/a", healthChecks=[{"protocol": "HTTP"}], tasks=[
        {"id": "a.1", "host": "h1", "ports": [31000, 31001], "state": "TASK_RUNNING", "startedAt": "s1",
         "version": "2026-01-01T10:00:00.000Z", "healthCheckResults": [{"alive": False}]},
        {"id": "a.2", "host": "h2", "ports": [], "state": "TASK_STAGING", "version": "old"}])
    assert not {"tasks", "tasksRunning", "version"} & set(config_of(shown))
    assert json.loads(pretty(config_of(shown)))["cpus"] == 0.5
    first, second = task_rows(shown)
    assert (first.id, first.endpoint, first.state, first.health) == ("a.2", "h2", "STAGING", "Unknown")
    assert (second.endpoint, second.state, second.health) == ("h1:31000,31001", "RUNNING", "Unhealthy")
    assert second.current


def test_queue_reasons_in_any_shape_most_frequent_first():
    entry = {"count": 2, "delay": {"timeLeftSeconds": 12, "overdue": False}, "since": "s",
             "processedOffersSummary": {
                 "InsufficientMemory": 3, "processedOffersCount": 9, "unusedOffersCount": 9,
                 "rejectSummaryLastOffers": [{"reason": "UnfulfilledConstraint", "declined": 5}]},
             "lastUnusedOffers": [{"reason": ["InsufficientMemory"]}]}
    view = queue_view(entry)
    assert view.reasons == [("UnfulfilledConstraint", 5), ("InsufficientMemory", 4)]
    assert (view.count, view.delay_seconds, view.overdue, view.offers_processed) == (2, 12, False, 9)
    assert queue_view(None) is None


def test_deployment_progress_counts_the_current_step_by_running_instances():
    plan = {"id": "d1", "version": "v", "affectedApps": ["/a"], "currentStep": 2, "totalSteps": 2,
            "steps": [{"actions": [{"action": "StartApplication", "app": "/a"}]},
                      {"actions": [{"action": "ScaleApplication", "app": "/a"}]}],
            "currentActions": [{"action": "ScaleApplication", "app": "/a"}]}
    view = deployment_view(plan, {"/a": app("/a", instances=4, tasksRunning=1)})
    assert (view.percent, [step.state for step in view.steps]) == (62, ["done", "current"])
    assert deployment_view({**plan, "currentStep": 2}, {"/a": app("/a", instances=4, tasksRunning=4)}).percent == 100


def test_agents_sum_what_their_live_tasks_use():
    apps = {"/a": app("/a"), "/b": app("/b", cpus=1, mem=100)}
    tasks = [{"appId": "/a", "slaveId": "s1", "host": "h1", "state": "TASK_RUNNING"},
             {"appId": "/b", "slaveId": "s1", "host": "h1", "state": "TASK_STAGING"},
             {"appId": "/b", "slaveId": "s2", "host": "h2", "state": "TASK_FINISHED"}]
    (only,) = agents(tasks, apps)
    assert (only.host, only.tasks, only.cpus, only.mem, only.apps) == ("h1", 2, 1.5, 164.0, {"/a", "/b"})
    services = routed_services({"services": [{"appId": "/web", "port": 10001, "vhosts": ["web.localhost"],
                                              "servers": [{"address": "h", "port": 1}]}]})
    assert [(s.app_id, s.port, s.vhosts, s.servers) for s in services] == [("/web", 10001, ("web.localhost",), 1)]


def test_cross_site_posts_are_told_apart():
    assert not cross_site({"Sec-Fetch-Site": "same-origin"}, "h:8080")
    assert cross_site({"Sec-Fetch-Site": "cross-site", "Origin": "http://h:8080"}, "h:8080")
    assert cross_site({"Origin": "http://evil.example"}, "h:8080")
    assert not cross_site({"Origin": "http://h:8080"}, "h:8080")
    assert not cross_site({}, "h:8080")  # curl or a script, with its credentials on purpose


def test_agents_get_their_totals_from_the_master_and_idle_agents_are_listed():
    ours = agents([{"appId": "/a", "state": "TASK_RUNNING", "agentId": "S1", "host": "h1"}], {"/a": app("/a")})
    slaves = {"slaves": [
        {"id": "S1", "hostname": "h1", "resources": {"cpus": 4, "mem": 4096, "disk": 100},
         "used_resources": {"cpus": 1.5, "mem": 512, "disk": 0}},
        {"id": "S2", "hostname": "h2", "resources": {"cpus": 2, "mem": 1024}, "used_resources": {}}]}
    joined = with_master_agents(ours, slaves)
    assert [(a.host, a.tasks, a.cpus, a.total, a.used_by_all) for a in joined] == [
        ("h1", 1, 0.5, Resources(4, 4096, 100), Resources(1.5, 512, 0)),
        ("h2", 0, 0.0, Resources(2, 1024, 0), Resources(0, 0, 0))]
    assert master_url("127.0.0.1:5050") == "http://127.0.0.1:5050"
    assert master_url("zk://z1:2181/mesos") is None and master_url(None) is None
