"""The executor's pure parts: reading TaskInfo, the task state machine, the health policy."""

import base64
import json

import pytest

from executor.checks import HealthPolicy
from executor.lifecycle import (
    FAILED,
    FINISHED,
    KILLED,
    RUNNING,
    STARTING,
    IllegalTransition,
    Lifecycle,
    Update,
    exit_update,
)
from executor.spec import BadTaskInfo, CheckSpec, read_task


def task_info(command: dict, **extra) -> dict:
    data = base64.b64encode(json.dumps(command).encode()).decode()
    return {"task_id": {"value": "web.1"}, "data": data, **extra}


def test_shell_and_argv_commands_with_environment_check_and_kill_policy():
    spec = read_task(task_info({"shell": True, "value": "echo hi", "environment": {"variables": [
        {"name": "PORT0", "value": "31000"}]}}, kill_policy={"grace_period": {"nanoseconds": 1_500_000_000}},
        health_check={"type": "HTTP", "http": {"port": 31000, "path": "/h"}, "interval_seconds": 2,
                      "consecutive_failures": 2}))
    assert spec.argv == ("/bin/sh", "-c", "echo hi") and spec.env == {"PORT0": "31000"} and spec.kill_grace == 1.5
    assert (spec.check.kind, spec.check.port, spec.check.path, spec.check.interval) == ("HTTP", 31000, "/h", 2.0)
    argv = read_task(task_info({"shell": False, "value": "/bin/echo", "arguments": ["/bin/echo", "a", "b"]}))
    assert argv.argv == ("/bin/echo", "a", "b") and argv.kill_grace == 3.0


@pytest.mark.parametrize("info", [
    {"task_id": {"value": "t"}},
    {"task_id": {"value": "t"}, "data": "not base64!"},
    task_info({"shell": True}),
    task_info({"shell": False}),
    {"data": "e30="},
])
def test_unrunnable_task_infos_are_reported_not_crashed_on(info):
    with pytest.raises(BadTaskInfo):
        read_task(info)


def test_lifecycle_refuses_to_go_backwards():
    life = Lifecycle()
    life.move(Update(STARTING))
    life.move(Update(RUNNING))
    life.move(Update(RUNNING, healthy=True))
    life.move(Update(KILLED))
    assert life.terminal and life.healthy is True
    with pytest.raises(IllegalTransition):
        life.move(Update(RUNNING))


def test_exit_codes_become_mesos_statuses():
    assert exit_update(0, kill_requested=False) == Update(FINISHED, "Command exited with status 0")
    assert exit_update(3, kill_requested=False) == Update(FAILED, "Command exited with status 3",
                                                          "REASON_COMMAND_EXECUTOR_FAILED")
    assert exit_update(-9, kill_requested=False).message == "Command terminated with signal SIGKILL"
    assert exit_update(-15, kill_requested=True).state == KILLED
    assert exit_update(-15, kill_requested=True, health_killed=True).healthy is False


def test_health_policy_grace_reports_and_kill():
    policy = HealthPolicy(CheckSpec("TCP", port=1, delay=1, interval=2, consecutive_failures=2, grace_period=5), 0.0)
    assert not policy.due(0.5) and policy.due(1.0)
    assert policy.result(False, 2.0).report is None  # in the grace period, before any success
    assert policy.result(True, 3.0).report is True
    assert policy.result(True, 5.0).report is None  # no change, nothing to report
    first = policy.result(False, 7.0)
    assert first.report is False and not first.kill
    assert policy.result(False, 9.0).kill
