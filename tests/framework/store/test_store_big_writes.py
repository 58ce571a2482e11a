"""Writes above what one ZooKeeper node or transaction may carry, against a real ZooKeeper: a group of
apps with its plan is written staged and becomes visible at once; nothing written is over a limit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from kazoo.client import KazooClient

from framework.deploy.plan import make_plan, to_marathon_json
from framework.model import normalize_app
from framework.store import AppChange, Conflict, Mirror, Store, staged
from framework.store.codec import MAX_NODE_BYTES
from framework.store.nodes import Nodes, request_bytes
from tests.framework.store.conftest import ROOT
from tests.marathon_data import real_group
from tests.waiting import wait_for

JUTE_MAXBUFFER = 1024 * 1024
NOW = 1_800_000_000.0


def group_apps(count: int, group: str = "/big") -> dict[str, dict]:
    apps = [normalize_app(app) for sub in real_group(count, group)["groups"] for app in sub["apps"]]
    return {app["id"]: {**app, "version": "2027-01-15T08:00:00.000Z"} for app in apps}


def create_all(store: Store, apps: dict[str, dict], plan_id: str = "plan-1") -> dict:
    plan = make_plan({}, apps, deployment_id=plan_id, now=NOW)
    store.apps.commit([AppChange(app_id, app, None) for app_id, app in apps.items()], deployment=plan)
    return plan


@pytest.fixture
def requests_sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The size of every multi-op request the store sends (its write path instrumented)."""
    sizes: list[int] = []
    commit = Nodes.commit

    def recording(self: Nodes, transaction: object, described: list[str], timeout: float | None = None) -> list:
        sizes.append(request_bytes(transaction))
        return commit(self, transaction, described, timeout)

    monkeypatch.setattr(Nodes, "commit", recording)
    yield sizes


def node_sizes(client: KazooClient, path: str) -> Iterator[int]:
    data, stat = client.get(path)
    yield len(data)
    for child in client.get_children(path):
        yield from node_sizes(client, f"{path}/{child}")


def test_a_group_of_1200_apps_and_its_plan_are_written_under_every_limit(store: Store, kazoo_client,
                                                                          requests_sent: list[int]) -> None:
    apps = group_apps(1200)
    plan = create_all(store, apps)
    assert len(requests_sent) > 5, "it took several transactions"
    assert max(requests_sent) < JUTE_MAXBUFFER // 2
    assert max(node_sizes(kazoo_client, ROOT)) <= MAX_NODE_BYTES
    stored, _ = store.deployments.get("plan-1")
    assert to_marathon_json(stored) == to_marathon_json(plan)
    assert stored["target"] == plan["target"] and "applying" not in stored
    assert set(store.apps.all()) == set(apps)
    assert store.apps.versions(next(iter(apps))) == ["2027-01-15T08:00:00.000Z"]


def test_a_big_plan_advanced_by_compare_and_set_keeps_its_parts(store: Store) -> None:
    """The leader advances a plan with put(expected_version): a split plan's head alone is rewritten (the
    joined plan is megabytes, far above a node), and the plan reads back whole at its new step."""
    create_all(store, group_apps(1200))
    stored, version = store.deployments.get("plan-1")
    store.deployments.put({**stored, "currentStep": 2}, expected_version=version)
    advanced, _ = store.deployments.get("plan-1")
    assert advanced["currentStep"] == 2
    assert (advanced["steps"], advanced["target"]) == (stored["steps"], stored["target"])
    with pytest.raises(Conflict):
        store.deployments.put({**stored, "currentStep": 2}, expected_version=version)


def test_a_big_plan_finished_over_the_mirrors_version_leaves_no_parts(store: Store, clients,
                                                                     kazoo_client) -> None:
    mirror = Mirror(clients(), ROOT)
    mirror.start()
    create_all(store, group_apps(1200))
    wait_for(lambda: "applying" not in mirror.snapshot().deployments.get("plan-1", {"applying": True}), 10,
             "the mirror to show the plan with its apps written")
    node = mirror.snapshot().plan_nodes["plan-1"]
    assert node.split
    store.deployments.delete("plan-1", version=node.version, split=node.split)
    assert not kazoo_client.exists(store.nodes.layout.plan_parts("plan-1")) and store.deployments.all() == {}
    mirror.stop()


