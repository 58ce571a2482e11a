"""Every Marathon resource of the api (apps, tasks, deployments, groups, queue, events) against a real leading
scheduler on mesoslocal (the backend_stack fixture), checked the way a user would notice it: nothing here
plays the scheduler's part by writing records or deleting deployments by hand.

A stack starts in about a second (backend_stack is per test), so each resource has its own test and stack.
"""

from __future__ import annotations

import contextlib
import json
import threading

import requests

from tests.api_client import ApiCallFailed, is_healthy
from tests.fixtures.stack import BackendStack
from tests.waiting import wait_for

SMALL = {"cpus": 0.1, "mem": 16}
CHECK = {"protocol": "MESOS_HTTP", "path": "/stdout", "portIndex": 0, "gracePeriodSeconds": 30,
         "intervalSeconds": 1, "timeoutSeconds": 1, "delaySeconds": 0, "maxConsecutiveFailures": 3}
HTTPD = "exec busybox httpd -f -p 127.0.0.1:$PORT0 -h ."


def web_app(app_id: str, *, delay: float = 0, **fields: object) -> dict:
    """An httpd serving its sandbox, healthy once it listens (`delay` seconds after it starts)."""
    cmd = f"sleep {delay} && {HTTPD}" if delay else HTTPD
    return {"id": app_id, "cmd": cmd, **SMALL, "instances": 1, "portDefinitions": [{"port": 0}],
            "healthChecks": [CHECK], **fields}


class EventStream:
    """/v2/events read on a thread from the moment it is opened; `seen` lists the events so far.

    The stream ends when the api stops (the stack's teardown ends open streams): closing the response from
    here would wait for the reading thread, which only wakes up with the api's next heartbeat."""

    def __init__(self, api_url: str) -> None:
        self.events: list[dict] = []
        self.response = requests.get(f"{api_url}/v2/events", stream=True, timeout=(5, 60),
                                     headers={"Accept": "text/event-stream", "Connection": "close"})
        self.response.raise_for_status()
        threading.Thread(target=self._read, name="events", daemon=True).start()

    def _read(self) -> None:
        with self.response, contextlib.suppress(requests.RequestException):
            for line in self.response.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    self.events.append(json.loads(line.removeprefix("data:")))

    def seen(self, event_type: str) -> list[dict]:
        return [event for event in list(self.events) if event.get("eventType") == event_type]

    def status_of(self, task_id: str) -> list[str]:
        """The task states the stream reported for `task_id`, in order."""
        return [event["taskStatus"] for event in self.seen("status_update_event") if event["taskId"] == task_id]


def answers(task: dict) -> bool:
    """The task's httpd answers at the host port the api shows for it."""
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"http://{task['host']}:{task['ports'][0]}/stdout", timeout=2,
                            headers={"Connection": "close"}).ok
    return False


def absent(stack: BackendStack, path: str) -> bool:
    try:
        stack.call("GET", path)
    except ApiCallFailed as failure:
        return failure.status == 404
    return False


def queue_entry(stack: BackendStack, app_id: str) -> dict | None:
    return next((e for e in stack.call("GET", "/v2/queue")["queue"] if e["app"]["id"] == app_id), None)


def test_apps_tasks_and_events(backend_stack: BackendStack) -> None:
    stack = backend_stack
    events = EventStream(stack.api_url)
    wait_for(lambda: events.seen("event_stream_attached"), 10, "the event stream to attach")
    # /v2/apps: a new app runs, healthy, and the api shows it with its counts and task.
    created = stack.post_app(web_app("/web"))
    service_port = created["portDefinitions"][0]["port"]
    [task] = stack.wait_running("/web", 1, healthy=True)
    wait_for(lambda: answers(task), 15, "the task to answer at its host port")
    app = stack.call("GET", "/v2/apps/web?embed=apps.tasks")["app"]
    assert (app["tasksRunning"], app["tasksHealthy"], app["tasksStaged"]) == (1, 1, 0)
    assert [t["id"] for t in app["tasks"]] == [task["id"]]

    # /v2/events: the new task's updates were streamed, up to TASK_RUNNING.
    wait_for(lambda: "TASK_RUNNING" in events.status_of(task["id"]), 10, "the task's status_update_event")
    update = next(e for e in events.seen("status_update_event") if e["taskId"] == task["id"])
    assert update["appId"] == "/web" and update["ports"] == task["ports"]

    # /v2/tasks: the task in JSON, with the app's service port, and in Marathon's text form.
    listed = {t["id"]: t for t in stack.call("GET", "/v2/tasks")["tasks"]}
    assert listed[task["id"]]["servicePorts"] == [service_port]
    text = requests.get(f"{stack.api_url}/v2/tasks", headers={"Accept": "text/plain"}, timeout=10).text
    assert f"web\t{service_port}\t{task['host']}:{task['ports'][0]}\n" in text

    # /v2/tasks/delete: the task is killed and the scheduler replaces it.
    killed = stack.call("POST", "/v2/tasks/delete", {"ids": [task["id"]]})
    assert [t["id"] for t in killed["tasks"]] == [task["id"]]

    def replaced() -> list[dict] | None:
        tasks = stack.tasks("/web")
        fresh = [t for t in tasks if t["id"] != task["id"]]
        done = len(tasks) == 1 and fresh and fresh[0]["state"] == "TASK_RUNNING" and is_healthy(fresh[0])
        return fresh if done else None

    [replacement] = wait_for(replaced, 30, "a healthy replacement of the killed task")
    wait_for(lambda: "TASK_KILLED" in events.status_of(task["id"]), 10, "the kill in the event stream")
    assert "TASK_RUNNING" in events.status_of(replacement["id"])


