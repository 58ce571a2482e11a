"""The leader records each app's last task failure (Marathon's lastTaskFailure) in ZooKeeper."""

from framework.store import Mirror
from framework.timeutil import parse_ts
from tests.waiting import wait_for


def test_a_failing_command_leaves_its_last_task_failure_in_the_store_and_mirror(schedulers) -> None:
    schedulers.start_scheduler()
    wait_for(schedulers.leader, 30, "an elected scheduler")
    mirror = Mirror(schedulers.client)
    mirror.start(timeout=10)
    try:
        app = schedulers.put_app({"id": "/fail/crash", "cmd": "exit 1", "cpus": 0.1, "mem": 16, "instances": 1,
                                  "backoffSeconds": 1, "backoffFactor": 1.15, "maxLaunchDelaySeconds": 5})
        failure = wait_for(lambda: mirror.snapshot().failures.get("/fail/crash"), 60,
                           f"a lastTaskFailure of /fail/crash\n{schedulers.logs()}")
        assert list(failure) == ["appId", "host", "message", "state", "taskId", "timestamp", "version", "slaveId"]
        assert failure["appId"] == "/fail/crash" and failure["state"] == "TASK_FAILED"
        assert failure["taskId"].startswith("fail_crash.") and failure["version"] == app["version"]
        assert failure["host"] and failure["slaveId"] and isinstance(failure["message"], str)
        assert failure["timestamp"].endswith("Z") and parse_ts(failure["timestamp"]) > 0
        assert schedulers.store.failures.get("/fail/crash")["appId"] == "/fail/crash"

        # a failure left behind by an app that no longer exists is removed by the leader
        schedulers.store.failures.put({**failure, "appId": "/gone", "taskId": "gone.x"}).get(timeout=10)
        wait_for(lambda: schedulers.store.failures.get("/gone") is None, 15, "the orphaned failure removed")

        schedulers.store.apps.delete("/fail/crash")
        wait_for(lambda: "/fail/crash" not in mirror.snapshot().failures, 15, "the failure gone with its app")
    finally:
        mirror.stop()
