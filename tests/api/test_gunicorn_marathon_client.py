"""The PyPI `marathon` client driving balalaika-api under gunicorn, the scheduler simulated with the Store."""

from __future__ import annotations

import pytest
import requests
from marathon import MarathonApp, MarathonClient
from marathon.exceptions import MarathonHttpError

from tests.api.conftest import running_task
from tests.waiting import wait_for


def finish_deployments(url: str, store) -> None:
    for plan in requests.get(f"{url}/v2/deployments", timeout=5).json():
        store.deployments.delete(plan["id"])


def test_marathon_client_create_list_scale_restart_kill_delete(gunicorn_api, store):
    server = gunicorn_api
    client = MarathonClient(server, timeout=10)
    assert client.ping()
    created = client.create_app("/demo", MarathonApp(cmd="sleep 100", instances=2, cpus=0.1, mem=16))
    assert created.id == "/demo" and created.instances == 2
    assert [app.id for app in client.list_apps()] == ["/demo"]
    with pytest.raises(MarathonHttpError) as locked:
        client.scale_app("/demo", instances=3)
    assert locked.value.status_code == 409
    finish_deployments(server, store)
    scaled = client.scale_app("/demo", instances=3)
    assert scaled["deploymentId"]
    finish_deployments(server, store)

    app = requests.get(f"{server}/v2/apps/demo", timeout=5).json()["app"]
    for i in range(3):
        store.tasks.put(running_task(app, f"demo.t{i}", host=f"h{i}", port=31000 + i))
    wait_for(lambda: len(client.list_tasks("/demo")) == 3, 5, "tasks via gunicorn")
    listed = client.list_apps(embed_tasks=True)[0]
    assert listed.tasks_running == 3 and len(listed.tasks) == 3

    restart = client.restart_app("/demo")
    assert restart["deploymentId"]
    assert [d.id for d in client.list_deployments()] == [restart["deploymentId"]]
    finish_deployments(server, store)
    killed = client.kill_task("/demo", "demo.t0", scale=True)
    assert killed  # deployment answer (scale) or the task
    assert client.get_app("/demo").instances == 2
    finish_deployments(server, store)
    client.kill_tasks("/demo")
    kills = [request for _, request in store.requests.take() if request["type"] == "kill"]
    assert {task_id for request in kills for task_id in request["taskIds"]} == {"demo.t0", "demo.t1", "demo.t2"}
    deleted = client.delete_app("/demo")
    assert deleted["deploymentId"]
    assert client.list_apps() == []
    assert client.get_info().name == "balalaika"
