"""A group of 5,000 real-shaped apps in one POST /v2/groups on the whole backend stack: it deploys, its deployment
survives the leader's SIGKILL and is finished by the new leader; and a deployment touching 1,200 apps (a write
staged over several transactions, as 5,000 are; three deployments of 5,000 took minutes on the shared machine, too
long for the suite) is cancelled with and without force. No ZooKeeper node ends up above its limit (and ZooKeeper
would have dropped the connection on any request above jute.maxbuffer, failing the write).

Most apps have 0 instances, so the stack stays small; three have one instance each, so that a step of
the plan has real work for the leader."""

from __future__ import annotations

import signal

import requests

from framework.store import Layout
from framework.store.codec import MAX_NODE_BYTES
from tests.fixtures.stack import BackendStack, StackFactory
from tests.marathon_data import real_group
from tests.waiting import wait_for

APPS = 5000
CANCELLED_APPS = 1200  # above one transaction's 400 KB: staged like any larger write
SLOW = 120.0  # a write of 5,000 apps on a shared 2-core machine


def call(stack: BackendStack, method: str, path: str, body: object = None, expect: int = 200) -> dict:
    answer = requests.request(method, stack.api_url + path, json=body, timeout=SLOW)
    assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
    return answer.json() if answer.content else {}


def group_body(blocked: bool = False, label: str = "v1", apps: int = APPS) -> dict:
    """`apps` apps at 0 instances plus three of one instance (`blocked`: one of them cannot be placed, so
    the deployment stays running)."""
    body = real_group(apps)
    for sub in body["groups"]:
        for app in sub["apps"]:
            app["labels"] = {"RELEASE": label}
    runners: list[dict] = []
    body["groups"].append({"id": "/big/run", "apps": runners})
    for n in range(3):
        runner = {"id": f"/big/run/r{n}", "cmd": "sleep 1000", "cpus": 0.01, "mem": 8, "instances": 1,
                  "labels": {"RELEASE": label}}
        if blocked and n == 0:
            runner["constraints"] = [["hostname", "CLUSTER", "no-such-host"]]
        runners.append(runner)
    return body


def running_plans(stack: BackendStack) -> list[dict]:
    return call(stack, "GET", "/v2/deployments")


def largest_node(stack: BackendStack) -> int:
    client, root = stack.zk, Layout(stack.options.root).root
    sizes = []
    for directory in ("apps", "deployments", "plan-parts", "groups", "service-ports"):
        path = f"{root}/{directory}"
        stack_ = [path]
        while stack_:
            node = stack_.pop()
            if not client.exists(node):
                continue
            sizes.append(len(client.get(node)[0]))
            stack_ += [f"{node}/{child}" for child in client.get_children(node)]
    return max(sizes)


def test_5000_apps_in_one_post_deploy_and_survive_the_leaders_sigkill(backend_stack_factory: StackFactory) -> None:
    stack = backend_stack_factory()
    stack.kill_scheduler(signal.SIGKILL)  # the plan is written while nobody leads, then a new leader finishes it
    answer = call(stack, "POST", "/v2/groups", group_body(), expect=201)
    plans = wait_for(lambda: running_plans(stack), 10, "the deployment listed by every api worker")
    assert [plan["id"] for plan in plans] == [answer["deploymentId"]]
    assert len(plans[0]["affectedApps"]) == APPS + 3 and plans[0]["totalSteps"] == 2
    assert len(plans[0]["currentActions"]) == APPS + 3  # step 1: start every app
    stack.start_scheduler(lead=True)
    wait_for(lambda: not running_plans(stack), SLOW, "the new leader to finish the deployment", interval=1.0)
    for n in range(3):
        stack.wait_running(f"/big/run/r{n}", 1, timeout=SLOW)
    group = call(stack, "GET", "/v2/groups/big")
    assert sum(len(sub["apps"]) for sub in group["groups"]) == APPS + 3
    assert largest_node(stack) <= MAX_NODE_BYTES


def test_a_deployment_of_1200_apps_is_cancelled_with_and_without_force(backend_stack_factory: StackFactory) -> None:
    stack = backend_stack_factory()
    call(stack, "POST", "/v2/groups", group_body(apps=CANCELLED_APPS), expect=201)
    wait_for(lambda: not running_plans(stack), SLOW, "the first deployment", interval=1.0)
    first_version = stack.wait_running("/big/run/r1", 1, timeout=SLOW)[0]["version"]

    # Without force: a rollback plan takes every app back to its definition before.
    changed = call(stack, "PUT", "/v2/groups/big", group_body(blocked=True, label="v2", apps=CANCELLED_APPS))
    wait_for(lambda: stack.tasks("/big/run/r1") and stack.tasks("/big/run/r1")[0]["version"] != first_version,
             SLOW, "the change to restart what it can (r0 cannot be placed: the deployment stays)", interval=1.0)
    assert [plan["id"] for plan in running_plans(stack)] == [changed["deploymentId"]]
    rollback = call(stack, "DELETE", f"/v2/deployments/{changed['deploymentId']}")
    assert rollback["deploymentId"] != changed["deploymentId"]
    wait_for(lambda: not running_plans(stack), SLOW, "the rollback to finish", interval=1.0)
    sample = call(stack, "GET", "/v2/apps" + group_body(apps=CANCELLED_APPS)["groups"][1]["apps"][-1]["id"])["app"]
    assert sample["labels"] == {"RELEASE": "v1"}
    assert not call(stack, "GET", "/v2/apps/big/run/r0")["app"].get("constraints")

    # With force: the plan is dropped and the apps keep the definitions it was deploying.
    blocked = call(stack, "PUT", "/v2/groups/big", group_body(blocked=True, label="v3", apps=CANCELLED_APPS))
    wait_for(lambda: running_plans(stack), SLOW, "the blocked deployment", interval=1.0)
    call(stack, "DELETE", f"/v2/deployments/{blocked['deploymentId']}?force=true", expect=202)
    assert running_plans(stack) == []
    apps = call(stack, "GET", "/v2/groups/big/g0")["apps"]
    assert len(apps) == 1000 and {app["labels"]["RELEASE"] for app in apps} == {"v3"}
    assert largest_node(stack) <= MAX_NODE_BYTES
    assert stack.zk.get_children(f"{Layout(stack.options.root).root}/plan-parts") == []
