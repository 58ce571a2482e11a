"""The client's tables, status derivation and file reading, as pure functions of the API's JSON (no server)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from cli.client import render
from cli.client.apps import group_app_ids, is_group

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def ts(seconds_ago: float) -> str:
    """A Marathon timestamp `seconds_ago` before NOW."""
    moment = datetime.fromtimestamp(NOW - seconds_ago, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def app(**fields: object) -> dict:
    base = {"id": "/web", "instances": 2, "tasksRunning": 2, "tasksHealthy": 0, "tasksUnhealthy": 0,
            "tasksStaged": 0, "cpus": 0.05, "mem": 16, "disk": 0, "version": "2026-11-26T20:00:00.000Z",
            "deployments": [], "healthChecks": []}
    return {**base, **fields}


def queued(overdue: bool, left: int = 0) -> dict:
    return {"app": {"id": "/web"}, "count": 2, "delay": {"timeLeftSeconds": left, "overdue": overdue},
            "since": ts(30), "processedOffersSummary": {"processedOffersCount": 0, "unusedOffersCount": 0}}


@pytest.mark.parametrize(("fields", "entry", "status"), [
    ({}, None, "Running"),
    ({"deployments": [{"id": "d1"}]}, None, "Deploying"),
    ({"instances": 0, "tasksRunning": 0}, None, "Suspended"),
    ({"instances": 0, "tasksRunning": 1}, None, "Running"),  # still stopping: not suspended yet
    ({"deployments": [{"id": "d1"}]}, queued(overdue=True), "Waiting"),  # queued, out of backoff: offers
    ({"deployments": [{"id": "d1"}]}, queued(overdue=False, left=12), "Delayed"),  # backoff after failures
    ({"tasksUnhealthy": 1, "healthChecks": [{}]}, None, "Unhealthy"),
    ({"tasksUnhealthy": 1, "deployments": [{"id": "d1"}]}, None, "Deploying"),
])
def test_app_status_as_marathons_ui_derives_it(fields: dict, entry: dict | None, status: str) -> None:
    assert render.app_status(app(**fields), entry) == status


def test_app_row_reads_at_a_glance() -> None:
    checked = app(healthChecks=[{"protocol": "MESOS_HTTP"}], tasksHealthy=1, instances=3, cpus=1.0, mem=4096)
    assert render.app_row(checked) == ("/web", "Running", "2/3", "1/3", "1", "4096 MiB", "0 MiB",
                                       "2026-11-26T20:00:00.000Z")
    assert render.app_row(app())[3] == "-"  # no health checks: no health column to read


def test_app_rows_sorted_with_queue_status() -> None:
    apps = {"apps": [app(id="/web", deployments=[{"id": "d"}]), app(id="/api")]}
    rows = render.app_rows(apps, {"queue": [queued(overdue=True)]})
    assert [(row[0], row[1]) for row in rows] == [("/api", "Running"), ("/web", "Waiting")]


def test_task_row() -> None:
    task = {"id": "web.1", "appId": "/web", "host": "10.0.0.1", "ports": [31000, 31001], "state": "TASK_RUNNING",
            "startedAt": ts(192), "healthCheckResults": [{"alive": True}]}
    assert render.task_row(task, NOW) == ("web.1", "/web", "10.0.0.1:31000,31001", "RUNNING", "healthy",
                                          "3m 12s ago")
    staging = {"id": "web.2", "appId": "/web", "host": "h", "ports": [], "state": "TASK_STAGING"}
    assert render.task_row(staging, NOW) == ("web.2", "/web", "h", "STAGING", "-", "-")
    failing = {**task, "healthCheckResults": [{"alive": True}, {"alive": False}]}
    assert render.task_health(failing) == "unhealthy"


def test_task_rows_by_app_then_oldest_first() -> None:
    tasks = [{"id": "b.1", "appId": "/b", "startedAt": ts(5)}, {"id": "a.2", "appId": "/a", "startedAt": ts(5)},
             {"id": "a.1", "appId": "/a", "startedAt": ts(50)}]
    assert [row[0] for row in render.task_rows(tasks, NOW)] == ["a.1", "a.2", "b.1"]


def test_deployment_row() -> None:
    plan = {"id": "d1", "affectedApps": ["/db", "/web"], "currentStep": 2, "totalSteps": 3, "version": ts(65),
            "currentActions": [{"action": "RestartApplication", "app": "/web"},
                               {"action": "ScaleApplication", "app": "/db"}]}
    assert render.deployment_row(plan, NOW) == (
        "d1", "/db, /web", "2/3", "RestartApplication /web, ScaleApplication /db", "1m 5s ago")
    rollback = {**plan, "rollbackOf": "d0"}
    assert render.deployment_row(rollback, NOW)[3].endswith("(rolling back d0)")


def test_queue_row_says_why() -> None:
    assert render.queue_row(queued(overdue=True), NOW) == ("/web", "2", "Waiting for offers", "30s ago", "-")
    delayed = {**queued(overdue=False, left=75), "processedOffersSummary": {
        "processedOffersCount": 9, "unusedOffersCount": 9,
        "rejectSummaryLastOffers": [{"reason": "InsufficientCpus", "declined": 6, "processed": 9},
                                    {"reason": "InsufficientMemory", "declined": 3, "processed": 3},
                                    {"reason": "UnfulfilledRole", "declined": 0, "processed": 0}]}}
    assert render.queue_row(delayed, NOW)[2:] == ("Delayed 1m 15s (backoff after failures)", "30s ago",
                                                  "InsufficientCpus x6, InsufficientMemory x3")
    assert render.unused_offers({"insufficient cpus": 4}) == "insufficient cpus x4"


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (59, "59s"), (60, "1m"), (192, "3m 12s"),
                                               (7500, "2h 5m"), (3 * 86400 + 7200, "3d 2h")])
def test_duration(seconds: float, text: str) -> None:
    assert render.duration(seconds) == text


def test_error_lines_carry_marathons_details_and_locks() -> None:
    body = {"message": "Object is not valid", "details": [
        {"path": "/cpus", "errors": ["got -1, expected 0.001 or more"]},
        {"path": "/id", "errors": ["must be lowercase", "too long"]}]}
    assert render.error_lines(422, body) == [
        "422 Unprocessable Entity: Object is not valid", "  /cpus: got -1, expected 0.001 or more",
        "  /id: must be lowercase", "  /id: too long"]
    locked = {"message": "App is locked by one or more deployments.", "deployments": [{"id": "d1"}]}
    assert render.error_lines(409, locked)[1:] == ["  locked by deployment d1"]
    assert render.error_lines(502, None, "<html>Bad gateway</html>") == ["502 Bad Gateway: <html>Bad gateway</html>"]


def test_app_details_name_what_runs_and_the_last_failure() -> None:
    shown = dict(render.app_details(app(
        cmd="sleep 60", labels={"HAPROXY_GROUP": "external"}, versionInfo={"lastConfigChangeAt": ts(120)},
        lastTaskFailure={"state": "TASK_FAILED", "taskId": "web.1", "host": "h1", "timestamp": ts(10),
                         "message": "exit 1"}), queued(overdue=True), NOW))
    assert shown["status"] == "Waiting"
    assert shown["queue"] == "Waiting for offers"
    assert shown["runs"] == "cmd sleep 60"
    assert shown["labels"] == "HAPROXY_GROUP=external"
    assert shown["last failure"] == "TASK_FAILED of web.1 on h1, 10s ago: exit 1"
    assert shown["version"] == "2026-11-26T20:00:00.000Z (config changed 2m ago)"


def test_table_cells_are_text_not_markup() -> None:
    stream = io.StringIO()
    Console(file=stream, width=200).print(render.table(("ID", "STATUS"), [("/[bold]x", "Running")]))
    header, _rule, row = stream.getvalue().splitlines()[:3]
    assert header.split() == ["ID", "STATUS"]
    assert row.split() == ["/[bold]x", "Running"]


def test_a_group_file_is_told_from_an_app() -> None:
    group = {"id": "/shop", "apps": [{"id": "/shop/db", "cmd": "x"}, {"id": "web", "cmd": "y"}],
             "groups": [{"id": "back", "apps": [{"id": "queue", "cmd": "z"}]}]}
    assert is_group(group) and not is_group({"id": "/web", "cmd": "x"}) and not is_group({"id": "/web"})
    assert group_app_ids(group) == ["/shop/db", "/shop/web", "/shop/back/queue"]
