"""Which apps a full tick skips: only those it would answer exactly as last time."""

from framework.deploy.instances import InstanceActions
from framework.scheduler.settled import SettledApps

APP = {"id": "/web", "instances": 1}
RUNNING = {"id": "web.1", "state": "TASK_RUNNING"}


def test_an_app_is_skipped_only_while_its_definition_tasks_and_queue_are_the_ones_it_settled_with() -> None:
    settled = SettledApps()
    settled.note(APP, 3, 0, InstanceActions(), [RUNNING])
    assert settled.unchanged(APP, 3, 0)
    assert not settled.unchanged(dict(APP), 3, 0)  # a new definition, even an equal one, is looked at
    assert not settled.unchanged(APP, 4, 0)  # a task changed
    assert not settled.unchanged(APP, 3, 1)  # a launch was queued or withdrawn


def test_an_app_that_asked_for_something_or_has_an_unreachable_task_is_never_skipped() -> None:
    settled = SettledApps()
    settled.note(APP, 3, 0, InstanceActions(launch=1), [])
    assert not settled.unchanged(APP, 3, 0)
    settled.note(APP, 3, 0, InstanceActions(), [{"id": "web.1", "state": "TASK_UNREACHABLE"}])
    assert not settled.unchanged(APP, 3, 0)  # inactiveAfterSeconds may pass with nothing else changing
    settled.note(APP, 3, 0, InstanceActions(), [RUNNING])
    settled.note(APP, 3, 0, InstanceActions(kill=("web.1",)), [RUNNING])
    assert not settled.unchanged(APP, 3, 0)


def test_deleted_apps_are_forgotten() -> None:
    settled = SettledApps()
    settled.note(APP, 0, 0, InstanceActions(), [])
    settled.keep_only({"/other": {}})
    assert not settled.unchanged(APP, 0, 0)


def test_the_unsettled_are_the_apps_never_settled_or_forgotten_since() -> None:
    settled = SettledApps()
    other = {"id": "/other", "instances": 0}
    settled.note(APP, 0, 0, InstanceActions(), [])
    settled.note(other, 0, 0, InstanceActions(), [])
    apps = {"/web": APP, "/other": other, "/new": {"id": "/new"}}
    assert settled.unsettled(apps) == {"/new"}
    settled.forget(["/web"])  # a plan governed it
    assert settled.unsettled(apps) == {"/new", "/web"}
