"""framework.deploy.progress: what the leader does with stored plans, decided without I/O."""

from framework.deploy.deadline import AUTO_ROLLBACK_LABEL, DEADLINE_LABEL
from framework.deploy.plan import advance, make_plan, rollback_plan
from framework.deploy.progress import FAILURE_REASON, ROLLBACK_OF, decide, failed_plan_rollback
from framework.model import normalize_app
from framework.timeutil import parse_ts

V1, V2 = "2026-11-26T20:00:00.000Z", "2026-11-26T20:01:00.000Z"
START = parse_ts(V2)


def _app(version: str, tag: str, **extra) -> dict:
    return normalize_app({"id": "/web", "cmd": f"serve {tag}", "instances": 2, "version": version,
                          "versionInfo": {"lastConfigChangeAt": version, "lastScalingAt": version},
                          "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 0}, **extra})


def _task(task_id: str, version: str) -> dict:
    return {"id": task_id, "appId": "/web", "version": version, "state": "TASK_RUNNING", "healthy": None,
            "startedAt": START - 100, "stagedAt": START - 101}


def _plan(target: dict, plan_id: str = "p1") -> dict:
    return make_plan({"/web": _app(V1, "old")}, {"/web": target}, deployment_id=plan_id, now=START)


OLD = {"/web": [_task("web.a", V1), _task("web.b", V1)]}


def test_a_restart_step_launches_one_over_and_governs_the_app() -> None:
    plan = _plan(_app(V2, "new"))
    decisions = decide({"p1": plan}, {"/web": plan["target"]["/web"]}, OLD, pending={}, ready=(), now=START + 1)
    (decision,) = decisions.plans
    assert decisions.governed == {"/web"} and decision.failure is None and not decision.step_done
    assert decision.moves[0].actions.launch == 1 and decision.moves[0].actions.kill == ()


def test_a_plan_past_its_deadline_fails_with_a_reason_and_asks_for_rollback_only_if_labelled() -> None:
    labels = {DEADLINE_LABEL: "30", AUTO_ROLLBACK_LABEL: "true"}
    rolled = decide({"p1": _plan(_app(V2, "new", labels=labels))}, {}, OLD, pending={}, ready=(), now=START + 30)
    (decision,) = rolled.plans
    assert decision.roll_back and "did not finish within 30 seconds" in decision.failure
    assert not decision.moves and rolled.governed == frozenset()
    early = decide({"p1": _plan(_app(V2, "new", labels=labels))}, {}, OLD, pending={}, ready=(), now=START + 29)
    assert early.plans[0].failure is None
    plain = decide({"p1": _plan(_app(V2, "new", labels={DEADLINE_LABEL: "30"}))}, {}, OLD, pending={}, ready=(),
                   now=START + 31)
    assert plain.plans[0].failure and not plain.plans[0].roll_back


def test_a_failed_plan_beside_its_stored_rollback_is_superseded_and_not_acted_on() -> None:
    failed = _plan(_app(V2, "new"))
    rollback = {**rollback_plan(failed, deployment_id="p2", now=START + 1), ROLLBACK_OF: "p1"}
    decisions = decide({"p1": failed, "p2": rollback}, {}, OLD, pending={}, ready=(), now=START)
    assert decisions.superseded == ("p1",)
    assert [d.plan["id"] for d in decisions.plans] == ["p2"]


def test_the_older_plan_governs_an_app_and_closed_plans_are_skipped() -> None:
    first = _plan(_app(V2, "new"), "p1")
    second = {**_plan(_app(V2, "newer"), "p2"), "version": "2026-11-26T20:02:00.000Z"}
    decisions = decide({"p1": first, "p2": second}, {}, OLD, pending={}, ready=(), now=START)
    assert [(d.plan["id"], bool(d.moves)) for d in decisions.plans] == [("p1", True), ("p2", False)]
    skipped = decide({"p1": first, "p2": second}, {}, OLD, pending={}, ready=(), now=START, skip={"p1"})
    assert [(d.plan["id"], bool(d.moves)) for d in skipped.plans] == [("p2", True)]


def test_every_app_a_running_plan_affects_is_governed_and_only_its_current_step_moves() -> None:
    db = normalize_app({"id": "/shop/db", "cmd": "db", "instances": 1, "version": V2})
    web = normalize_app({"id": "/shop/web", "cmd": "web", "instances": 1, "version": V2,
                         "dependencies": ["/shop/db"]})
    plan = make_plan({}, {"/shop/db": db, "/shop/web": web}, deployment_id="p1", now=START)
    scale_db = advance(plan)  # step 1 started both at 0 instances; step 2 scales /shop/db, step 3 /shop/web
    apps = {"/shop/db": db, "/shop/web": web}
    decisions = decide({"p1": scale_db}, apps, {}, pending={}, ready=(), now=START + 1)
    assert decisions.governed == {"/shop/db", "/shop/web"}, "convergence must not launch /shop/web yet"
    assert [(m.app_id, m.actions.launch) for m in decisions.plans[0].moves] == [("/shop/db", 1)]
    done = decide({"p1": advance(advance(scale_db))}, apps, {}, pending={}, ready=(), now=START + 1)
    assert done.governed == frozenset() and done.plans == ()


def test_the_rollback_of_a_failed_plan_names_it_and_why_it_failed() -> None:
    failed = _plan(_app(V2, "new"))
    rollback = failed_plan_rollback(failed, "too slow", deployment_id="p2", now=START + 5)
    assert rollback[ROLLBACK_OF] == "p1" and rollback[FAILURE_REASON] == "too slow"
    assert rollback["kind"] == "rollback" and rollback["target"] == failed["original"]
    assert ROLLBACK_OF not in failed
