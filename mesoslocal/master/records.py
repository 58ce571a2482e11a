"""What the master keeps about frameworks, agents, offers and tasks, and the port through which it talks to an agent.

Plain records. Which component may change which record is said in master.py; the moves of a task between a
framework's tables are methods here so that every component moves it the same way.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from mesoslocal.wire.agent_info import agent_info
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.streams import EventStream

COMPLETED_KEEP = 1000


class AgentPort(Protocol):
    """What the master may ask of an agent (each call is a one-way message)."""

    def run_task(self, framework_info: dict, task: dict) -> None: ...
    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None) -> None: ...
    def shutdown_framework(self, framework_id: str) -> None: ...
    def shutdown_executor(self, framework_id: str, executor_id: str) -> None: ...
    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> None: ...
    def framework_message(self, framework_id: str, executor_id: str, data: str) -> None: ...
    def resend_unacknowledged(self, framework_id: str) -> None: ...
    def reconcile_tasks(self, framework_info: dict, tasks: list[dict]) -> None: ...
    def ping(self) -> bool: ...


class Subscription(EventStream):
    """One scheduler event stream, identified by its Mesos-Stream-Id."""

    stream_id: str


@dataclass
class Task:
    info: dict
    framework_id: str
    agent_id: str
    resources: Resources
    executor_id: str  # "" for command tasks, as /state shows them
    state: str = "TASK_STAGING"
    statuses: list[dict] = field(default_factory=list)
    latest: dict | None = None  # last status forwarded (for reconciliation)
    sent_uuids: dict[str, str] = field(default_factory=dict)  # uuid -> state, of forwarded agent updates
    released: bool = False  # its resources went back to the allocator
    unreachable_time: float | None = None

    @property
    def id(self) -> str:
        return self.info["task_id"]["value"]

    def enter(self, state: str, timestamp: float, latest: dict | None = None) -> None:
        """A state the master decided (not an agent's update): recorded in `statuses` as /state shows them."""
        self.state = state
        if latest is not None:
            self.latest = latest
        self.statuses.append({"state": state, "timestamp": timestamp})


@dataclass
class Offer:
    id: str
    framework_id: str
    agent_id: str
    resources: Resources


@dataclass
class Framework:
    """A framework and its tasks: active ones (terminal until acknowledged included), unreachable ones, the last
    COMPLETED_KEEP completed ones, and its executors per agent."""

    id: str
    info: dict
    subscription: Subscription | None = None
    tasks: dict[str, Task] = field(default_factory=dict)
    unreachable: dict[str, Task] = field(default_factory=dict)
    completed: deque[Task] = field(default_factory=lambda: deque(maxlen=COMPLETED_KEEP))
    executors: dict[str, dict[str, dict]] = field(default_factory=dict)  # agent -> executor id -> info
    registered_time: float = field(default_factory=time.time)
    unregistered_time: float = 0.0
    reregistered_time: float | None = None
    recovered: bool = False  # known from an agent's re-registration, not (yet) re-subscribed

    @property
    def connected(self) -> bool:
        return self.subscription is not None

    def capable(self, capability: str) -> bool:
        return any(c.get("type") == capability for c in self.info.get("capabilities", []))

    def send(self, event: dict) -> None:
        if self.subscription is not None:
            self.subscription.send(event)

    # -- its tables ---------------------------------------------------------------------------------------------
    def find(self, task_id: str) -> Task | None:
        """An active or unreachable task."""
        return self.tasks.get(task_id) or self.unreachable.get(task_id)

    def complete(self, task: Task) -> None:
        self.tasks.pop(task.id, None)
        self.unreachable.pop(task.id, None)
        self.completed.append(task)

    def make_unreachable(self, task: Task, unreachable_time: float) -> None:
        self.tasks.pop(task.id, None)
        task.unreachable_time = unreachable_time
        self.unreachable[task.id] = task

    def executor(self, agent_id: str, executor_id: str) -> dict | None:
        return self.executors.get(agent_id, {}).get(executor_id)

    def add_executor(self, agent_id: str, executor: dict) -> None:
        self.executors.setdefault(agent_id, {})[executor["executor_id"]["value"]] = executor


@dataclass
class AgentRecord:
    id: str
    hostname: str
    ip: str
    port: int
    attributes: list[dict]
    total: Resources
    port_handle: AgentPort
    registered_time: float = field(default_factory=time.time)
    state: str = "active"  # active | unreachable | removed
    pending_kills: list[tuple[str, str]] = field(default_factory=list)  # (framework, task) to kill when it returns

    @property
    def active(self) -> bool:
        return self.state == "active"

    def info(self) -> dict:
        return agent_info(self.id, self.hostname, self.port, self.total, self.attributes)