def test_queue_shows_a_crashing_app_in_backoff_until_its_delay_is_reset(backend_stack: BackendStack) -> None:
    stack = backend_stack
    stack.post_app({"id": "/crash", "cmd": "exit 1", **SMALL, "instances": 1, "backoffSeconds": 60})
    entry = wait_for(lambda: (e := queue_entry(stack, "/crash")) and e["delay"]["timeLeftSeconds"] > 0 and e, 30,
                     "/crash delayed in the queue")
    assert entry["count"] == 1 and entry["delay"]["overdue"] is False
    assert entry["delay"]["timeLeftSeconds"] <= 60
    first = wait_for(lambda: stack.app("/crash").get("lastTaskFailure"), 10, "the app's lastTaskFailure")
    assert first["state"] == "TASK_FAILED"
    stack.call("DELETE", "/v2/queue/crash/delay")
    wait_for(lambda: stack.app("/crash").get("lastTaskFailure", {}).get("taskId") != first["taskId"], 30,
             "a new launch (and failure) once the delay was reset")


def test_deployments_show_progress_and_delete_rolls_back(backend_stack: BackendStack) -> None:
    stack = backend_stack
    # /v2/deployments: an app slow to become healthy is deploying until it is, then its deployment is gone.
    stack.post_app(web_app("/slow", delay=3))
    plan = wait_for(lambda: next((p for p in stack.deployments() if p["affectedApps"] == ["/slow"]), None), 10,
                    "the deployment of /slow")
    assert plan["totalSteps"] >= 1 and plan["currentActions"][0]["app"] == "/slow"
    slow = stack.app("/slow")  # its task listens only after 3 s
    assert slow["deployments"] == [{"id": plan["id"]}] and slow["tasksHealthy"] == 0
    stack.wait_running("/slow", 1, healthy=True)
    assert all(p["id"] != plan["id"] for p in stack.deployments())

    # DELETE /v2/deployments/<id>: a deployment that cannot finish (never healthy) is rolled back; the app it
    # created goes away with its task.
    stack.post_app(web_app("/never", cmd="sleep 600"))
    plan = wait_for(lambda: next((p for p in stack.deployments() if p["affectedApps"] == ["/never"]), None), 10,
                    "the deployment of /never")
    wait_for(lambda: [t for t in stack.tasks("/never") if t["state"] == "TASK_RUNNING"], 30, "a /never task")
    rollback = stack.call("DELETE", f"/v2/deployments/{plan['id']}")
    assert rollback["deploymentId"] != plan["id"]
    wait_for(lambda: absent(stack, "/v2/apps/never") and stack.deployments() == [], 30, "the rollback")
    wait_for(lambda: all(t["appId"] != "/never" for t in stack.call("GET", "/v2/tasks")["tasks"]), 30,
             "the /never task to be killed")


def post_shop(stack: BackendStack) -> dict:
    """A group of two apps, web depending on db (which becomes healthy 2 s after it starts); returns the
    group's deployment as /v2/deployments shows it."""
    db, web = web_app("db", delay=2), web_app("web", dependencies=["/shop/db"])
    answer = stack.call("POST", "/v2/groups", {"id": "/shop", "apps": [db, web]})
    return wait_for(lambda: next((p for p in stack.deployments() if p["id"] == answer["deploymentId"]), None), 10,
                    "the group's deployment")


def test_groups_deploy_apps_in_dependency_order_and_go_with_their_tasks(backend_stack: BackendStack) -> None:
    stack = backend_stack
    plan = post_shop(stack)
    scaled = [a["app"] for step in plan["steps"] for a in step["actions"] if a["action"] == "ScaleApplication"]
    assert scaled == ["/shop/db", "/shop/web"]
    group = stack.call("GET", "/v2/groups/shop")
    dependencies = {a["id"]: a.get("dependencies", []) for a in group["apps"]}  # Marathon omits empty lists
    assert dependencies == {"/shop/db": [], "/shop/web": ["/shop/db"]}
    stack.wait_running("/shop/db", 1, healthy=True)
    stack.wait_running("/shop/web", 1, healthy=True)
    listed = stack.call("GET", "/v2/groups/shop?embed=group.apps.tasks")
    assert {a["id"]: len(a["tasks"]) for a in listed["apps"]} == {"/shop/db": 1, "/shop/web": 1}
    assert {a["id"]: a["tasksHealthy"] for a in listed["apps"]} == {"/shop/db": 1, "/shop/web": 1}
    stack.call("DELETE", "/v2/groups/shop")
    wait_for(lambda: absent(stack, "/v2/groups/shop") and stack.deployments() == [], 30, "the group deleted")
    wait_for(lambda: not [t for t in stack.call("GET", "/v2/tasks")["tasks"] if t["appId"].startswith("/shop/")],
             30, "the group's tasks killed")


def test_a_dependent_app_starts_once_its_dependency_is_healthy(backend_stack: BackendStack) -> None:
    stack = backend_stack
    post_shop(stack)
    [db_task] = stack.wait_running("/shop/db", 1, healthy=True)
    [web_task] = stack.wait_running("/shop/web", 1, healthy=True)
    assert web_task["stagedAt"] >= db_task["healthCheckResults"][0]["firstSuccess"]
