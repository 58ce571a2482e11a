"""Apps, versions, deployments and groups against a real ZooKeeper."""

import threading

import pytest

from framework.store import Conflict, NotFound, Store
from tests.framework.store.conftest import app_def, version_ts


def test_create_read_update_with_cas(store: Store) -> None:
    assert store.put_app(app_def("/g/web"), expected_version=None) == 0
    app, version = store.get_app("/g/web")
    assert app["id"] == "/g/web" and version == 0
    assert store.put_app(app_def("/g/web", version_ts(1), instances=3), expected_version=0) == 1
    assert store.get_app("/g/web")[0]["instances"] == 3
    with pytest.raises(Conflict, match="version mismatch"):
        store.put_app(app_def("/g/web", version_ts(2)), expected_version=0)
    with pytest.raises(Conflict, match="already exists"):
        store.put_app(app_def("/g/web"), expected_version=None)
    with pytest.raises(NotFound):
        store.put_app(app_def("/g/missing"), expected_version=0)
    assert store.get_app("/g/missing") is None


def test_concurrent_cas_updates_exactly_one_wins(store: Store, clients) -> None:
    store.put_app(app_def("/race"), expected_version=None)
    stores = [Store(clients(), store.layout.root) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def writer(n: int, s: Store) -> None:
        barrier.wait(timeout=10)
        try:
            s.put_app(app_def("/race", version_ts(n + 1), instances=n + 2), expected_version=0)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(n, s)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["conflict"] * 3 + ["won"]
    app, version = store.get_app("/race")
    assert version == 1 and len(store.list_app_versions("/race")) == 2


def test_app_and_deployment_are_written_together_or_not_at_all(store: Store) -> None:
    store.put_deployment({"id": "dep-taken", "steps": []})
    with pytest.raises(Conflict, match="deployment dep-taken"):
        store.put_app(app_def("/atomic"), expected_version=None, deployment={"id": "dep-taken", "steps": []})
    assert store.get_app("/atomic") is None  # the failing deployment create rolled the app back

    store.put_app(app_def("/atomic"), expected_version=None, deployment={"id": "dep-1", "steps": [1]})
    assert store.get_deployment("dep-1") == ({"id": "dep-1", "steps": [1]}, 0)
    with pytest.raises(Conflict):  # stale version: no deployment either
        store.put_app(app_def("/atomic", version_ts(5)), expected_version=7, deployment={"id": "dep-2"})
    assert store.get_deployment("dep-2") is None
    assert store.list_app_versions("/atomic") == ["2026-11-26T20:00:00.000Z"]


def test_version_history_is_pruned_to_the_newest_n(store: Store) -> None:
    store.put_app(app_def("/hist", version_ts(0)), expected_version=None)
    for n in range(1, 9):
        store.put_app(app_def("/hist", version_ts(n), instances=n), expected_version=n - 1)
    versions = store.list_app_versions("/hist")
    assert versions == [version_ts(n) for n in range(8, 3, -1)]  # max_versions=5, newest first
    assert store.get_app_version("/hist", version_ts(6))["instances"] == 6
    assert store.get_app_version("/hist", version_ts(0)) is None
    # Re-putting the current version (a scale without a new version) overwrites, adds nothing.
    store.put_app(app_def("/hist", version_ts(8), instances=9), expected_version=8)
    assert store.list_app_versions("/hist") == versions
    assert store.get_app_version("/hist", version_ts(8))["instances"] == 9


def test_delete_app_removes_history_keeps_tasks_and_creates_deployment(store: Store) -> None:
    store.put_app(app_def("/gone"), expected_version=None)
    store.put_app(app_def("/gone", version_ts(1)), expected_version=0)
    task = {"id": "gone.1", "appId": "/gone", "state": "TASK_RUNNING"}
    store.put_task(task)
    with pytest.raises(Conflict):
        store.delete_app("/gone", expected_version=0, deployment={"id": "dep-del"})
    assert store.get_deployment("dep-del") is None
    store.delete_app("/gone", expected_version=1, deployment={"id": "dep-del"})
    assert store.get_app("/gone") is None
    assert store.get_deployment("dep-del") is not None
    assert store.list_tasks("/gone") == [task]
    with pytest.raises(NotFound):
        store.list_app_versions("/gone")
    with pytest.raises(NotFound):
        store.delete_app("/gone")
    store.delete_task("/gone", "gone.1")  # last task of a deleted app: its directory goes too
    assert not store.client.exists(store.layout.task_dir("/gone"))


def test_groups_and_deployments(store: Store) -> None:
    assert store.put_group({"id": "/prod", "dependencies": [], "version": version_ts(1)}) == 0
    with pytest.raises(Conflict):
        store.put_group({"id": "/prod", "dependencies": [], "version": version_ts(1)})
    assert store.put_group({"id": "/prod", "dependencies": ["/db"], "version": version_ts(2)},
                           expected_version=0) == 1
    assert store.get_group("/prod")[0]["dependencies"] == ["/db"]
    assert set(store.list_groups()) == {"/prod"}
    store.delete_group("/prod")
    assert store.get_group("/prod") is None

    store.put_deployment({"id": "d1", "currentStep": 0})
    plan, version = store.get_deployment("d1")
    assert store.put_deployment({**plan, "currentStep": 1}, expected_version=version) == version + 1
    with pytest.raises(Conflict):
        store.put_deployment({**plan, "currentStep": 2}, expected_version=version)
    assert store.list_deployments() == {"d1": {"id": "d1", "currentStep": 1}}
    store.delete_deployment("d1")
    with pytest.raises(NotFound):
        store.delete_deployment("d1")
