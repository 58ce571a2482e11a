"""A pymesos scheduler that only records what it is told, for tests to wait on (it never raises: an exception in
a pymesos callback would be re-raised in the test's main thread)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pymesos import MesosSchedulerDriver, Scheduler

from tests.waiting import wait_for


class Recorder(Scheduler):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[str, Any]] = []
        self.framework_id: str | None = None
        self.offers: dict[str, dict] = {}

    def _add(self, kind: str, value: Any = None) -> None:
        with self.lock:
            self.events.append((kind, value))

    def registered(self, driver, framework_id, master_info) -> None:
        self.framework_id = framework_id["value"]
        self._add("registered", framework_id)

    def reregistered(self, driver, master_info) -> None:
        self._add("reregistered", master_info)

    def disconnected(self, driver) -> None:
        self._add("disconnected")

    def resourceOffers(self, driver, offers) -> None:
        with self.lock:
            for offer in offers:
                self.offers[offer["id"]["value"]] = offer
        self._add("offers", offers)

    def offerRescinded(self, driver, offer_id) -> None:
        with self.lock:
            self.offers.pop(offer_id["value"], None)
        self._add("rescind", offer_id)

    def statusUpdate(self, driver, status) -> None:
        self._add("update", status)

    def frameworkMessage(self, driver, executor_id, agent_id, data) -> None:
        self._add("message", (executor_id, agent_id, data))

    def slaveLost(self, driver, agent_id) -> None:
        self._add("agent_lost", agent_id)

    def executorLost(self, driver, executor_id, agent_id, status) -> None:
        self._add("executor_lost", (executor_id, agent_id, status))

    def error(self, driver, message) -> None:
        self._add("error", message)

    # -- queries ------------------------------------------------------------------------------------------
    def of(self, kind: str) -> list[Any]:
        with self.lock:
            return [v for k, v in self.events if k == kind]

    def updates(self, task_id: str | None = None) -> list[dict]:
        return [s for s in self.of("update") if task_id is None or s["task_id"]["value"] == task_id]

    def states(self, task_id: str) -> list[str]:
        return [s["state"] for s in self.updates(task_id)]

    def wait_state(self, task_id: str, state: str, timeout: float = 15) -> dict:
        return wait_for(lambda: next((s for s in self.updates(task_id) if s["state"] == state), None), timeout,
                        f"{task_id} reaching {state}; saw {self.states(task_id)}")

    def take_offer(self, timeout: float = 10, where: Callable[[dict], bool] = lambda o: True) -> dict:
        def pick() -> dict | None:
            with self.lock:
                for offer_id, offer in self.offers.items():
                    if where(offer):
                        return self.offers.pop(offer_id)
            return None

        return wait_for(pick, timeout, "an offer")


def framework_info(name: str = "test", capabilities: tuple[str, ...] = (), **extra: Any) -> dict:
    info = {"user": "root", "name": name, "hostname": "localhost"}
    if capabilities:
        info["capabilities"] = [{"type": c} for c in capabilities]
    info.update(extra)
    return info


@contextmanager
def running_driver(master_url: str, framework: dict | None = None, recorder: Recorder | None = None,
                   **options: Any) -> Iterator[tuple[MesosSchedulerDriver, Recorder]]:
    """A started driver, registered; stopped with failover (no TEARDOWN) at the end unless already stopped."""
    recorder = recorder or Recorder()
    driver = MesosSchedulerDriver(recorder, framework or framework_info(), master_url, **options)
    driver.start()
    try:
        wait_for(lambda: recorder.of("registered") or recorder.of("reregistered"), 15, "framework registration")
        yield driver, recorder
    finally:
        driver.stop(failover=True)
        driver.join()


def scalar(name: str, value: float) -> dict:
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}}


def ports(begin: int, end: int | None = None) -> dict:
    return {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": begin, "end": end or begin}]}}


def first_port(offer: dict) -> int:
    for resource in offer["resources"]:
        if resource["name"] == "ports":
            return resource["ranges"]["range"][0]["begin"]
    raise AssertionError("offer without ports")


def command_task(offer: dict, command: str, *, task_id: str | None = None, cpus: float = 0.1, mem: float = 32,
                 extra_resources: tuple[dict, ...] = (), **fields: Any) -> dict:
    task = {"name": "t", "task_id": {"value": task_id or f"task-{uuid.uuid4().hex[:8]}"},
            "agent_id": offer["agent_id"], "resources": [scalar("cpus", cpus), scalar("mem", mem), *extra_resources],
            "command": {"value": command}}
    task.update(fields)
    return task
