"""Read-your-writes after a write (api/writes._wait_visible) with a stand-in backend whose mirror is frozen
at a chosen view: how long a write would wait is counted, not slept."""

from __future__ import annotations

from types import SimpleNamespace

from api.backend import unavailable
from api.writes import _wait_visible
from framework.store import Snapshot

APP = {"id": "/a", "version": "2026-12-01T00:00:00.000Z"}


class FrozenBackend:
    """A mirror that never changes: `wait_visible` answers at once and adds what it would have waited to
    `waited`; the store says whether the plan still exists."""

    visible_timeout = 2.0

    def __init__(self, deployments: dict, plan_stored: bool) -> None:
        self.view = Snapshot(apps={"/a": APP}, groups={}, tasks={}, deployments=deployments, queue={},
                             leader=None, framework_id=None, revision=1, failures={}, plan_nodes={})
        self.waited = 0.0
        self.store = SimpleNamespace(deployments=SimpleNamespace(exists=lambda _id: plan_stored))

    def snapshot(self) -> Snapshot:
        return self.view

    def wait_visible(self, predicate, timeout: float | None = None) -> bool:
        if predicate(self.view):
            return True
        self.waited += self.visible_timeout if timeout is None else timeout
        return False


def test_a_plan_the_leader_already_finished_is_not_waited_for():
    # a 0-instance app: the leader can finish and delete its plan before this worker's mirror lists it
    finished = FrozenBackend({}, plan_stored=False)
    _wait_visible(finished, {"/a": APP}, [], "plan-1", [])
    assert finished.waited < 0.5  # it waited the whole 2 s timeout for a plan that no longer exists


def test_a_plan_still_stored_is_waited_for_until_the_mirror_shows_it():
    pending = FrozenBackend({}, plan_stored=True)
    pending.visible_timeout = 0.3  # the overall deadline is real time: keep the spin short
    _wait_visible(pending, {"/a": APP}, [], "plan-1", [])
    assert pending.waited >= 0.1  # looked for again and again while it exists
    shown = FrozenBackend({"plan-1": {"id": "plan-1"}}, plan_stored=True)
    _wait_visible(shown, {"/a": APP}, [], "plan-1", [])
    assert shown.waited == 0.0


def test_zookeeper_lost_after_the_commit_does_not_fail_the_write():
    def gone(_deployment_id: str) -> bool:
        raise unavailable()

    cut_off = FrozenBackend({}, plan_stored=True)
    cut_off.store = SimpleNamespace(deployments=SimpleNamespace(exists=gone))
    _wait_visible(cut_off, {"/a": APP}, [], "plan-1", [])  # the write is committed: no 503 may come out of it
