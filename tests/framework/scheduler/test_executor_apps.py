"""Command apps under Balalaika's executor, through the whole stack: one executor process per app
configuration and agent, checks that kill and replace, `//cmd` for the Mesos command executor, and no
process left behind."""

from __future__ import annotations

from pathlib import Path

from tests.waiting import wait_for

CHECK = {"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "intervalSeconds": 1, "timeoutSeconds": 1,
         "delaySeconds": 0, "gracePeriodSeconds": 5, "maxConsecutiveFailures": 2}


def web(app_id: str, instances: int, **fields: object) -> dict:
    # serves while ./serve exists; `rm serve` in its sandbox makes its check fail while it keeps running
    cmd = ("touch serve; echo ok > index.html; busybox httpd -f -p 127.0.0.1:$PORT0 -h . & server=$!; "
           "while [ -e serve ]; do sleep 0.2; done; kill $server; exec sleep 600")
    return {"id": app_id, "cmd": cmd, "cpus": 0.05, "mem": 16, "instances": instances,
            "portDefinitions": [{"port": 0}], "healthChecks": [CHECK], **fields}


def mesos_tasks(stack, app_id: str) -> list[dict]:
    prefix = app_id.strip("/").replace("/", "_") + "."
    return [task for framework in stack.mesos.state()["frameworks"] for task in framework["tasks"]
            if task["id"].startswith(prefix) and task["state"] == "TASK_RUNNING"]


def executor_pids(stack) -> set[int]:
    return {run.process.pid for agent in stack.mesos.agents for run in agent.agent.executors.values()
            if run.process is not None and run.process.returncode is None}


def test_one_executor_per_agent_hosts_an_apps_tasks(backend_stack):
    backend_stack.post_app(web("/web", 6, constraints=[["hostname", "CLUSTER", "127.0.0.1"]]))
    backend_stack.wait_running("/web", 6, healthy=True)
    executors = {task["executor_id"] for task in mesos_tasks(backend_stack, "/web")}
    assert len(executors) <= len(backend_stack.mesos.agents) and all(e.startswith("balalaika.web.") for e in executors)
    pids = executor_pids(backend_stack)
    assert len(pids) == len(executors)  # one process per (agent, executor id), not one per task
    backend_stack.post_app({"id": "/plain", "cmd": "exec sleep 600", "cpus": 0.05, "mem": 16, "instances": 2,
                            "executor": "//cmd"})
    backend_stack.wait_running("/plain", 2)
    assert {task["executor_id"] for task in mesos_tasks(backend_stack, "/plain")} == {""}  # the command executor


def test_a_task_whose_check_starts_failing_is_killed_and_replaced(backend_stack):
    backend_stack.post_app(web("/web", 2))
    first = backend_stack.wait_running("/web", 2, healthy=True)
    victim = first[0]["id"]
    sandbox = next(Path(run.sandbox) for agent in backend_stack.mesos.agents for run in agent.agent.executors.values())
    (sandbox / "tasks" / victim / "serve").unlink()
    wait_for(lambda: victim not in {t["id"] for t in backend_stack.tasks("/web")}, 30, "the unhealthy task killed")
    replaced = backend_stack.wait_running("/web", 2, healthy=True, timeout=60)
    assert victim not in {task["id"] for task in replaced}


def test_scaling_to_zero_leaves_no_executor_or_task_process(backend_stack):
    backend_stack.post_app(web("/web", 3))
    backend_stack.wait_running("/web", 3, healthy=True)
    pids = executor_pids(backend_stack)
    children = [int(c) for pid in pids for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    assert len(children) == 3
    backend_stack.scale("/web", 0)
    backend_stack.wait_running("/web", 0)

    def gone(pid: int) -> bool:
        return not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"

    wait_for(lambda: all(gone(pid) for pid in pids | set(children)), 30, "executors and their tasks to exit")
