"""Apps, versions, deployments and groups against a real ZooKeeper."""

import json
import threading

import pytest

from framework.store import AppChange, Conflict, NotFound, Store
from tests.framework.store.conftest import app_def, version_ts


def test_create_read_update_with_cas(store: Store) -> None:
    assert store.apps.put(app_def("/g/web"), expected_version=None) == 0
    app, version = store.apps.get("/g/web")
    assert app["id"] == "/g/web" and version == 0
    assert store.apps.put(app_def("/g/web", version_ts(1), instances=3), expected_version=0) == 1
    assert store.apps.get("/g/web")[0]["instances"] == 3
    with pytest.raises(Conflict, match="version mismatch"):
        store.apps.put(app_def("/g/web", version_ts(2)), expected_version=0)
    with pytest.raises(Conflict, match="already exists"):
        store.apps.put(app_def("/g/web"), expected_version=None)
    with pytest.raises(NotFound):
        store.apps.put(app_def("/g/missing"), expected_version=0)
    assert store.apps.get("/g/missing") is None


def test_concurrent_cas_updates_exactly_one_wins(store: Store, clients) -> None:
    store.apps.put(app_def("/race"), expected_version=None)
    stores = [Store(clients(), store.nodes.layout.root) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def writer(n: int, s: Store) -> None:
        barrier.wait(timeout=10)
        try:
            s.apps.put(app_def("/race", version_ts(n + 1), instances=n + 2), expected_version=0)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(n, s)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["conflict"] * 3 + ["won"]
    app, version = store.apps.get("/race")
    assert version == 1 and len(store.apps.versions("/race")) == 2


def test_app_and_deployment_are_written_together_or_not_at_all(store: Store) -> None:
    store.deployments.put({"id": "dep-taken", "steps": []})
    with pytest.raises(Conflict, match="deployment dep-taken"):
        store.apps.put(app_def("/atomic"), expected_version=None, deployment={"id": "dep-taken", "steps": []})
    assert store.apps.get("/atomic") is None  # the failing deployment create rolled the app back

    store.apps.put(app_def("/atomic"), expected_version=None, deployment={"id": "dep-1", "steps": [1]})
    assert store.deployments.get("dep-1") == ({"id": "dep-1", "steps": [1]}, 0)
    with pytest.raises(Conflict):  # stale version: no deployment either
        store.apps.put(app_def("/atomic", version_ts(5)), expected_version=7, deployment={"id": "dep-2"})
    assert store.deployments.get("dep-2") is None
    assert store.apps.versions("/atomic") == ["2026-11-26T20:00:00.000Z"]


def test_version_history_is_pruned_to_the_newest_n(store: Store) -> None:
    store.apps.put(app_def("/hist", version_ts(0)), expected_version=None)
    for n in range(1, 9):
        store.apps.put(app_def("/hist", version_ts(n), instances=n), expected_version=n - 1)
    versions = store.apps.versions("/hist")
    assert versions == [version_ts(n) for n in range(8, 3, -1)]  # max_versions=5, newest first
    assert store.apps.get_version("/hist", version_ts(6))["instances"] == 6
    assert store.apps.get_version("/hist", version_ts(0)) is None
    # Re-putting the current version (a scale without a new version) overwrites, adds nothing.
    store.apps.put(app_def("/hist", version_ts(8), instances=9), expected_version=8)
    assert store.apps.versions("/hist") == versions
    assert store.apps.get_version("/hist", version_ts(8))["instances"] == 9


def test_delete_app_removes_history_keeps_tasks_and_creates_deployment(store: Store) -> None:
    store.apps.put(app_def("/gone"), expected_version=None)
    store.apps.put(app_def("/gone", version_ts(1)), expected_version=0)
    task = {"id": "gone.1", "appId": "/gone", "state": "TASK_RUNNING"}
    store.tasks.put(task)
    with pytest.raises(Conflict):
        store.apps.delete("/gone", expected_version=0, deployment={"id": "dep-del"})
    assert store.deployments.get("dep-del") is None
    store.apps.delete("/gone", expected_version=1, deployment={"id": "dep-del"})
    assert store.apps.get("/gone") is None
    assert store.deployments.get("dep-del") is not None
    assert store.tasks.all("/gone") == [task]
    with pytest.raises(NotFound):
        store.apps.versions("/gone")
    with pytest.raises(NotFound):
        store.apps.delete("/gone")
    store.tasks.delete("/gone", "gone.1")  # last task of a deleted app: its directory goes too
    assert not store.nodes.client.exists(store.nodes.layout.task_dir("/gone"))


def test_groups_and_deployments(store: Store) -> None:
    assert store.groups.put({"id": "/prod", "dependencies": [], "version": version_ts(1)}) == 0
    with pytest.raises(Conflict):
        store.groups.put({"id": "/prod", "dependencies": [], "version": version_ts(1)})
    assert store.groups.put({"id": "/prod", "dependencies": ["/db"], "version": version_ts(2)},
                            expected_version=0) == 1
    assert store.groups.get("/prod")[0]["dependencies"] == ["/db"]
    assert set(store.groups.all()) == {"/prod"}
    store.groups.delete("/prod")
    assert store.groups.get("/prod") is None

    store.deployments.put({"id": "d1", "currentStep": 0})
    plan, version = store.deployments.get("d1")
    assert store.deployments.put({**plan, "currentStep": 1}, expected_version=version) == version + 1
    with pytest.raises(Conflict):
        store.deployments.put({**plan, "currentStep": 2}, expected_version=version)
    assert store.deployments.all() == {"d1": {"id": "d1", "currentStep": 1}}
    store.deployments.delete("d1")
    with pytest.raises(NotFound):
        store.deployments.delete("d1")


def _events(store: Store) -> list[dict]:
    directory = store.nodes.layout.events_dir
    return [json.loads(store.nodes.client.get(f"{directory}/{name}")[0])
            for name in sorted(store.nodes.client.get_children(directory))]


def test_a_writes_events_are_committed_with_it_or_not_at_all(store: Store) -> None:
    """api_post_event and group_change_success ride in the write's transaction: a write that loses its
    compare-and-set records nothing, one that commits records them in order."""
    posted = [{"eventType": "api_post_event", "n": 1}, {"eventType": "group_change_success", "n": 2}]
    store.apps.put(app_def("/evented"), expected_version=None)
    with pytest.raises(Conflict):
        store.apps.commit([AppChange("/evented", app_def("/evented", version_ts(1)), 7)],
                          events=store.events.create_ops(posted))
    assert _events(store) == []
    store.apps.commit([AppChange("/evented", app_def("/evented", version_ts(1)), 0)],
                      deployment={"id": "dep-e", "steps": [1]}, events=store.events.create_ops(posted))
    assert _events(store) == posted


def test_events_never_make_a_write_too_big_to_commit(store: Store) -> None:
    """A definition that fits one transaction alone, with an event carrying it that does not, is written
    (then its event on its own); an event too large for a node is left out, not a reason to refuse."""
    padding = "x" * 150_000  # stored twice (the app, its version): 300 kB of 400, then 150 kB more in the event
    big = {**app_def("/big/one"), "env": {"PADDING": padding}}
    store.apps.commit([AppChange("/big/one", big, None)],
                      events=store.events.create_ops([{"eventType": "api_post_event", "app": big}]))
    assert store.apps.get("/big/one")[0]["env"]["PADDING"] == padding
    assert [event["eventType"] for event in _events(store)] == ["api_post_event"]
    assert store.events.create_ops([{"eventType": "huge", "pad": "x" * 2_000_000}]) == []
