"""One task as an agent runs it: its sandbox and container, its runner and health checker, and the states it has
reported (notes D2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mesoslocal.agent.health import HealthChecker
from mesoslocal.agent.runner import TaskRunner


@dataclass
class TaskRun:
    framework_id: str
    info: dict
    executor_id: str
    container_id: str
    sandbox: Path
    state: str = "TASK_STAGING"
    runner: TaskRunner | None = None
    checker: HealthChecker | None = None
    killing: bool = False
    killed_unhealthy: bool = False
    launched: bool = False
    statuses: list[dict] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.info["task_id"]["value"]
