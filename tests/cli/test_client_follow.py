"""Following a deployment, without a server: task counting across polls, the progress shown, the outcome."""

from __future__ import annotations

from cli.client.context import Exit
from cli.client.follow import Observation, decide, deployment_id_of, timed_out
from cli.client.http import Answer
from cli.client.progress import AppProgress, Tracker, progress_row, progress_text

OLD, NEW = "2026-11-26T20:00:00.000Z", "2026-11-26T20:05:00.000Z"


def task(task_id: str, version: str = NEW, state: str = "TASK_RUNNING", alive: bool | None = None,
         cause: str | None = None) -> dict:
    results = [] if alive is None else [{"alive": alive, "lastFailureCause": cause}]
    return {"id": task_id, "version": version, "state": state, "healthCheckResults": results}


def app(instances: int, *tasks: dict, checks: bool = False, config: str = NEW) -> dict:
    return {"id": "/web", "instances": instances, "version": config, "tasks": list(tasks),
            "versionInfo": {"lastConfigChangeAt": config, "lastScalingAt": config},
            "healthChecks": [{"protocol": "MESOS_HTTP"}] if checks else []}


def test_a_rolling_restart_starts_new_drains_and_stops_old() -> None:
    tracker = Tracker("/web")
    tracker.observe(app(2, task("a", OLD), task("b", OLD), config=OLD, checks=True))  # before the write
    middle = tracker.observe(app(2, task("a", OLD, "TASK_KILLING"), task("b", OLD), task("c", alive=True),
                                 task("d", state="TASK_STAGING"), checks=True))
    assert middle == AppProgress("/web", 2, started=1, starting=1, healthy=1, checked=True, old=1, draining=1)
    assert progress_text(middle) == "/web: 1/2 started, 1 starting, 1/2 healthy; 1 old running, 1 draining"
    assert progress_row(middle) == ("/web", "1/2 (+1 starting)", "1/2", "1", "1", "0", "0")
    done = tracker.observe(app(2, task("c", alive=True), task("d", alive=True), checks=True))
    assert done.settled
    assert progress_text(done) == "/web: 2/2 started, 2/2 healthy; 2 stopped"


def test_a_scale_down_stops_tasks_it_does_not_fail_them() -> None:
    tracker = Tracker("/web")
    tracker.observe(app(3, task("a"), task("b"), task("c")))
    done = tracker.observe(app(1, task("a")))
    assert (done.stopped, done.failed, done.settled) == (2, 0, True)


def test_a_new_task_that_dies_or_fails_its_health_check_counts_as_failed() -> None:
    tracker = Tracker("/web")
    tracker.observe(app(2, task("a", alive=True), task("b", alive=False, cause="connection refused"), checks=True))
    later = tracker.observe(app(2, task("c"), task("d", state="TASK_STARTING"), checks=True))
    assert (later.failed, later.stopped) == (2, 0)  # a vanished while wanted; b was unhealthy
    assert later.health_cause == "connection refused"
    assert not later.settled


def test_a_deleted_app() -> None:
    tracker = Tracker("/web")
    tracker.observe(app(2, task("a"), task("b")))
    gone = tracker.observe(None)  # a deleted app wants none: its tasks were stopped, not failed
    assert gone == AppProgress("/web", None, stopped=2)
    assert gone.settled
    assert progress_row(gone) == ("/web", "removed", "-", "-", "0", "2", "0")
    assert progress_text(gone) == "/web: removed; 2 stopped"


def seen(**fields: object) -> Observation:
    base = {"deployment_id": "d1", "elapsed": 3.2, "event": None, "listed": False, "ever_listed": True,
            "gone_for": 0.0, "stream_alive": True, "rollback": None,
            "progress": [AppProgress("/web", 2, started=2, healthy=2, checked=True)]}
    return Observation(**{**base, **fields})


def test_the_success_event_ends_it() -> None:
    assert decide(seen(listed=True)) is None
    outcome = decide(seen(event={"eventType": "deployment_success", "id": "d1"}))
    assert outcome.code == Exit.OK
    assert outcome.headline == "Deployment d1 finished in 3.2s."
    assert outcome.details == ("/web: 2/2 started, 2/2 healthy",)


