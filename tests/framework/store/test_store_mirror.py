"""The watch-fed mirror: bulk load, freshness on independent clients, events, reload after session loss."""

import threading

import pytest
from kazoo.protocol.serialization import Watch

from framework.store import Change, Conflict, Mirror, PlanNode, Store, wait_all
from tests.framework.store.conftest import ROOT, app_def, expire_session, task_rec, version_ts
from tests.waiting import wait_for


def _fill(store: Store) -> list[dict]:
    tasks = []
    for n in range(20):
        store.apps.put(app_def(f"/g{n % 3}/app{n}"), expected_version=None)
        tasks += [task_rec(f"/g{n % 3}/app{n}") for _ in range(3)]
    wait_all(store.tasks.put_many(tasks))
    store.groups.put({"id": "/g1", "dependencies": [], "version": version_ts(1)})
    store.deployments.put({"id": "dep-a", "affectedApps": ["/g0/app0"]})
    store.queue.put("/g0/app0", {"count": 1})
    store.set_framework_id("fw-9")
    store.nodes.client.create(store.nodes.layout.leader_info, b'{"id":"s1","host":"h","port":1}', ephemeral=True)
    return tasks


def test_bulk_load_equals_the_store(store: Store, clients) -> None:
    tasks = _fill(store)
    mirror = Mirror(clients(), ROOT)
    mirror.start(timeout=10)
    snap = mirror.snapshot()
    assert dict(snap.apps) == {app["id"]: app for app, _ in store.apps.all().values()}
    assert {(app_id, task_id) for app_id, ts in snap.tasks.items() for task_id in ts} == \
        {(task["appId"], task["id"]) for task in tasks}
    assert set(snap.groups) == {"/g1"} and set(snap.deployments) == {"dep-a"} and set(snap.queue) == {"/g0/app0"}
    assert snap.framework_id == "fw-9" and snap.leader["id"] == "s1"
    assert mirror.snapshot() is snap and mirror.synced  # cached while nothing changes
    mirror.stop()


def test_two_mirrors_on_two_clients_see_every_write_within_a_second(store: Store, clients) -> None:
    mirrors = [Mirror(clients(), ROOT) for _ in range(2)]
    seen: list[Change] = []
    for mirror in mirrors:
        mirror.start(timeout=10)
    mirrors[0].subscribe(seen.append)

    def everywhere(predicate, message: str) -> None:
        wait_for(lambda: all(predicate(m.snapshot()) for m in mirrors), 1.0, message)

    store.apps.put(app_def("/live/web"), expected_version=None)
    everywhere(lambda s: "/live/web" in s.apps, "the created app")
    store.apps.put(app_def("/live/web", version_ts(1), instances=4), expected_version=0)
    everywhere(lambda s: s.apps["/live/web"]["instances"] == 4, "the updated app")
    task = task_rec("/live/web")
    store.tasks.put(task)
    everywhere(lambda s: task["id"] in s.tasks.get("/live/web", {}), "the new task")
    wait_all(store.tasks.put_many([{**task, "state": "TASK_KILLED"}]))
    everywhere(lambda s: s.tasks["/live/web"][task["id"]]["state"] == "TASK_KILLED", "the task update")
    store.tasks.delete("/live/web", task["id"])
    everywhere(lambda s: "/live/web" not in s.tasks, "the task removal")
    store.apps.delete("/live/web")
    everywhere(lambda s: "/live/web" not in s.apps, "the deleted app")
    store.set_framework_id("fw-new")
    everywhere(lambda s: s.framework_id == "fw-new", "the framework id")
    kinds = [(c.kind, c.id, c.deleted) for c in seen]
    assert kinds[:2] == [("app", "/live/web", False), ("app", "/live/web", False)]
    assert ("task", task["id"], True) in kinds and ("app", "/live/web", True) in kinds