def test_a_reader_sees_none_or_all_of_the_group_with_its_plan(store: Store, clients,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staged, "TX_BYTES", 16 * 1024)  # many small batches: many moments to observe
    mirror = Mirror(clients(), ROOT)
    mirror.start()
    seen: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def observe(_change: object) -> None:
        snap = mirror.snapshot()
        with lock:
            seen.append((sum(app_id.startswith("/big/") for app_id in snap.apps), "plan-1" in snap.deployments))

    mirror.subscribe(observe)
    apps = group_apps(300)
    create_all(store, apps)
    wait_for(lambda: (len(apps), True) in seen and "applying" not in mirror.snapshot().deployments["plan-1"],
             10, "the mirror to show the group")
    with lock:
        assert set(seen) <= {(0, False), (len(apps), True)}, sorted(set(seen))[:5]
    assert mirror.snapshot().apps == {**mirror.snapshot().apps, **apps}
    mirror.stop()


def test_a_lost_claim_leaves_nothing_visible(store: Store, kazoo_client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staged, "TX_BYTES", 16 * 1024)
    apps = group_apps(200)
    create_all(store, apps)
    store.deployments.delete("plan-1")
    changed = {app_id: {**app, "instances": 2, "version": "2027-01-15T09:00:00.000Z"} for app_id, app in apps.items()}
    plan = make_plan(apps, changed, deployment_id="plan-2", now=NOW + 1)
    read = store.apps.all()
    changes = [AppChange(app_id, app, read[app_id][1]) for app_id, app in changed.items()]
    racer = sorted(apps)[150]
    store.apps.put({**apps[racer], "cmd": "raced"}, expected_version=read[racer][1])  # after the read
    new_app = group_apps(1, "/new")
    changes += [AppChange(app_id, app, None) for app_id, app in new_app.items()]
    with pytest.raises(Conflict, match=racer):
        store.apps.commit(changes, deployment=plan)
    assert store.deployments.all() == {}
    assert kazoo_client.get_children(f"{ROOT}/plan-parts") == []
    assert store.apps.get(next(iter(new_app))) is None
    assert not kazoo_client.exists(store.nodes.layout.app(next(iter(new_app))))
    assert all(store.apps.get(app_id)[0]["instances"] == 0 for app_id in apps)


def test_a_writer_dying_after_the_commit_is_finished_by_settle(store: Store, clients,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def dies(*_args: object, **_kwargs: object) -> None:
        raise SystemExit("writer killed")

    monkeypatch.setattr(store.apps, "roll_forward", dies)
    mirror = Mirror(clients(), ROOT)
    mirror.start()
    apps = group_apps(600)
    with pytest.raises(SystemExit):
        create_all(store, apps)
    wait_for(lambda: "plan-1" in mirror.snapshot().deployments, 10, "the committed plan")
    assert mirror.snapshot().deployments["plan-1"]["applying"]
    assert set(mirror.snapshot().apps) == set(apps), "readers see the targets while it is applying"
    assert store.apps.all() == {}
    monkeypatch.undo()
    assert store.apps.settle("plan-1")
    assert {app_id: app for app_id, (app, _) in store.apps.all().items()} == apps
    wait_for(lambda: not mirror.snapshot().deployments["plan-1"].get("applying"), 10, "the mark removed")
    assert not store.apps.settle("plan-1")
    mirror.stop()


def test_a_writer_dying_before_the_commit_leaves_nothing_after_the_sweep(store: Store, clients,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    writer_client = clients()
    writer = Store(writer_client, ROOT)
    commit_ops = Nodes.commit_ops

    def dies_at_commit(self: Nodes, ops: list, timeout: float | None = None) -> list:
        if any(op.what.startswith("staging deployment") and op.kind == "delete" for op in ops):
            writer_client.stop()  # its session ends: the ephemeral staging head goes with it
            raise SystemExit("writer killed")
        return commit_ops(self, ops, timeout)

    monkeypatch.setattr(Nodes, "commit_ops", dies_at_commit)
    apps = group_apps(600)
    with pytest.raises(SystemExit):
        create_all(writer, apps)
    monkeypatch.undo()
    writer_client.close()
    wait_for(lambda: store.deployments.get("plan-1", staging=True) is None, 15, "the staging head to go")
    assert store.apps.all() == {}
    assert store.apps.sweep_staged(time.time()) == 0, "too young to be an orphan"
    assert store.apps.sweep_staged(time.time() + 10 * staged.ORPHAN_AFTER_SECONDS) == 1
    assert store.nodes.client.get_children(f"{ROOT}/apps") == []
    create_all(store, apps, "plan-2")  # the ids are free again
    assert len(store.apps.all()) == len(apps)


def test_a_plan_in_the_old_single_node_layout_still_loads(store: Store, clients) -> None:
    apps = group_apps(3)
    plan = make_plan({}, apps, deployment_id="old", now=NOW)
    store.nodes.upsert(store.nodes.layout.deployment("old"), json.dumps(plan).encode())
    assert store.deployments.get("old")[0] == plan
    mirror = Mirror(clients(), ROOT)
    mirror.start()
    assert mirror.snapshot().deployments["old"] == plan
    mirror.stop()
