"""Bulk reads of tasks (framework.store.bulk_read): the mirror loads in few requests and still follows every
node (its persistent recursive watches), and a new leader reads every record in batches."""

from __future__ import annotations

from framework.store import Mirror, Store, wait_all
from framework.store.mirror import BULK_FROM
from tests.framework.store.conftest import ROOT, app_def, expire_session, task_rec
from tests.waiting import wait_for

APPS, PER_APP = 2 * BULK_FROM, 15


def _fill(store: Store) -> dict[str, list[dict]]:
    tasks = {}
    for n in range(APPS):
        app_id = f"/bulk/app{n}"
        store.apps.put(app_def(app_id), expected_version=None)
        tasks[app_id] = [task_rec(app_id) for _ in range(PER_APP)]
    wait_all(store.tasks.put_many([t for ts in tasks.values() for t in ts], new=True))
    return tasks


def _counting_calls(client) -> list[object]:
    calls: list[object] = []
    original = client._call

    def call(request, async_object):
        calls.append(type(request).__name__)
        return original(request, async_object)

    client._call = call
    return calls


def test_a_load_reads_tasks_in_batches_not_one_request_each(store: Store, clients) -> None:
    tasks = _fill(store)
    client = clients()
    calls = _counting_calls(client)
    mirror = Mirror(client, ROOT)
    mirror.start(timeout=30)
    loaded = mirror.snapshot().tasks
    assert {app: set(ts) for app, ts in loaded.items()} == {app: {t["id"] for t in ts} for app, ts in tasks.items()}
    assert loaded["/bulk/app0"][tasks["/bulk/app0"][0]["id"]] == tasks["/bulk/app0"][0]
    # tasks: one listing of tasks/ and a read per batch, not APPS listings and APPS x PER_APP reads (the apps
    # and the single nodes are still read one by one); a watch per mirrored directory, none per node
    assert calls.count("GetData") < APPS + 5 and calls.count("GetChildren") < 10
    assert "_MultiRead" in calls and calls.count("_WatchRequest") < 15
    mirror.stop()


def test_bulk_loaded_tasks_and_directories_stay_watched(store: Store, clients) -> None:
    tasks = _fill(store)
    mirror = Mirror(clients(), ROOT)
    mirror.start(timeout=30)
    changed, deleted = tasks["/bulk/app1"][0], tasks["/bulk/app2"][0]
    wait_all(store.tasks.put_many([{**changed, "state": "TASK_KILLING"}]))
    store.tasks.delete("/bulk/app2", deleted["id"])
    added = task_rec("/bulk/app3")
    store.tasks.put(added)

    def seen() -> bool:
        snap = mirror.snapshot().tasks
        return (snap["/bulk/app1"][changed["id"]]["state"] == "TASK_KILLING" and deleted["id"] not in snap["/bulk/app2"]
                and added["id"] in snap["/bulk/app3"])

    wait_for(seen, 10, "an update, a deletion and a new task in bulk-loaded directories")
    mirror.stop()


def test_a_reload_after_session_loss_is_bulk_and_watched_again(store: Store, clients, zk_hosts: str) -> None:
    tasks = _fill(store)
    client = clients()
    mirror = Mirror(client, ROOT)
    mirror.start(timeout=30)
    expire_session(client, zk_hosts)
    gone = tasks["/bulk/app4"][0]
    store.tasks.delete("/bulk/app4", gone["id"])
    wait_for(lambda: mirror.synced and gone["id"] not in mirror.snapshot().tasks["/bulk/app4"], 30,
             "the reload without the deleted task")
    changed = tasks["/bulk/app5"][0]
    wait_all(store.tasks.put_many([{**changed, "state": "TASK_FAILED"}]))
    wait_for(lambda: mirror.snapshot().tasks["/bulk/app5"][changed["id"]]["state"] == "TASK_FAILED", 10,
             "an update after the reload")
    mirror.stop()


def test_a_new_leader_reads_every_record_in_batches(store: Store) -> None:
    tasks = _fill(store)
    calls = _counting_calls(store.nodes.client)
    loaded = store.tasks.all()
    assert sorted(t["id"] for t in loaded) == sorted(t["id"] for ts in tasks.values() for t in ts)
    assert {t["id"]: t for t in store.tasks.all("/bulk/app7")} == {t["id"]: t for t in tasks["/bulk/app7"]}
    assert store.tasks.all("/bulk/none") == []
    assert calls.count("GetData") == 0 and calls.count("GetChildren") <= 2  # tasks/ listed, the rest in batches