def test_event_stream(store: Store, clients) -> None:
    """A subscriber gets the events created after it subscribed, each once and in order; without a
    subscriber the mirror is not even notified of events, let alone reads them."""
    wait_all([store.events.append({"eventType": "old", "n": n}) for n in range(3)])
    client = clients()
    mirror = Mirror(client, ROOT)
    mirror.start(timeout=10)
    calls, notified = _counting_calls(client), _counting_notifications(client)
    wait_all([store.events.append({"eventType": "unheard", "n": n}) for n in range(3)])
    store.apps.put(app_def("/after/unheard"), expected_version=None)
    wait_for(lambda: "/after/unheard" in mirror.snapshot().apps, 2, "the app written after the events")
    assert not [path for path in notified if "/events" in path]
    received: list[int] = []
    done = threading.Event()

    def on_event(seq: int, event: dict) -> None:
        received.append(event["n"])
        if event["n"] == 9:
            done.set()

    unsubscribe = mirror.subscribe_events(on_event)
    wait_all([store.events.append({"eventType": "new", "n": n}) for n in range(3, 10)])
    assert done.wait(5)
    assert received == list(range(3, 10))  # each exactly once, in order
    assert sum(call.startswith("GetData") and "/events/" in call for call in calls) == 7  # not the unheard ones
    unsubscribe()
    wait_for(lambda: mirror.synced, 2, "ZooKeeper to drop the watch")  # answered: nothing notified after it
    notified.clear()
    wait_all([store.events.append({"eventType": "unheard", "n": 10})])
    store.apps.put(app_def("/after/unsubscribed"), expected_version=None)
    wait_for(lambda: "/after/unsubscribed" in mirror.snapshot().apps, 2, "the app written after the event")
    assert not [path for path in notified if "/events" in path] and received[-1] == 9
    mirror.subscribe_events(on_event)  # watched again from now on
    wait_all([store.events.append({"eventType": "new", "n": 11})])
    wait_for(lambda: received[-1] == 11, 2, "the event after subscribing again")
    assert received[-2:] == [9, 11]
    mirror.stop()


def test_event_stream_while_the_leader_trims(store: Store, clients) -> None:
    """Trimmed nodes: no crash, no event delivered twice or out of order, the newest always delivered (an
    event trimmed before a mirror read it is skipped)."""
    wait_all([store.events.append({"eventType": "old", "n": n}) for n in range(50)])
    mirror = Mirror(clients(), ROOT)
    mirror.start(timeout=10)
    received: list[tuple[int, int]] = []
    mirror.subscribe_events(lambda seq, event: received.append((seq, event["n"])))
    trims = []
    for start in range(50, 350, 30):
        store.events.append_many({"eventType": "new", "n": n} for n in range(start, start + 30))
        trims.append(store.events.trim_async(keep=5))  # racing the mirror's reads
    wait_for(lambda: received and received[-1][1] == 349, 5, "the newest event")
    assert all(trim.get(timeout=10) >= 0 for trim in trims)
    assert [n for _, n in received] == sorted({n for _, n in received}) and received[0][1] >= 50
    assert [seq for seq, _ in received] == sorted({seq for seq, _ in received})
    assert mirror.synced
    mirror.stop()


def test_a_subscriber_gets_the_events_created_while_the_session_was_lost(store: Store, clients,
                                                                        zk_hosts: str) -> None:
    """A /v2/events stream survives a reconnection of its worker without a gap: the reload reads the
    events created since the last one it read."""
    client = clients()
    mirror = Mirror(client, ROOT)
    mirror.start(timeout=10)
    received: list[int] = []
    mirror.subscribe_events(lambda seq, event: received.append(event["n"]))
    wait_all([store.events.append({"eventType": "before", "n": 0})])
    wait_for(lambda: received == [0], 2, "the first event")
    expire_session(client, zk_hosts)
    wait_all([store.events.append({"eventType": "meanwhile", "n": n}) for n in (1, 2)])
    wait_for(lambda: received == [0, 1, 2] and mirror.synced, 10, "the events of the outage, after the reload")
    wait_all([store.events.append({"eventType": "after", "n": 3})])
    wait_for(lambda: received == [0, 1, 2, 3], 2, "an event after the reload")
    mirror.stop()


