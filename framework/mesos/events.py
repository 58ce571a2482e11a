"""Typed events from the Mesos master, as the scheduler loop consumes them (v1 JSON payloads kept as dicts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subscribed:
    """SUBSCRIBED: first registration or re-registration under `framework_id`, with the master's host name
    (Marathon's scheduler events name it)."""

    framework_id: str
    master: str = ""


@dataclass(frozen=True)
class Offers:
    offers: tuple[dict, ...]


@dataclass(frozen=True)
class OfferRescinded:
    offer_id: str


@dataclass(frozen=True)
class StatusUpdate:
    """A TaskStatus; `needs_ack` when it carries a uuid (agent/executor updates must be acknowledged)."""

    status: dict

    @property
    def task_id(self) -> str:
        return self.status["task_id"]["value"]

    @property
    def state(self) -> str:
        return self.status["state"]

    @property
    def needs_ack(self) -> bool:
        return "uuid" in self.status and "agent_id" in self.status


@dataclass(frozen=True)
class AgentLost:
    agent_id: str


@dataclass(frozen=True)
class ExecutorLost:
    executor_id: str
    agent_id: str
    status: int | None


@dataclass(frozen=True)
class MesosError:
    """ERROR from the master (e.g. "Framework has been removed"); the stream closes after it."""

    message: str


@dataclass(frozen=True)
class Disconnected:
    """The subscription stream closed; pymesos re-subscribes by itself."""


@dataclass(frozen=True)
class DriverAborted:
    """pymesos's IO thread died (e.g. the master stayed unreachable past the connect deadline)."""

    error: str
