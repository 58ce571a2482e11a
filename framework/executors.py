"""Which Mesos executor runs an app's tasks, as Marathon's ``executor`` field says, and its ExecutorInfo. Pure.

* ``""`` (the default), for a command app: Balalaika's executor. One executor hosts every task of one
  app configuration on one agent (its id names the app and the config version, so a scaling keeps it and
  a new config gets a new one): a Python executor costs ~20 MB, so one per task would not scale. Mesos
  delivers every task launched with the same ExecutorInfo on an agent to the running executor and counts
  its resources once; the matcher reserves them only where the offer does not list it in ``executor_ids``.
* ``"//cmd"``: the Mesos command executor (a task carries its own command).
* any other value: a custom executor, run as that command, one per task as Marathon does, with the
  app's CommandInfo in ``TaskInfo.data``.
* Docker apps run under the Docker containerizer whatever the field says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from framework.matching.resources import ResourceNeed, task_resources
from framework.model import appfields

COMMAND_EXECUTOR = "//cmd"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]+")


@dataclass(frozen=True)
class ExecutorSettings:
    """The scheduler's flags for Balalaika's executor."""

    command: str = "balalaika-executor"  # found on the agent's PATH
    cpus: float = 0.05
    mem: float = 32.0
    shutdown_grace: float = 5.0


@dataclass(frozen=True)
class SharedExecutor:
    """What the matcher needs of a shared executor: which one, and what it takes once per agent."""

    executor_id: str
    need: ResourceNeed


def _field(app: Mapping[str, Any]) -> str:
    return str(app.get("executor") or "")


def shared_executor(app: Mapping[str, Any], settings: ExecutorSettings) -> SharedExecutor | None:
    """Balalaika's executor for `app`, or None when its tasks run otherwise."""
    if appfields.docker_image(app) or _field(app):
        return None
    config_version = (app.get("versionInfo") or {}).get("lastConfigChangeAt") or app.get("version") or ""
    name = _ID_UNSAFE.sub("_", f"{appfields.app_id(app).strip('/').replace('/', '_')}.{config_version}")
    return SharedExecutor(f"balalaika.{name}", ResourceNeed.of(settings.cpus, settings.mem))


def executor_info(app: Mapping[str, Any], task_id: str, role: str, settings: ExecutorSettings,
                  uris: list[dict]) -> dict | None:
    """The ExecutorInfo to launch `task_id` with; None for the command executor or Docker.

    `uris` (the app's fetch list) go to the shared executor, so the agent fetches them once into its
    sandbox, where the executor makes them visible to each task."""
    if appfields.docker_image(app):
        return None
    shared = shared_executor(app, settings)
    if shared is not None:
        # exec: the executor is the agent's child itself, not a shell waiting on it
        command: dict[str, Any] = {"shell": True, "value": f"exec {settings.command}"}
        if uris:
            command["uris"] = uris
        return {"executor_id": {"value": shared.executor_id},
                "name": f"Balalaika executor for {appfields.app_id(app)}",
                "command": command, "resources": task_resources(shared.need, (), role),
                "shutdown_grace_period": {"nanoseconds": int(settings.shutdown_grace * 1e9)}}
    if _field(app) == COMMAND_EXECUTOR:
        return None
    return {"executor_id": {"value": f"marathon-{task_id}"}, "name": f"{appfields.app_id(app)} executor",
            "command": {"shell": True, "value": _field(app)}}
