"""What the master keeps: its records of frameworks, agents, offers and tasks, and the agent port.

Plain dataclasses with no behaviour beyond small accessors, shared by every part of `Master`
(mesoslocal.master) and read by `state_json`; kept apart so that the mixins can name them without
importing the master itself.
"""

from __future__ import annotations

import asyncio
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
    released: bool = False
    unreachable_time: float | None = None

    @property
    def id(self) -> str:
        return self.info["task_id"]["value"]


@dataclass
class Offer:
    id: str
    framework_id: str
    agent_id: str
    resources: Resources


@dataclass
class Framework:
    id: str
    info: dict
    subscription: Subscription | None = None
    tasks: dict[str, Task] = field(default_factory=dict)
    unreachable: dict[str, Task] = field(default_factory=dict)
    completed: deque[Task] = field(default_factory=lambda: deque(maxlen=COMPLETED_KEEP))
    offers: dict[str, Offer] = field(default_factory=dict)
    executors: dict[str, dict[str, dict]] = field(default_factory=dict)  # agent -> executor id -> info
    registered_time: float = field(default_factory=time.time)
    unregistered_time: float = 0.0
    reregistered_time: float | None = None
    failover_handle: asyncio.TimerHandle | None = None
    recovered: bool = False

    @property
    def connected(self) -> bool:
        return self.subscription is not None

    def capable(self, capability: str) -> bool:
        return any(c.get("type") == capability for c in self.info.get("capabilities", []))

    def send(self, event: dict) -> None:
        if self.subscription is not None:
            self.subscription.send(event)


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
    last_pong: float = field(default_factory=time.monotonic)
    state: str = "active"  # active | unreachable | removed
    pending_kills: list[tuple[str, str]] = field(default_factory=list)

    def info(self) -> dict:
        return agent_info(self.id, self.hostname, self.port, self.total, self.attributes)