def test_mirror_reloads_after_its_session_expires(store: Store, clients, zk_hosts: str) -> None:
    client = clients()
    mirror = Mirror(client, ROOT)
    mirror.start(timeout=10)
    store.apps.put(app_def("/before"), expected_version=None)
    wait_for(lambda: "/before" in mirror.snapshot().apps, 1, "the first app")
    expire_session(client, zk_hosts)
    store.apps.put(app_def("/after"), expected_version=None)
    store.apps.delete("/before")
    wait_for(lambda: set(mirror.snapshot().apps) == {"/after"} and mirror.synced, 10, "the reload")
    store.apps.put(app_def("/later"), expected_version=None)  # watches are armed again
    wait_for(lambda: "/later" in mirror.snapshot().apps, 1, "an app written after the reload")


def test_mirror_without_tasks_and_events(store: Store, clients) -> None:
    _fill(store)
    wait_all([store.events.append({"eventType": "old", "n": 0})])
    mirror = Mirror(clients(), ROOT, tasks=False, events=False)
    mirror.start(timeout=10)
    seen: list[Change] = []
    mirror.subscribe(seen.append)
    wait_all(store.tasks.put_many([task_rec("/g0/app0")]))
    store.apps.put(app_def("/later"), expected_version=None)
    wait_for(lambda: "/later" in mirror.snapshot().apps, 1, "the app")
    snap = mirror.snapshot()
    assert len(snap.apps) == 21 and snap.tasks == {}
    assert snap.framework_id == "fw-9" and set(snap.deployments) == {"dep-a"}
    assert all(change.kind != "task" for change in seen)
    mirror.stop()


def _counting_calls(client) -> list[str]:
    calls: list[str] = []
    original = client._call

    def call(request, async_object):
        calls.append(f"{type(request).__name__} {getattr(request, 'path', '')}")
        return original(request, async_object)

    client._call = call
    return calls


def _counting_notifications(client) -> list[str]:
    """The paths of the watch notifications the client receives from now on."""
    paths: list[str] = []
    connection = client._connection
    original = connection._read_watch_event

    def read(buffer, offset):
        paths.append(Watch.deserialize(buffer, offset)[0].path)
        return original(buffer, offset)

    connection._read_watch_event = read
    return paths


def test_a_change_reads_that_node_and_never_lists_its_directory(store: Store, clients) -> None:
    """With persistent recursive watches a new app costs a mirror one read, whatever the number of apps; a
    children watch made it list every app again (O(apps) per write)."""
    _fill(store)
    client = clients()
    mirror = Mirror(client, ROOT)
    mirror.start(timeout=10)
    events: list[dict] = []
    mirror.subscribe_events(lambda seq, event: events.append(event))
    calls = _counting_calls(client)
    store.apps.put(app_def("/one/more"), expected_version=None)
    store.deployments.put({"id": "dep-b", "affectedApps": ["/one/more"]})
    wait_all([store.events.append({"eventType": "e"})])
    wait_for(lambda: "/one/more" in mirror.snapshot().apps and "dep-b" in mirror.snapshot().deployments
             and events, 2, "the new app, plan and event")
    assert not [call for call in calls if call.startswith("GetChildren")]
    assert sorted(calls) == sorted(f"GetData {client.chroot}{ROOT}/{path}" for path in
                                   ("apps/one_more", "deployments/dep-b", "events/evt-0000000000"))
    calls.clear()
    store.apps.delete("/one/more")
    store.deployments.delete("dep-b")
    wait_for(lambda: "/one/more" not in mirror.snapshot().apps and "dep-b" not in mirror.snapshot().deployments,
             2, "the deletions")
    assert calls == []  # a deletion is applied from its notification alone
    mirror.stop()


