"""The `balalaika` client as a user runs it: the console script as a subprocess against a real backend stack
(ZooKeeper, mesoslocal, balalaika-api under gunicorn, a leading scheduler). Each test shares one stack
across many subcommands: their tables (the columns and values a user reads), their exit codes, `--json`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from cli.up import Part, bin_path, http_ok
from launchers.process import free_port
from tests.fixtures.stack import BackendStack

BALALAIKA = bin_path("balalaika")
WEB = {"id": "/web", "cmd": "echo ok > index.html; exec busybox httpd -f -p 127.0.0.1:$PORT0 -h .", "cpus": 0.05,
       "mem": 16, "instances": 2, "portDefinitions": [{"port": 0}],
       "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "intervalSeconds": 1,
                         "delaySeconds": 0, "gracePeriodSeconds": 10, "maxConsecutiveFailures": 3}]}
# Runs, but nothing answers its health check: never healthy.
NEVER_HEALTHY = {**WEB, "id": "/broken", "cmd": "exec sleep 600",
                 "labels": {"BALALAIKA_DEPLOYMENT_DEADLINE_SECONDS": "4", "BALALAIKA_DEPLOYMENT_AUTO_ROLLBACK": "true"},
                 "healthChecks": [{**WEB["healthChecks"][0], "gracePeriodSeconds": 1, "maxConsecutiveFailures": 2}]}
# Asks for more than the agents have: waits for offers forever.
HUGE = {"id": "/huge", "cmd": "sleep 600", "cpus": 100, "mem": 16, "instances": 2}


def balalaika(stack: BackendStack, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
              timeout: float = 90) -> subprocess.CompletedProcess:
    """Runs the console script with BALALAIKA_API pointing at the stack; stdout and stderr apart."""
    environ = {**os.environ, "BALALAIKA_API": stack.api_url, **(env or {})}
    for name in ("BALALAIKA_USER", "BALALAIKA_TOKEN"):
        if env is None or name not in env:
            environ.pop(name, None)
    return subprocess.run([BALALAIKA, *args], input=stdin, capture_output=True, text=True, env=environ,
                          timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def table(stdout: str) -> list[dict[str, str]]:
    """The rows of a table as the user reads them: header names to cell values."""
    lines = [line for line in stdout.splitlines() if line.strip() and not set(line.strip()) <= {"─", "-"}]
    header = re.split(r"\s{2,}", lines[0].strip())
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]
    assert all(len(row) == len(header) for row in rows), stdout
    return [dict(zip(header, row, strict=True)) for row in rows]


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_apps_and_tasks_through_their_lifecycle(backend_stack: BackendStack, tmp_path: Path) -> None:
    stack = backend_stack
    out = ok(balalaika(stack, "app", "deploy", write(tmp_path, "web.json", WEB)))
    assert "finished" in out and "/web: 2/2 started, 2/2 healthy" in out
    version = stack.app("/web")["version"]

    apps = table(ok(balalaika(stack, "app", "list")))
    assert list(apps[0]) == ["ID", "STATUS", "INSTANCES", "HEALTHY", "CPUS", "MEM", "DISK", "VERSION"]
    assert apps == [{"ID": "/web", "STATUS": "Running", "INSTANCES": "2/2", "HEALTHY": "2/2", "CPUS": "0.05",
                     "MEM": "16 MiB", "DISK": "0 MiB", "VERSION": version}]
    listed = json.loads(ok(balalaika(stack, "app", "list", "--json")))
    assert [app["id"] for app in listed["apps"]] == ["/web"] and listed["apps"][0]["tasksHealthy"] == 2

    api_tasks = {task["id"]: task for task in stack.tasks("/web")}
    tasks = table(ok(balalaika(stack, "task", "list", "/web")))
    assert list(tasks[0]) == ["ID", "APP", "HOST:PORTS", "STATE", "HEALTH", "STARTED"]
    assert {row["ID"] for row in tasks} == set(api_tasks)
    for row in tasks:
        task = api_tasks[row["ID"]]
        assert row["HOST:PORTS"] == f"{task['host']}:{task['ports'][0]}"
        assert (row["APP"], row["STATE"], row["HEALTH"]) == ("/web", "RUNNING", "healthy")
        assert row["STARTED"].endswith(" ago")
    assert {t["id"] for t in json.loads(ok(balalaika(stack, "--json", "task", "list")))["tasks"]} == set(api_tasks)

    shown = ok(balalaika(stack, "app", "show", "web"))
    assert re.search(r"^status\s+Running$", shown, re.M) and re.search(r"^healthy\s+2/2$", shown, re.M)
    assert all(task_id in shown for task_id in api_tasks)
    assert json.loads(ok(balalaika(stack, "app", "show", "/web", "--json")))["app"]["id"] == "/web"

    out = ok(balalaika(stack, "app", "scale", "/web", "3"))
    assert "/web: 3/3 started, 3/3 healthy" in out
    out = ok(balalaika(stack, "app", "restart", "/web"))
    assert "/web: 3/3 started, 3/3 healthy; 3 stopped" in out  # every old instance replaced
    change = json.dumps({"instances": 1, "cmd": WEB["cmd"] + " "})
    out = ok(balalaika(stack, "app", "update", "/web", "-", stdin=change))
    assert "/web: 1/1 started, 1/1 healthy; 3 stopped" in out
    assert stack.app("/web")["cmd"].endswith(". ")  # a partial update: the rest of the definition stayed

    [task] = stack.tasks("/web")
    out = ok(balalaika(stack, "task", "kill", task["id"], "--scale"))
    assert f"Killing 1 task: {task['id']}; instances lowered by 1" in out
    stack.wait_running("/web", 0)

    out = ok(balalaika(stack, "app", "delete", "/web"))
    assert "finished" in out
    assert "No apps" in ok(balalaika(stack, "app", "list"))
    assert ok(balalaika(stack, "leader")).strip() == stack.leader()
    assert json.loads(ok(balalaika(stack, "leader", "--json"))) == {"leader": stack.leader()}


def test_refusals_failures_and_timeouts_have_their_exit_codes(backend_stack: BackendStack, tmp_path: Path) -> None:
    stack = backend_stack
    invalid = write(tmp_path, "invalid.json", {"id": "/bad", "cmd": "sleep 1", "cpus": -1, "mem": 16})
    refused = balalaika(stack, "app", "deploy", invalid)
    assert refused.returncode == 3 and refused.stdout == ""
    assert "422 Unprocessable Entity: Object is not valid" in refused.stderr and "  /cpus: " in refused.stderr
    as_json = balalaika(stack, "app", "deploy", invalid, "--json")
    assert as_json.returncode == 3 and json.loads(as_json.stdout)["details"][0]["path"] == "/cpus"
    assert balalaika(stack, "app", "deploy", write(tmp_path, "not.json", "{'id': 1")).returncode == 2
    missing = balalaika(stack, "app", "show", "/nothing")
    assert missing.returncode == 3 and "404 Not Found: App '/nothing' does not exist" in missing.stderr
    assert balalaika(stack, "leader", env={"BALALAIKA_API": f"http://127.0.0.1:{free_port()}"}).returncode == 5

    # A deployment that never gets healthy fails at its deadline and is rolled back; we say why.
    failed = balalaika(stack, "app", "deploy", write(tmp_path, "broken.json", NEVER_HEALTHY))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "failed: did not finish within 4 seconds (BALALAIKA_DEPLOYMENT_DEADLINE_SECONDS of /broken)" in failed.stdout
    assert "Rolled back by deployment" in failed.stdout and "StopApplication /broken" in failed.stdout
    assert "/broken: last health check failure: " in failed.stdout

    # An app that waits for offers: --timeout ends the wait (the deployment goes on), the tables show it.
    timed_out = balalaika(stack, "app", "deploy", write(tmp_path, "huge.json", HUGE), "--timeout", "1")
    assert timed_out.returncode == 4 and "still running after" in timed_out.stdout
    [plan] = stack.deployments()
    [row] = table(ok(balalaika(stack, "deployment", "list")))
    assert row["ID"] == plan["id"] and row["APPS"] == "/huge" and row["STEP"] == "2/2"
    assert row["ACTIONS"] == "ScaleApplication /huge" and row["STARTED"].endswith(" ago")
    assert table(ok(balalaika(stack, "app", "list")))[0]["STATUS"] == "Waiting"
    [waiting] = table(ok(balalaika(stack, "queue")))
    assert (waiting["APP"], waiting["WAITING"], waiting["STATUS"]) == ("/huge", "2", "Waiting for offers")

    locked = balalaika(stack, "app", "scale", "/huge", "1")
    assert locked.returncode == 3 and f"locked by deployment {plan['id']}" in locked.stderr
    assert "--force" in locked.stderr
    exists = balalaika(stack, "app", "deploy", write(tmp_path, "huge.json", HUGE), "--detach", "--force")
    assert exists.returncode == 3 and "balalaika app update" in exists.stderr

    out = ok(balalaika(stack, "app", "scale", "/huge", "0", "--force"))  # cancels the stuck deployment
    assert "/huge: 0/0 started" in out
    assert table(ok(balalaika(stack, "app", "list")))[0]["STATUS"] == "Suspended"
    ok(balalaika(stack, "app", "scale", "/huge", "1", "--detach"))
    [plan] = stack.deployments()
    out = ok(balalaika(stack, "deployment", "cancel", plan["id"], "--rollback"))
    assert "rolling back" in out and "finished" in out
    assert stack.app("/huge")["instances"] == 0
    assert json.loads(ok(balalaika(stack, "deployment", "list", "--json"))) == []


def test_credentials_reach_an_api_that_asks_for_them(backend_stack: BackendStack, tmp_path: Path) -> None:
    """A second balalaika-api on the same state, with auth on: basic and bearer credentials from flags or
    the environment; without them, a 401 that says how to give them."""
    stack = backend_stack
    auth = write(tmp_path, "auth.json", {
        "users": [{"name": "ops", "password": "s3cret", "permissions": [{"prefix": "/", "level": "admin"}]}],
        "tokens": [{"token": "ci-token", "name": "ci", "permissions": [{"prefix": "/", "level": "read"}]}]})
    url = f"http://127.0.0.1:{free_port()}"
    api = Part("balalaika-api-auth", [bin_path("balalaika-api"), "--zk", stack.zk_hosts, "--root", stack.options.root,
                                      "--bind", url.removeprefix("http://"), "--workers", "1", "--auth-file", auth],
               lambda: http_ok(f"{url}/ping"), tmp_path / "api-auth.log")
    api.start()
    try:
        env = {"BALALAIKA_API": url}
        refused = balalaika(stack, "app", "list", env=env)
        assert refused.returncode == 3 and "401 Unauthorized" in refused.stderr and "--user" in refused.stderr
        assert "No apps" in ok(balalaika(stack, "app", "list", "--user", "ops:s3cret", env=env))
        assert ok(balalaika(stack, "leader", env={**env, "BALALAIKA_TOKEN": "ci-token"})).strip() == stack.leader()
        forbidden = balalaika(stack, "app", "scale", "/x", "1", env={**env, "BALALAIKA_TOKEN": "ci-token"})
        assert forbidden.returncode == 3 and "403 Forbidden" in forbidden.stderr
    finally:
        api.stop()
