"""A reconciliation answer that repeats what a task record holds is not written again (at 100,000 tasks every
restart and every periodic reconciliation rewrote every record, and every api mirror re-read them)."""

from __future__ import annotations

import signal

from framework.scheduler import records
from tests.waiting import wait_for

APP = {"id": "/web", "version": "2026-12-01T10:00:00.000Z"}
RUNNING = {"state": "TASK_RUNNING", "timestamp": 1_764_583_201.0, "source": "SOURCE_EXECUTOR"}
ANSWER = {"state": "TASK_RUNNING", "timestamp": 1_764_583_300.0, "source": "SOURCE_MASTER",
          "reason": "REASON_RECONCILIATION", "message": "Reconciliation: Latest task state"}


def _running() -> dict:
    staged = records.new_record(APP, "web.1", agent_id="S1", host="h1", ports=(), service_ports=[], now=1_764_583_200.0)
    return records.apply_status(staged, RUNNING, now=1_764_583_201.5)


def test_a_reconciliation_answer_changes_nothing_but_the_update_time() -> None:
    record = _running()
    answered = records.apply_status(record, ANSWER, now=1_764_583_300.5)
    assert answered["updatedAt"] != record["updatedAt"]
    assert not records.changes_anything(record, answered)
    assert answered["message"] is None


def test_real_news_is_still_a_change() -> None:
    record = _running()
    staged = records.new_record(APP, "web.1", agent_id="S1", host="h1", ports=(), service_ports=[], now=1.0)
    assert records.changes_anything(staged, record)
    healthy = records.apply_status(record, {**RUNNING, "healthy": True}, now=1_764_583_202.0)
    assert records.changes_anything(record, healthy)
    lost = records.apply_status(record, {**ANSWER, "state": "TASK_UNREACHABLE"}, now=1_764_583_203.0)
    assert records.changes_anything(record, lost)


def test_a_restarted_leader_does_not_rewrite_running_records(schedulers) -> None:
    schedulers.start_scheduler()
    wait_for(schedulers.leader, 30, "an elected scheduler")
    schedulers.put_app({"id": "/steady", "cmd": "sleep 600", "cpus": 0.1, "mem": 16, "instances": 3})
    running = schedulers.wait_running("/steady", 3)
    layout, client = schedulers.store.nodes.layout, schedulers.client

    def versions() -> dict[str, int]:
        return {t["id"]: client.get(layout.task("/steady", t["id"]))[1].version for t in running}

    before = versions()
    schedulers.schedulers[0].stop(signal.SIGTERM)
    schedulers.start_scheduler()
    wait_for(lambda: "reconciliation done" in schedulers.schedulers[1].log_tail(200), 30, "the new leader reconciled")
    # a fourth task's record is written after anything the reconciliation answers made the leader write
    schedulers.scale("/steady", 4)
    schedulers.wait_running("/steady", 4)
    assert versions() == before
