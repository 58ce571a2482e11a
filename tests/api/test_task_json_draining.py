"""A draining task in Marathon's task JSON: TASK_KILLING, and no member a Marathon client does not know."""

from marathon.models.task import MarathonTask

from api.formats import task_json
from framework.scheduler import records

APP = {"id": "/web", "version": "2026-11-26T20:00:00.000Z", "labels": {"HAPROXY_GROUP": "external"}}
NOW = 1_790_000_000.0


def test_a_draining_task_shows_killing_without_members_of_our_own() -> None:
    record = records.new_record(APP, "web.1", agent_id="S0", host="127.0.0.1", ports=(31000,),
                                service_ports=[10000], now=NOW)
    drained = records.draining(records.apply_status(record, {"state": "TASK_RUNNING"}, now=NOW), now=NOW,
                               until=NOW + 5)
    shown = task_json(drained, APP)
    assert shown["state"] == "TASK_KILLING"
    assert "drainUntil" not in shown and "message" not in shown
    assert MarathonTask.from_json(shown).state == "TASK_KILLING"  # the PyPI client refuses unknown members
