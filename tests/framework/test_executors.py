"""Which executor runs an app's tasks, and the shared executor's resources counted once per agent."""

from framework.executors import ExecutorSettings, executor_info, shared_executor
from framework.matching import Demand, match
from framework.matching.reasons import INSUFFICIENT_MEMORY
from framework.matching.resources import ResourceNeed
from tests.framework.matching.conftest import build_app, build_offer

SETTINGS = ExecutorSettings(command="balalaika-executor --idle-exit 5", cpus=0.1, mem=64)


def test_the_executor_field_chooses_the_executor():
    command_app = build_app(cmd="sleep 1", versionInfo={"lastConfigChangeAt": "2026-11-26T20:00:00.000Z"})
    shared = shared_executor(command_app, SETTINGS)
    assert shared.executor_id == "balalaika.web.2026-11-26T20:00:00.000Z"
    assert shared.need == ResourceNeed.of(0.1, 64)
    info = executor_info(command_app, "web.1", "*", SETTINGS, [{"value": "http://x/a.tgz"}])
    assert info["command"] == {"shell": True, "value": "exec balalaika-executor --idle-exit 5",
                               "uris": [{"value": "http://x/a.tgz"}]}
    assert executor_info(build_app(cmd="x", executor="//cmd"), "web.1", "*", SETTINGS, []) is None
    docker = build_app(container={"type": "DOCKER", "docker": {"image": "busybox"}})
    assert shared_executor(docker, SETTINGS) is None and executor_info(docker, "web.1", "*", SETTINGS, []) is None
    custom = executor_info(build_app(cmd="x", executor="/opt/my-executor"), "web.1", "*", SETTINGS, [])
    assert custom["executor_id"] == {"value": "marathon-web.1"} and custom["command"]["value"] == "/opt/my-executor"


def test_a_scaling_keeps_the_executor_and_a_new_config_gets_a_new_one():
    base = build_app(cmd="x", version="2026-11-26T21:00:00.000Z",
                     versionInfo={"lastConfigChangeAt": "2026-11-26T20:00:00.000Z"})
    changed = {**base, "versionInfo": {"lastConfigChangeAt": "2026-11-26T21:00:00.000Z"}}
    assert shared_executor(base, SETTINGS).executor_id.endswith("20:00:00.000Z")
    assert shared_executor(changed, SETTINGS) != shared_executor(base, SETTINGS)


def test_the_executor_takes_its_resources_once_per_offer_and_not_where_it_runs():
    app = build_app(cmd="x", cpus=1.0, mem=100.0)
    shared = shared_executor(app, SETTINGS)
    # 4 cpus, 350 MB: three tasks (300 MB) plus the executor (64 MB) do not fit; two do
    offer = build_offer(0, mem=350.0)
    result = match([Demand(app, 3, shared)], [offer], [])
    assert len(result.launches) == 2 and result.reasons["/web"] == {INSUFFICIENT_MEMORY: 1}
    running_there = {**offer, "executor_ids": [{"value": shared.executor_id}]}
    assert len(match([Demand(app, 3, shared)], [running_there], []).launches) == 3


def test_an_offer_that_takes_no_task_keeps_the_executors_share():
    app = build_app(cmd="x", cpus=1.0, mem=100.0, constraints=[["hostname", "LIKE", "elsewhere"]])
    other = build_app("/other", cmd="y", cpus=1.0, mem=300.0)
    offer = build_offer(0, mem=300.0)
    result = match([Demand(app, 1, shared_executor(app, SETTINGS)), Demand(other, 1)], [offer], [])
    assert [launch.app_id for launch in result.launches] == ["/other"]
