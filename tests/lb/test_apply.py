"""The applier against HAProxy's own config check: templates HAProxy refuses skip only their app."""

from __future__ import annotations

from launchers.haproxy import check_config
from lb.apply import RELOAD, UNCHANGED, Applier
from lb.render import Edge
from lb.services import Options, app_routes, route
from tests.lb.apps import app, task

OPTIONS = Options(allow_templates=True, bind_addr="127.0.0.1")


def routing(*apps):
    return route({a["id"]: app_routes(a, OPTIONS, str) for a in apps})


def test_a_template_haproxy_refuses_skips_only_its_app(tmp_path):
    applier = Applier(tmp_path / "haproxy.cfg", Edge(bind_addr="127.0.0.1"), None, check_config)
    broken = app("/broken", 10002, task("b", 31002), backend_head="backend {backend}\n    nonsense directive\n")
    outcome, applied = applier.apply(routing(app("/good", 10001, task("a", 31001)), broken))
    assert outcome == RELOAD
    assert [s.app_id for s in applied.services] == ["/good"]
    assert [(s.app_id, s.reason) for s in applied.skipped] == [("/broken", "invalid-template")]
    written = (tmp_path / "haproxy.cfg").read_text()
    assert "good_10001" in written and "nonsense" not in written
    assert applier.apply(routing(app("/good", 10001, task("a", 31001)), broken))[0] == UNCHANGED


def test_an_app_skipped_without_changing_the_config_is_reported_skipped(tmp_path):
    applier = Applier(tmp_path / "haproxy.cfg", Edge(bind_addr="127.0.0.1"), None, check_config)
    good = app("/good", 10001, task("a", 31001))
    applier.apply(routing(good))
    outcome, applied = applier.apply(routing(good, app("/bad", 10002, vhost="not a host!")))
    assert outcome == UNCHANGED and [s.app_id for s in applied.skipped] == ["/bad"]
    assert [s.app_id for s in applier.routing.skipped] == ["/bad"]  # what /_balalaika_skipped shows
