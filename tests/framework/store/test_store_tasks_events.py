"""Tasks, the framework id, the launch queue, requests and events against a real ZooKeeper."""

import json

from framework.store import Store, wait_all
from tests.framework.store.conftest import task_rec


def test_tasks_single_and_batched(store: Store) -> None:
    first = task_rec("/a/web", "TASK_STAGING")
    store.tasks.put(first)
    batch = [{**first, "state": "TASK_RUNNING"}] + [task_rec(f"/a/app{n % 7}") for n in range(120)]
    wait_all(store.tasks.put_many(batch))  # a mix of updates and creates, new task directories too
    by_id = {task["id"]: task for task in store.tasks.all()}
    assert len(by_id) == 121 and by_id[first["id"]]["state"] == "TASK_RUNNING"
    updated = [{**task, "state": "TASK_FINISHED"} for task in batch]
    wait_all(store.tasks.put_many(updated))
    assert {task["state"] for task in store.tasks.all()} == {"TASK_FINISHED"}
    assert store.tasks.get("/a/web", first["id"])["state"] == "TASK_FINISHED"
    store.tasks.delete("/a/web", first["id"])
    store.tasks.delete("/a/web", first["id"])  # idempotent
    assert store.tasks.all("/a/web") == []


def test_framework_id_and_queue(store: Store) -> None:
    assert store.get_framework_id() is None
    store.set_framework_id("fw-1")
    store.set_framework_id("fw-2")
    assert store.get_framework_id() == "fw-2"
    store.queue.put("/a/web", {"count": 2, "delay": {"timeLeftSeconds": 3, "overdue": False}})
    assert store.nodes.client.exists(store.nodes.layout.queue_entry("/a/web"))
    store.queue.delete("/a/web")
    store.queue.delete("/a/web")
    assert not store.nodes.client.exists(store.nodes.layout.queue_entry("/a/web"))


def test_requests_are_taken_once_and_survive_a_new_leader(store: Store) -> None:
    kill = store.requests.submit({"type": "kill", "taskIds": ["a.1"], "scale": False, "wipe": False})
    reset = store.requests.submit({"type": "reset-delay", "appId": "/a"})
    taken = store.requests.take()
    assert [path for path, _ in taken] == [kill, reset] and taken[1][1]["appId"] == "/a"
    assert store.requests.take() == []  # in progress: not handed out twice
    store.requests.done(kill)
    later = store.requests.submit({"type": "reset-delay", "appId": "/b"})
    assert [path for path, _ in store.requests.take()] == [later]
    # A new leader sees what the old one took but never finished.
    assert [path for path, _ in Store(store.nodes.client, store.nodes.layout.root).requests.take()] == [reset, later]


def test_events_are_appended_in_order_and_trimmed(store: Store) -> None:
    paths = [store.events.append({"eventType": "status_update_event", "n": n, "timestamp": "t"})
             for n in range(30)]
    wait_all(paths)
    assert store.events.trim(keep=10) == 20
    names = sorted(store.nodes.client.get_children(store.nodes.layout.events_dir))
    assert len(names) == 10 and names[-1] == paths[-1].get().rsplit("/", 1)[1]
    assert store.events.trim(keep=10) == 0


def test_append_events_batches_in_order(store: Store) -> None:
    big = "x" * 100_000  # three of these fill a transaction's byte budget
    events = [{"eventType": "status_update_event", "n": n, "pad": big if n < 6 else ""} for n in range(250)]
    results = store.events.append_many(events)
    assert len(results) >= 4  # 6 large events over byte-capped transactions, then batches of EVENT_BATCH
    for result in results:
        assert not [outcome for outcome in result.get(timeout=10) if isinstance(outcome, Exception)]
    names = sorted(store.nodes.client.get_children(store.nodes.layout.events_dir))
    stored = [json.loads(store.nodes.client.get(f"{store.nodes.layout.events_dir}/{name}")[0]) for name in names]
    assert [event["n"] for event in stored] == list(range(250))
    assert store.events.append_many([]) == []


def test_trimming_without_waiting_is_bounded_per_call(store: Store) -> None:
    for result in store.events.append_many({"eventType": "status_update_event", "n": n} for n in range(250)):
        result.get(timeout=10)
    directory = store.nodes.layout.events_dir
    store.nodes.client.create(f"{directory}/not-an-event", b"")  # left alone: not ours
    assert store.events.trim_async(keep=10, limit=150).get(timeout=10) == 150  # two transactions
    names = sorted(store.nodes.client.get_children(directory))
    assert len(names) == 101 and json.loads(store.nodes.client.get(f"{directory}/{names[0]}")[0])["n"] == 150
    assert store.events.trim_async(keep=10).get(timeout=10) == 90
    assert store.events.trim_async(keep=10).get(timeout=10) == 0
    names = sorted(store.nodes.client.get_children(directory))
    assert names[-1] == "not-an-event"
    assert [json.loads(store.nodes.client.get(f"{directory}/{name}")[0])["n"] for name in names[:-1]] == \
        list(range(240, 250))
