"""The lb's loop when the API's replicas disagree for a moment: an app an event names but the API answering
does not know yet is looked for again in later snapshots, not forgotten until the periodic resync."""

from __future__ import annotations

from lb.apply import Applier
from lb.daemon import RESYNC, Balancer, Timing
from lb.metrics import LbMetrics
from lb.render import Edge
from lb.services import Options
from lb.state import AppsState
from tests.lb.apps import app, task


class LaggingReplica:
    """The API as a replica that has not yet seen an app an event already announced (the fault is a race
    between gunicorn workers' ZooKeeper mirrors, which a test cannot produce on demand)."""

    def __init__(self) -> None:
        self.known: list[dict] = []

    def apps(self) -> list[dict]:
        return list(self.known)

    def app(self, app_id: str) -> dict | None:
        return next((a for a in self.known if a["id"] == app_id), None)


def test_an_announced_app_missing_from_the_api_is_looked_for_again(tmp_path):
    api = LaggingReplica()
    balancer = Balancer(api, AppsState(Options(), str), Applier(tmp_path / "haproxy.cfg", Edge(), None, lambda _: None),
                        LbMetrics(), Timing())
    assert balancer._handle([RESYNC]) and balancer.recheck_at is None
    assert balancer._handle([{"eventType": "api_post_event", "appDefinition": {"id": "/web"}}])
    assert "/web" not in balancer.state.apps and balancer.recheck_at is not None  # a snapshot soon, not in 300 s
    api.known.append(app("/web", 10001, task("a", 31001)))
    balancer.recheck_at = None
    assert balancer._handle([RESYNC])
    assert "/web" in balancer.state.apps and balancer.doubted == {} and balancer.recheck_at is None
    assert "web_10001" in (tmp_path / "haproxy.cfg").read_text()


def test_an_app_that_stays_missing_is_taken_as_deleted_after_a_few_snapshots(tmp_path):
    balancer = Balancer(LaggingReplica(), AppsState(Options(), str),
                        Applier(tmp_path / "haproxy.cfg", Edge(), None, lambda _: None), LbMetrics(), Timing())
    balancer._handle([RESYNC])
    balancer._handle([{"eventType": "api_post_event", "appDefinition": {"id": "/gone"}}])
    rechecks = 0
    while balancer.recheck_at is not None and rechecks < 10:
        balancer.recheck_at = None
        balancer._handle([RESYNC])
        rechecks += 1
    assert rechecks == 4 and balancer.doubted == {}