def test_plans_queue_failures_groups_and_single_nodes_created_after_the_load(store: Store, clients) -> None:
    mirror = Mirror(clients(), ROOT)
    mirror.start(timeout=10)
    store.deployments.put({"id": "dep-c", "affectedApps": ["/x"], "currentStep": 0})
    wait_for(lambda: "dep-c" in mirror.snapshot().deployments, 2, "the plan")
    store.deployments.put({"id": "dep-c", "affectedApps": ["/x"], "currentStep": 1})
    wait_for(lambda: mirror.snapshot().deployments["dep-c"]["currentStep"] == 1, 2, "the plan's progress")
    store.deployments.delete("dep-c")
    store.groups.put({"id": "/team", "dependencies": [], "version": version_ts(2)})
    store.queue.put("/x", {"count": 2})
    store.failures.put({"appId": "/x", "message": "boom"}).get(timeout=5)
    store.set_framework_id("fw-late")
    store.nodes.client.create(store.nodes.layout.leader_info, b'{"id":"s2","host":"h","port":1}', ephemeral=True)

    def all_seen() -> bool:
        snap = mirror.snapshot()
        return ("dep-c" not in snap.deployments and "/team" in snap.groups and snap.queue.get("/x") == {"count": 2}
                and snap.failures.get("/x", {}).get("message") == "boom" and snap.framework_id == "fw-late"
                and (snap.leader or {}).get("id") == "s2")

    wait_for(all_seen, 2, "every kind of node")
    store.nodes.client.delete(store.nodes.layout.leader_info)
    wait_for(lambda: mirror.snapshot().leader is None, 2, "the leader gone")
    mirror.stop()


def test_a_plans_head_version_is_shown_for_the_leaders_compare_and_set(store: Store, clients) -> None:
    """The leader advances and deletes plans over the version its mirror read: a head rewritten with the same
    content is a new version all the same, and a compare-and-set over the old one is refused."""
    mirror = Mirror(clients(), ROOT)
    mirror.start(timeout=10)
    plan = {"id": "dep-v", "affectedApps": ["/x"], "currentStep": 1}
    store.deployments.put(plan)
    wait_for(lambda: mirror.snapshot().plan_nodes.get("dep-v") == PlanNode(0, False), 2, "the plan's version")
    store.deployments.put(plan, expected_version=0)
    wait_for(lambda: mirror.snapshot().plan_nodes["dep-v"] == PlanNode(1, False), 2, "the rewritten head's version")
    with pytest.raises(Conflict):
        store.deployments.delete("dep-v", version=0, split=False)
    store.deployments.delete("dep-v", version=mirror.snapshot().plan_nodes["dep-v"].version, split=False)
    wait_for(lambda: "dep-v" not in mirror.snapshot().plan_nodes, 2, "the plan gone")
    mirror.stop()


def test_an_app_committed_with_its_plan_is_never_shown_without_it(store: Store, clients) -> None:
    """The plan's notification is seen before the app's read is applied, so the snapshot is held until the
    plan is read: a scheduler never sees the new app ungoverned."""
    mirror = Mirror(clients(), ROOT)
    mirror.start(timeout=10)
    alone: list[str] = []

    def check(change: Change) -> None:
        snap = mirror.snapshot()
        covered = {app_id for plan in snap.deployments.values() for app_id in plan["affectedApps"]}
        alone.extend(app_id for app_id in snap.apps if app_id not in covered)

    mirror.subscribe(check)
    for n in range(40):
        app = app_def(f"/held/a{n}")
        store.apps.put(app, expected_version=None, deployment={"id": f"plan-{n}", "affectedApps": [app["id"]]})
    wait_for(lambda: len(mirror.snapshot().apps) == 40, 5, "every app")
    assert alone == []
    mirror.stop()


def test_mirror_arms_its_watches_again_after_a_reconnect_on_the_same_session(store: Store, clients) -> None:
    client = clients()
    mirror = Mirror(client, ROOT)
    mirror.start(timeout=10)
    session = client.client_id
    reconnected = threading.Event()
    client.add_listener(lambda state: reconnected.set() if state == "CONNECTED" else None)
    client._connection._socket.shutdown(2)  # the server drops this connection's watches; the session stays
    wait_for(reconnected.is_set, 10, "the reconnection")
    wait_for(lambda: mirror.synced, 10, "the reload")
    assert client.client_id == session
    store.apps.put(app_def("/after/reconnect"), expected_version=None)
    task = task_rec("/after/reconnect")
    store.tasks.put(task)
    wait_for(lambda: task["id"] in mirror.snapshot().tasks.get("/after/reconnect", {}), 2, "a write after it")
    mirror.stop()
