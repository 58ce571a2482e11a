"""Last task failures: written asynchronously per app, mirrored, and removed with their app."""

from framework.store import AppChange, Mirror, Store
from tests.framework.store.conftest import ROOT, app_def
from tests.waiting import wait_for


def _failure(app_id: str, task: str = "t1", state: str = "TASK_FAILED") -> dict:
    return {"appId": app_id, "host": "agent1", "message": "Command exited with status 1", "state": state,
            "taskId": f"{app_id.lstrip('/').replace('/', '_')}.{task}", "timestamp": "2026-11-26T20:00:01.000Z",
            "version": "2026-11-26T20:00:00.000Z", "slaveId": "S0"}


def test_put_get_overwrite_and_delete_are_asynchronous_and_idempotent(store: Store) -> None:
    assert store.failures.get("/g/web") is None
    store.failures.put(_failure("/g/web")).get(timeout=10)  # creates
    store.failures.put(_failure("/g/web", "t2", "TASK_LOST")).get(timeout=10)  # overwrites: the last one wins
    assert store.failures.get("/g/web") == _failure("/g/web", "t2", "TASK_LOST")
    assert store.nodes.client.exists(f"{ROOT}/failures/g_web")
    assert store.failures.delete("/g/web").get(timeout=10) is True
    assert store.failures.delete("/g/web").get(timeout=10) is False
    assert store.failures.get("/g/web") is None


def test_mirror_shows_failures_and_app_deletion_removes_them(store: Store, clients) -> None:
    for app_id in ("/a", "/b", "/c"):
        store.apps.put(app_def(app_id), expected_version=None)
        store.failures.put(_failure(app_id)).get(timeout=10)
    mirror = Mirror(clients(), ROOT)
    mirror.start(timeout=10)
    try:
        assert dict(mirror.snapshot().failures) == {app_id: _failure(app_id) for app_id in ("/a", "/b", "/c")}
        store.failures.put(_failure("/a", "t9"))
        wait_for(lambda: mirror.snapshot().failures["/a"]["taskId"] == "a.t9", 5, "the newer failure mirrored")
        store.apps.delete("/a")
        store.apps.commit([AppChange("/b", None, None)])
        wait_for(lambda: set(mirror.snapshot().failures) == {"/c"}, 5, "failures of deleted apps removed")
        assert store.failures.get("/a") is None and store.failures.get("/b") is None
        store.apps.put(app_def("/a", "2026-11-26T21:00:00.000Z"), expected_version=None)
        wait_for(lambda: "/a" in mirror.snapshot().apps, 5, "the re-created app")
        assert "/a" not in mirror.snapshot().failures, "a re-created app starts without the old failure"
    finally:
        mirror.stop()
