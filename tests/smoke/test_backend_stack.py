"""The backend_stack fixture runs a real app end to end: API → ZooKeeper → scheduler → mesoslocal → process."""

from __future__ import annotations

import requests

from tests.fixtures.stack import BackendStack, StackFactory
from tests.waiting import wait_for

WEB = {"id": "/web", "cmd": "exec busybox httpd -f -p $PORT0 -h .", "cpus": 0.1, "mem": 32, "instances": 2,
       "portDefinitions": [{"port": 0}]}


def answers(task: dict) -> bool:
    """The task's httpd serves its sandbox: its `stdout` file is there."""
    response = requests.get(f"http://{task['host']}:{task['ports'][0]}/stdout", timeout=2,
                            headers={"Connection": "close"})
    return response.status_code == 200


def wait_answering(tasks: list[dict]) -> None:
    """TASK_RUNNING is reported once the process is spawned, a moment before httpd listens."""
    for task in tasks:
        wait_for(lambda task=task: answers(task), 15, f"task {task['id']} to answer HTTP")


def test_web_app_runs_answers_and_scales(backend_stack: BackendStack) -> None:
    created = backend_stack.post_app(WEB)
    assert created["id"] == "/web"
    tasks = backend_stack.wait_running("/web", 2)
    assert len({(t["host"], t["ports"][0]) for t in tasks}) == 2
    wait_answering(tasks)

    backend_stack.scale("/web", 3)
    tasks = backend_stack.wait_running("/web", 3)
    wait_answering(tasks)


CHECK = {"protocol": "MESOS_HTTP", "path": "/stdout", "portIndex": 0, "gracePeriodSeconds": 5,
         "intervalSeconds": 1, "timeoutSeconds": 1, "delaySeconds": 0, "maxConsecutiveFailures": 3}


def test_standby_takes_over_and_restarts_healthy_tasks(backend_stack_factory: StackFactory) -> None:
    stack = backend_stack_factory(agents=2, standby=True, scheduler_args=("--zk-session-timeout", "4"))
    assert stack.contenders() == ["scheduler0", "scheduler1"]
    stack.post_app({**WEB, "healthChecks": [CHECK]})
    before = {t["id"] for t in stack.wait_running("/web", 2, healthy=True)}

    assert stack.kill_scheduler() == 0
    wait_for(lambda: stack.leader_name() == "scheduler1", 30, "the standby to lead")
    stack.restart("/web")
    after = {t["id"] for t in stack.wait_running("/web", 2, healthy=True)}
    assert not before & after
    stack.start_scheduler()
    assert stack.contenders() == ["scheduler1", "scheduler2"]
