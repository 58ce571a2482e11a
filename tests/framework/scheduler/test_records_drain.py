"""Draining task records: which tasks drain, the record a drain writes, and what a new leader reads back."""

import pytest

from framework.model import DRAIN_LABEL
from framework.scheduler import records
from framework.timeutil import format_ts

APP = {"id": "/web", "version": "2026-11-26T20:00:00.000Z", "labels": {"HAPROXY_GROUP": "external"}}
NOW = 1_790_000_000.0


def _running(**fields) -> dict:
    record = records.new_record(APP, "web.1", agent_id="S0", host="127.0.0.1", ports=(31000,),
                                service_ports=[10000], now=NOW)
    return records.apply_status(record, {"state": "TASK_RUNNING", **fields}, now=NOW + 1)


def test_a_running_routed_task_drains_for_its_apps_drain_time() -> None:
    assert records.drain_time(_running(), APP) == 5.0
    assert records.drain_time(_running(healthy=True), {**APP, "labels": {DRAIN_LABEL: "3"}}) == 3.0


@pytest.mark.parametrize(("record", "app"), [
    (_running(healthy=False), APP),  # an edge does not route to a known unhealthy task
    (records.new_record(APP, "web.2", agent_id="S0", host="h", ports=(), service_ports=[], now=NOW), APP),
    (records.killing(_running(), now=NOW), APP),
    (_running(), None),  # the app is gone: no edge routes to it any more
    (_running(), {**APP, "labels": {}}),
], ids=["unhealthy", "staging", "killing", "app-deleted", "not-routed"])
def test_other_tasks_are_killed_at_once(record: dict, app: dict | None) -> None:
    assert records.drain_time(record, app) == 0


def test_a_draining_record_is_killing_with_its_deadline_in_the_record_and_the_message() -> None:
    drained = records.draining(_running(), now=NOW + 2, until=NOW + 7)
    assert drained["state"] == "TASK_KILLING"
    assert drained["drainUntil"] == format_ts(NOW + 7)
    assert drained["message"] == f"draining: killed at {format_ts(NOW + 7)}"
    assert records.drain_deadline(drained) == NOW + 7
    assert records.drain_deadline(records.killing(_running(), now=NOW)) is None


def test_a_late_running_update_keeps_a_draining_task_killing_with_its_message() -> None:
    drained = records.draining(_running(), now=NOW + 2, until=NOW + 7)
    late = records.apply_status(drained, {"state": "TASK_RUNNING", "healthy": True}, now=NOW + 3,
                                kill_requested=True)
    assert (late["state"], late["message"], late["drainUntil"]) == ("TASK_KILLING", drained["message"],
                                                                    drained["drainUntil"])
