"""What the ZooKeeper outage tests share: an app with running tasks, timed write attempts, and the task
ids Mesos runs (the ground truth for "none lost, none doubled")."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from launchers.waiting import GiveUp
from tests.api_client import app_path
from tests.fixtures.stack import BackendStack
from tests.waiting import wait_for

APP = {"id": "/outage", "cmd": "sleep 3600", "instances": 2, "cpus": 0.1, "mem": 16}
REFUSAL_SECONDS = 2.0  # issue 13: a write fails within 2 s while ZooKeeper is unreachable
HANG_SECONDS = 8.0  # a write taking longer than this counts as hung
PACE = 0.25  # between write attempts: a probe, not a load on the shared cores


@dataclass(frozen=True)
class Attempt:
    """One scale request: its status (None when it hung), its JSON body and how long the answer took."""

    status: int | None
    body: object
    seconds: float

    @property
    def refused_cleanly(self) -> bool:
        return (self.status == 503 and self.seconds < REFUSAL_SECONDS and isinstance(self.body, dict)
                and isinstance(self.body.get("message"), str))


def scale_attempt(stack: BackendStack, instances: int) -> Attempt:
    """PUT /v2/apps/outage {"instances": n}, timed."""
    started = time.monotonic()
    try:
        response = requests.put(f"{stack.api_url}/v2/apps{app_path(APP['id'])}", json={"instances": instances},
                                timeout=HANG_SECONDS, headers={"Connection": "close"})
    except requests.Timeout:
        return Attempt(None, None, time.monotonic() - started)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Attempt(response.status_code, body, time.monotonic() - started)


def attempts_until(stack: BackendStack, deadline: float, instances: int, *,
                   until_accepted: bool = False) -> list[Attempt]:
    """Scale requests one after another until the monotonic `deadline` (at least one), or with
    `until_accepted` until one is accepted (200) as well."""
    made = [scale_attempt(stack, instances)]
    while time.monotonic() < deadline and not (until_accepted and made[-1].status == 200):
        time.sleep(PACE)  # pacing the probe, not waiting for a condition
        made.append(scale_attempt(stack, instances))
    return made


def mesos_running(stack: BackendStack) -> list[str]:
    """Ids of the framework's tasks Mesos reports (any state: a doubled id would show twice)."""
    return sorted(task["id"] for framework in stack.mesos.state()["frameworks"] for task in framework["tasks"]
                  if task["state"] == "TASK_RUNNING")


def running_app(stack: BackendStack) -> set[str]:
    """Deploys APP and returns the ids of its running tasks, which Mesos agrees with."""
    stack.post_app(APP)
    tasks = {task["id"] for task in stack.wait_running(APP["id"], APP["instances"])}
    assert mesos_running(stack) == sorted(tasks)
    return tasks


def accepted_again(stack: BackendStack, instances: int, timeout: float = 60.0) -> Attempt:
    """Waits until a scale to `instances` is accepted (200), each attempt still answering in bounded time."""

    def accepted() -> Attempt | None:
        attempt = scale_attempt(stack, instances)
        if attempt.status is None:
            raise GiveUp("a write hung while ZooKeeper came back")
        return attempt if attempt.status == 200 else None

    return wait_for(accepted, timeout, f"a scale to {instances} accepted", interval=0.2)


def unclean(attempts: list[Attempt]) -> list[Attempt]:
    """The attempts that were not refused cleanly (503, Marathon's shape, within REFUSAL_SECONDS)."""
    return [attempt for attempt in attempts if not attempt.refused_cleanly]


def summary(attempts: list[Attempt]) -> str:
    """`n writes: statuses, slowest answer`, for the test's printout and failure messages."""
    statuses = sorted({str(attempt.status) for attempt in attempts})
    slowest = max(attempt.seconds for attempt in attempts)
    return f"{len(attempts)} writes answered {'/'.join(statuses)}, slowest in {slowest:.2f} s"
