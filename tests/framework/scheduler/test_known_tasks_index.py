"""KnownTasks answers one app's task views from an index by app (the loop asks once per app per tick)."""

from __future__ import annotations

from framework.scheduler import records
from framework.scheduler.known_tasks import KnownTasks

NOW = 1_795_000_000.0


class _Deletes:
    def __init__(self) -> None:
        self.deleted: list[tuple[str, str]] = []

    def delete(self, app_id: str, task_id: str) -> None:
        self.deleted.append((app_id, task_id))


def _record(app_id: str, n: int) -> dict:
    app = {"id": app_id, "version": "2026-12-01T10:00:00.000Z"}
    task_id = f"{app_id.strip('/')}.{n}"
    return records.new_record(app, task_id, agent_id="S1", host="h", ports=(), service_ports=[], now=NOW)


def test_views_of_follow_remember_update_and_end() -> None:
    store = _Deletes()
    known = KnownTasks(store)
    for n in range(3):
        known.remember(_record("/a", n))
    known.remember(_record("/b", 0))
    assert sorted(v["id"] for v in known.views_of("/a")) == ["a.0", "a.1", "a.2"]
    assert [v["id"] for v in known.views_of("/b")] == ["b.0"] and known.views_of("/none") == []

    running = records.apply_status(known.get("a.1"), {"state": "TASK_RUNNING", "timestamp": NOW}, now=NOW + 1)
    known.update(running)
    states = {v["id"]: v["state"] for v in known.views_of("/a")}
    assert states == {"a.0": "TASK_STAGING", "a.1": "TASK_RUNNING", "a.2": "TASK_STAGING"}

    known.end("b.0")
    assert known.views_of("/b") == [] and known.app_ids() == {"/a"}
    assert set(known.views_by_app()) == {"/a"} and len(known.views_by_app()["/a"]) == 3
    assert store.deleted == [("/b", "b.0")]


def test_an_apps_revision_changes_with_each_of_its_tasks_changes_and_is_0_without_tasks() -> None:
    known = KnownTasks(_Deletes())
    assert known.revision_of("/a") == 0
    known.remember(_record("/a", 0))
    known.remember(_record("/b", 0))
    first = known.revision_of("/a")
    known.remember(_record("/a", 1))
    second = known.revision_of("/a")
    known.update(records.apply_status(known.get("a.0"), {"state": "TASK_RUNNING", "timestamp": NOW}, now=NOW))
    third = known.revision_of("/a")
    known.end("a.0")
    assert len({0, first, second, third, known.revision_of("/a")}) == 5
    known.end("a.1")
    assert known.revision_of("/a") == 0 and known.revision_of("/b") != 0


def test_the_apps_whose_tasks_changed_are_told_once() -> None:
    known = KnownTasks(_Deletes())
    known.remember(_record("/a", 0))
    known.remember(_record("/b", 0))
    assert known.take_touched() == {"/a", "/b"} and known.take_touched() == set()
    known.end("b.0")
    assert known.take_touched() == {"/b"}
