"""Every event type we emit, read by the PyPI `marathon` client's `event_stream()` unchanged, on a real stack
(ZooKeeper, balalaika-api under gunicorn, a scheduler on mesoslocal).

The client turns every event into its model classes (a plan member it does not know raises), and raises on
an event type it does not know; the scheduler_* events are among those (Marathon sends them too), so they are
read through the same client's raw mode, with the type filter a user of the client passes for them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import requests
from marathon import MarathonClient
from marathon.models.deployment import MarathonDeploymentPlan
from marathon.models.events import EventFactory

from framework.deploy.deadline import AUTO_ROLLBACK_LABEL, DEADLINE_LABEL
from lb.marathon import MarathonClient as LbClient
from tests.api_client import ApiCallFailed
from tests.fixtures.stack import BackendStack
from tests.waiting import WaitTimeout, wait_for

pytestmark = pytest.mark.slow

SCHEDULER_EVENTS = ("scheduler_registered_event", "scheduler_reregistered_event", "scheduler_disconnected_event")
PARSED = tuple(sorted(set(EventFactory.event_to_class) - {"subscribe_event", "unsubscribe_event",
                                                          "framework_message_event", "event_stream_detached"}))
WEB = {"id": "/compat/web", "cmd": "exec busybox httpd -f -p $PORT0 -h .", "cpus": 0.1, "mem": 32, "instances": 1,
       "portDefinitions": [{"port": 0}],
       "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/stdout", "portIndex": 0, "gracePeriodSeconds": 5,
                         "intervalSeconds": 1, "timeoutSeconds": 1, "delaySeconds": 0,
                         "maxConsecutiveFailures": 2}]}
# A version whose check never passes: killed for health within seconds, and its deployment fails at its
# deadline, rolled back. The deadline leaves the health kill time to come first on a loaded machine (at 15 s
# it once did not: the rollback replaced the broken task before its checks had failed twice; the kill comes
# 2-4 s after the launch here).
DEADLINE = 25
BROKEN = {**WEB, "healthChecks": [{**WEB["healthChecks"][0], "path": "/missing", "gracePeriodSeconds": 0}],
          "labels": {DEADLINE_LABEL: str(DEADLINE), AUTO_ROLLBACK_LABEL: "true"}}


class Reader:
    """Reads one client stream on a thread, keeping what it yields and the error that ended it."""

    def __init__(self, stream: Iterator) -> None:
        self.seen: list = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Iterator) -> None:
        try:
            for item in stream:
                self.seen.append(item)
        except BaseException as error:  # reported by types()
            self.error = error

    def types(self) -> set[str]:
        assert self.error is None, f"the client failed on our events: {self.error!r}"
        return {_type(item) for item in self.seen}

    def wait(self, *wanted: str, timeout: float = 60) -> None:
        try:
            wait_for(lambda: set(wanted) <= self.types(), timeout, f"events {wanted}")
        except WaitTimeout as error:
            seen = sorted({_type(item) for item in self.seen})
            raise AssertionError(f"{error}; seen {seen}; the client's error: {self.error!r}") from error

    def of(self, event_type: str) -> list:
        return [item for item in self.seen if getattr(item, "event_type", None) == event_type]


def _type(item: object) -> str:
    """The type of what a reader yielded: a client model, raw JSON text, or a parsed dict (the lb's client)."""
    if isinstance(item, dict):
        return item["eventType"]
    if isinstance(item, str):
        return json.loads(item)["eventType"]
    return item.event_type


def test_the_pypi_client_reads_every_event_type_we_emit(backend_stack: BackendStack) -> None:
    client = MarathonClient(backend_stack.api_url, timeout=10)
    parsed = Reader(client.event_stream(event_types=list(PARSED)))
    raw = Reader(client.event_stream(raw=True, event_types=[*SCHEDULER_EVENTS, "event_stream_attached"]))
    light = Reader(LbClient([backend_stack.api_url]).events(["event_stream_attached", "deployment_info"], 30))
    for reader in (parsed, raw, light):  # asked for, so that the stream is known to be open before we act
        reader.wait("event_stream_attached", timeout=15)

    backend_stack.post_app(WEB)
    backend_stack.wait_running("/compat/web", 1, healthy=True)
    parsed.wait("api_post_event", "group_change_success", "deployment_info", "deployment_step_success",
                "deployment_success", "status_update_event", "instance_changed_event", "add_health_check_event",
                "health_status_changed_event", "instance_health_changed_event")
    info = parsed.of("deployment_info")[0]
    assert isinstance(info.plan, MarathonDeploymentPlan)
    assert info.plan.target.groups[0]["apps"][0]["id"] == "/compat/web"
    assert info.current_step["actions"] == [{"action": "StartApplication", "app": "/compat/web"}]
    light.wait("deployment_info")
    light_info = next(event for event in light.seen if event["eventType"] == "deployment_info")
    assert list(light_info["plan"]) == ["id", "steps", "version"]  # ?plan-format=light

    backend_stack.put_app(BROKEN)
    with pytest.raises(ApiCallFailed) as locked:
        backend_stack.scale("/compat/web", 2)
    assert locked.value.status == 409
    parsed.wait("group_change_failed", "failed_health_check_event", "unhealthy_task_kill_event",
                "unhealthy_instance_kill_event", timeout=DEADLINE)
    assert not parsed.of("deployment_failed")  # the health kill came before the deadline, as meant
    parsed.wait("deployment_step_failure", "deployment_failed", timeout=DEADLINE + 30)
    assert parsed.of("group_change_failed")[0].group_id == "/compat"
    assert parsed.of("unhealthy_task_kill_event")[0].app_id == "/compat/web"
    assert parsed.of("deployment_failed")[0].id == parsed.of("deployment_step_failure")[0].plan.id
    backend_stack.wait_running("/compat/web", 1, healthy=True)  # rolled back
    parsed.wait("remove_health_check_event")  # the broken version is neither current nor running

    requests.delete(f"{backend_stack.api_url}/v2/apps/compat/web", timeout=10).raise_for_status()
    parsed.wait("app_terminated_event")
    assert parsed.of("app_terminated_event")[0].app_id == "/compat/web"

    backend_stack.mesos.call(backend_stack.mesos.core.restart_master())
    raw.wait("scheduler_disconnected_event")
    wait_for(lambda: {"scheduler_reregistered_event", "scheduler_registered_event"} & raw.types(), 60,
             "the scheduler to subscribe again")
    backend_stack.kill_scheduler()
    backend_stack.start_scheduler(lead=True)
    raw.wait("scheduler_registered_event")
    registered = next(json.loads(item) for item in raw.seen
                      if json.loads(item)["eventType"] == "scheduler_registered_event")
    assert set(registered) == {"frameworkId", "master", "eventType", "timestamp"}
    assert registered["master"] == "127.0.0.1"
    assert parsed.types()  # no parse failure all along


def test_ping_negotiates_json_or_text_as_marathon_does(backend_stack: BackendStack) -> None:
    url = f"{backend_stack.api_url}/ping"
    as_json = requests.get(url, headers={"Accept": "application/json"}, timeout=5)
    assert as_json.headers["Content-Type"] == "application/json" and as_json.json() == "pong"
    as_text = requests.get(url, timeout=5)
    assert as_text.headers["Content-Type"].startswith("text/plain") and as_text.text == "pong"
    assert requests.get(url, headers={"Accept": "image/png"}, timeout=5).status_code == 204
    assert MarathonClient(backend_stack.api_url).ping() == b'"pong"'  # it asks for JSON
