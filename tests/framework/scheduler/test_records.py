"""Task records move through Mesos states as a user of /v2/tasks would expect."""

from framework.scheduler import records
from framework.timeutil import parse_ts

APP = {"id": "/web", "version": "2026-11-26T20:00:00.000Z"}
NOW = 1_790_000_000.0


def _record() -> dict:
    return records.new_record(APP, "web.1", agent_id="S0", host="127.0.0.1", ports=(31000,),
                              service_ports=[10000], now=NOW)


def _status(state: str, **extra) -> dict:
    return {"task_id": {"value": "web.1"}, "state": state, "timestamp": NOW + 1, **extra}


def test_new_record_is_staging_with_its_placement() -> None:
    record = _record()
    assert record["state"] == "TASK_STAGING"
    assert (record["host"], record["ports"], record["servicePorts"]) == ("127.0.0.1", [31000], [10000])
    assert record["startedAt"] is None and record["version"] == APP["version"]


def test_running_sets_started_at_and_addresses() -> None:
    status = _status("TASK_RUNNING", container_status={
        "network_infos": [{"ip_addresses": [{"protocol": "IPv4", "ip_address": "198.18.1.2"}]}]})
    record = records.apply_status(_record(), status, now=NOW + 2)
    assert record["state"] == "TASK_RUNNING"
    assert parse_ts(record["startedAt"]) == NOW + 1
    assert record["ipAddresses"] == [{"ipAddress": "198.18.1.2", "protocol": "IPv4"}]


def test_health_result_is_recorded_and_start_time_kept() -> None:
    running = records.apply_status(_record(), _status("TASK_RUNNING"), now=NOW + 2)
    healthy = records.apply_status(running, _status("TASK_RUNNING", healthy=True, timestamp=NOW + 9), now=NOW + 9)
    assert healthy["healthy"] is True
    assert healthy["startedAt"] == running["startedAt"]


def test_a_task_being_killed_does_not_count_again_after_a_late_running_update() -> None:
    killing = records.killing(_record(), now=NOW)
    late = records.apply_status(killing, _status("TASK_RUNNING", healthy=True), now=NOW + 1, kill_requested=True)
    assert late["state"] == "TASK_KILLING"
    ended = records.apply_status(killing, _status("TASK_KILLED"), now=NOW + 2, kill_requested=True)
    assert ended["state"] == "TASK_KILLED"


def test_unreachable_since_is_kept_so_a_returned_replaced_task_is_the_first_victim() -> None:
    lost = records.apply_status(_record(), _status("TASK_UNREACHABLE"), now=NOW + 5)
    still = records.apply_status(lost, _status("TASK_UNREACHABLE"), now=NOW + 50)
    assert parse_ts(still["unreachableSince"]) == NOW + 5
    back = records.apply_status(still, _status("TASK_RUNNING"), now=NOW + 60)
    assert back["state"] == "TASK_RUNNING" and back["unreachableSince"] == still["unreachableSince"]


def test_decision_view_gives_seconds() -> None:
    view = records.decision_view(_record())
    assert view["stagedAt"] == NOW and view["startedAt"] is None


def test_health_results_follow_mesos_health_updates_in_marathons_shape() -> None:
    reason = {"reason": "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"}
    running = records.apply_status(_record(), _status("TASK_RUNNING"), now=NOW + 2)
    assert "healthCheckResults" not in running
    ok = records.apply_status(running, _status("TASK_RUNNING", healthy=True, timestamp=NOW + 3, **reason), now=NOW + 3)
    (result,) = ok["healthCheckResults"]
    assert result["alive"] is True and result["consecutiveFailures"] == 0 and result["instanceId"] == "web.1"
    assert parse_ts(result["firstSuccess"]) == parse_ts(result["lastSuccess"]) == NOW + 3
    bad = ok
    for second in (4, 5):
        bad = records.apply_status(bad, _status("TASK_RUNNING", healthy=False, timestamp=NOW + second,
                                                message="HTTP 503", **reason), now=NOW + second)
    (result,) = bad["healthCheckResults"]
    assert (result["alive"], result["consecutiveFailures"], result["lastFailureCause"]) == (False, 2, "HTTP 503")
    assert parse_ts(result["firstSuccess"]) == NOW + 3 and parse_ts(result["lastFailure"]) == NOW + 5


def test_a_reconciliation_answer_does_not_count_a_health_failure_twice() -> None:
    reason = {"reason": "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"}
    bad = records.apply_status(_record(), _status("TASK_RUNNING", healthy=False, **reason), now=NOW + 2)
    again = records.apply_status(bad, _status("TASK_RUNNING", healthy=False, reason="REASON_RECONCILIATION"),
                                 now=NOW + 3)
    assert again["healthCheckResults"][0]["consecutiveFailures"] == 1


def test_failure_states_are_marathons_and_the_failure_has_its_shape() -> None:
    assert {s for s in ("TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE",
                        "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN") if records.is_failure_state(s)} == \
        records.FAILURE_STATES
    assert not any(records.is_failure_state(s) for s in ("TASK_FINISHED", "TASK_KILLED", "TASK_RUNNING",
                                                           "TASK_UNREACHABLE", "TASK_KILLING"))
    status = _status("TASK_FAILED", message="Command exited with status 1")
    failure = records.task_failure(_record(), status, now=NOW + 5)
    assert failure == {"appId": "/web", "host": "127.0.0.1", "message": "Command exited with status 1",
                       "state": "TASK_FAILED", "taskId": "web.1", "timestamp": "2026-09-21T14:13:21.000Z",
                       "version": APP["version"], "slaveId": "S0"}
    assert parse_ts(failure["timestamp"]) == NOW + 1  # Mesos's time of the end, not ours
    synthetic = records.task_failure(_record(), {"state": "TASK_LOST"}, now=NOW + 5)
    assert synthetic["message"] == "" and parse_ts(synthetic["timestamp"]) == NOW + 5