def test_a_failure_names_the_reason_the_rollback_and_the_health_cause() -> None:
    event = {"eventType": "deployment_failed", "id": "d1",
             "reason": "deployment d1 did not finish within 5 seconds (BALALAIKA_DEPLOYMENT_DEADLINE_SECONDS)"}
    unhealthy = [AppProgress("/web", 2, started=2, healthy=0, checked=True, failed=3, health_cause="HTTP 500")]
    assert decide(seen(event=event, progress=unhealthy)) is None  # its rollback may still be on its way
    rollback = {"id": "d2", "rollbackOf": "d1", "affectedApps": ["/web"],
                "steps": [{"actions": [{"action": "RestartApplication", "app": "/web"}]}]}
    outcome = decide(seen(event=event, progress=unhealthy, rollback=rollback,
                          failures=["/web: last task failure: TASK_FAILED ..."]))
    assert outcome.code == Exit.FAILED
    assert outcome.headline == ("Deployment d1 failed: did not finish within 5 seconds "
                                "(BALALAIKA_DEPLOYMENT_DEADLINE_SECONDS)")
    assert outcome.details == (
        "Rolled back by deployment d2: RestartApplication /web (back to the definitions from before).",
        "/web: 2/2 started, 0/2 healthy; 3 failed", "/web: last health check failure: HTTP 500",
        "/web: last task failure: TASK_FAILED ...")
    without_rollback = decide(seen(event=event, gone_for=3.0))
    assert without_rollback.code == Exit.FAILED and not without_rollback.details[0].startswith("Rolled back")


def test_a_cancelled_deployment_fails() -> None:
    outcome = decide(seen(event={"eventType": "deployment_failed", "id": "d1", "reason": "cancelled"}))
    assert outcome.code == Exit.FAILED and "was cancelled" in outcome.headline


def test_without_events_the_polls_decide() -> None:
    assert decide(seen(gone_for=1.0)) is None  # the event may still come
    assert decide(seen(gone_for=6.0)).code == Exit.OK
    assert decide(seen(stream_alive=False)).code == Exit.OK
    assert decide(seen(ever_listed=False, gone_for=6.0)).headline == "Deployment d1 had nothing to change (3.2s)."
    short = [AppProgress("/web", 2, started=1, checked=False)]
    assert decide(seen(stream_alive=False, progress=short)).code == Exit.FAILED
    rollback = {"id": "d2", "rollbackOf": "d1", "failureReason": "too slow", "affectedApps": ["/web"]}
    assert decide(seen(stream_alive=False, rollback=rollback)).headline == "Deployment d1 failed: too slow"


def test_a_timeout_says_the_deployment_goes_on() -> None:
    plan = {"currentStep": 1, "totalSteps": 2, "currentActions": [{"action": "ScaleApplication", "app": "/web"}]}
    stuck = seen(progress=[AppProgress("/web", 2, started=1)], failures=["/web: last task failure: exit 3"])
    outcome = timed_out("d1", 61, plan, stuck)
    assert outcome.code == Exit.TIMEOUT
    assert outcome.headline == "Deployment d1 still running after 1m 1s (step 1/2: ScaleApplication /web); it goes on."
    assert outcome.details[:2] == ("/web: 1/2 started", "/web: last task failure: exit 3")
    assert "balalaika deployment cancel d1" in outcome.details[-1]
    assert timed_out("d1", 5, None, None).headline == "Deployment d1 still running after 5s (finishing); it goes on."


def test_the_deployment_id_of_each_kind_of_answer() -> None:
    assert deployment_id_of(Answer(200, {"deploymentId": "d1", "version": NEW})) == "d1"
    assert deployment_id_of(Answer(201, {"id": "/web", "deployments": [{"id": "d2"}]})) == "d2"
    assert deployment_id_of(Answer(202, None, {"Marathon-Deployment-Id": "d3"})) == "d3"
    assert deployment_id_of(Answer(202, None)) is None


def test_launches_waiting_in_the_queue_say_why() -> None:
    entry = {"app": {"id": "/web"}, "count": 2, "delay": {"timeLeftSeconds": 0, "overdue": True},
             "processedOffersSummary": {"processedOffersCount": 3, "unusedOffersCount": 3, "rejectSummaryLastOffers": [
                 {"reason": "InsufficientCpus", "declined": 3, "processed": 3}]}}
    progress = Tracker("/web").observe(app(2), entry)
    assert progress.waiting == "Waiting for offers (InsufficientCpus x3)"
    assert progress_text(progress) == "/web: 0/2 started; Waiting for offers (InsufficientCpus x3)"
    assert Tracker("/web").observe(app(2)).waiting is None
