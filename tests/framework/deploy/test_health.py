"""Health-driven kills: thresholds, grace, unreachable tasks, the per-app rate limit."""

from __future__ import annotations

from framework.deploy.health import failing_tasks, kill_limit, unhealthy_kills
from tests.framework.deploy.helpers import HEALTH_CHECK, make_app, make_task

NOW = 10_000.0


def failing(task_id: str, failures: int = 3, *, started: float = 0.0, first_success=None, **extra) -> dict:
    results = [{"alive": False, "consecutiveFailures": failures, "firstSuccess": first_success, "taskId": task_id}]
    return make_task(task_id, started=started, healthy=False, healthCheckResults=results, **extra)


def app(instances: int = 5, **check) -> dict:
    return make_app(instances=instances, healthChecks=[{**HEALTH_CHECK, **check}])


def test_kill_at_max_consecutive_failures():
    assert failing_tasks(app(), [failing("a", 2), failing("b", 3), failing("c", 7)], now=NOW) == ["c", "b"]


def test_zero_max_consecutive_failures_never_kills():
    assert failing_tasks(app(maxConsecutiveFailures=0), [failing("a", 50)], now=NOW) == []


def test_grace_period_until_first_success():
    young = failing("a", started=NOW - 100)
    assert failing_tasks(app(), [young], now=NOW) == []
    passed_once = failing("b", started=NOW - 100, first_success=NOW - 90)
    assert failing_tasks(app(), [passed_once], now=NOW) == ["b"]
    assert failing_tasks(app(), [failing("c", started=NOW - 300)], now=NOW) == ["c"]


def test_unknown_start_counts_as_in_grace():
    task = failing("a")
    task.update(startedAt=None, stagedAt=None)
    assert failing_tasks(app(), [task], now=NOW) == []


def test_only_running_tasks_are_killed_for_health():
    tasks = [
        failing("a", state="TASK_UNREACHABLE", unreachableSince=NOW - 5),
        failing("b", state="TASK_KILLING"),
        failing("c", state="TASK_STAGING"),
    ]
    assert failing_tasks(app(), tasks, now=NOW) == []


def test_results_are_matched_to_checks_by_position():
    checks = [{**HEALTH_CHECK, "maxConsecutiveFailures": 0}, {**HEALTH_CHECK, "maxConsecutiveFailures": 2}]
    task = make_task("a", started=0.0, healthCheckResults=[{"consecutiveFailures": 5}, {"consecutiveFailures": 1}])
    assert failing_tasks(make_app(healthChecks=checks), [task], now=NOW) == []
    task["healthCheckResults"][1]["consecutiveFailures"] = 2
    assert failing_tasks(make_app(healthChecks=checks), [task], now=NOW) == ["a"]


def test_no_checks_no_kills():
    assert failing_tasks(make_app(), [failing("a", 10)], now=NOW) == []


def test_kill_limit_is_ten_percent_at_least_one():
    assert [kill_limit(app(n)) for n in (0, 1, 9, 10, 25, 100)] == [1, 1, 1, 1, 2, 10]


def test_a_bad_check_cannot_kill_the_whole_app_at_once():
    tasks = [failing(f"t{i}", 3 + i) for i in range(20)]
    assert unhealthy_kills(app(20), tasks, now=NOW) == ["t19", "t18"]
    assert unhealthy_kills(app(20), tasks, now=NOW, recent_kills=[NOW - 30]) == ["t19"]
    assert unhealthy_kills(app(20), tasks, now=NOW, recent_kills=[NOW - 30, NOW - 1]) == []
    # Kills older than the window no longer count.
    assert unhealthy_kills(app(20), tasks, now=NOW, recent_kills=[NOW - 60, NOW - 61]) == ["t19", "t18"]
