"""What to run for one task, read from its v1 TaskInfo. Pure.

Balalaika's scheduler sends a command task to this executor with the CommandInfo as base64 JSON in
``TaskInfo.data`` (a task that names an executor may not carry ``command`` itself), the Mesos-native
``health_check`` and the ``kill_policy``. A TaskInfo that cannot be run raises `BadTaskInfo`, which the
executor reports as TASK_FAILED rather than dying.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_KILL_GRACE = 3.0  # Mesos's default kill policy grace period


class BadTaskInfo(ValueError):
    """The TaskInfo has no runnable command (or an unreadable one)."""


@dataclass(frozen=True)
class CheckSpec:
    """A Mesos HealthCheck (v1): HTTP(S), TCP or COMMAND, with Mesos's defaults."""

    kind: str  # HTTP, TCP or COMMAND
    port: int = 0
    path: str = "/"
    scheme: str = "http"
    command: str = ""
    delay: float = 15.0
    interval: float = 10.0
    timeout: float = 20.0
    consecutive_failures: int = 3
    grace_period: float = 10.0


@dataclass(frozen=True)
class TaskSpec:
    task_id: str
    argv: tuple[str, ...]  # what to execve: ("/bin/sh", "-c", value) for a shell command
    env: Mapping[str, str] = field(default_factory=dict)
    check: CheckSpec | None = None
    kill_grace: float = DEFAULT_KILL_GRACE


def read_task(task: Mapping[str, Any]) -> TaskSpec:
    task_id = str((task.get("task_id") or {}).get("value") or "")
    if not task_id:
        raise BadTaskInfo("the TaskInfo has no task_id")
    command = task.get("command") or _command_from_data(task.get("data"))
    argv = _argv(command)
    env = {str(v["name"]): str(v.get("value", "")) for v in (command.get("environment") or {}).get("variables", [])
           if isinstance(v, Mapping) and v.get("name")}
    grace = ((task.get("kill_policy") or {}).get("grace_period") or {}).get("nanoseconds")
    return TaskSpec(task_id=task_id, argv=argv, env=env, check=read_check(task.get("health_check")),
                    kill_grace=float(grace) / 1e9 if grace is not None else DEFAULT_KILL_GRACE)


def _command_from_data(data: Any) -> Mapping[str, Any]:
    if not data:
        raise BadTaskInfo("the TaskInfo carries no command (neither `command` nor a CommandInfo in `data`)")
    try:
        command = json.loads(base64.b64decode(str(data), validate=True))
    except (binascii.Error, ValueError) as error:
        raise BadTaskInfo(f"the TaskInfo's data is not base64 JSON of a CommandInfo: {error}") from None
    if not isinstance(command, Mapping):
        raise BadTaskInfo("the TaskInfo's data is not a CommandInfo object")
    return command


def _argv(command: Mapping[str, Any]) -> tuple[str, ...]:
    value = command.get("value")
    if command.get("shell", True):
        if not value:
            raise BadTaskInfo("a shell command needs a value")
        return ("/bin/sh", "-c", str(value))
    arguments = [str(a) for a in command.get("arguments") or []]
    if not value and not arguments:
        raise BadTaskInfo("the command has neither a value nor arguments")
    # Mesos: execve(value, arguments) with arguments[0] as argv[0]; Marathon sends value = args[0]
    return (str(value or arguments[0]), *arguments[1:])


def read_check(check: Mapping[str, Any] | None) -> CheckSpec | None:
    if not check:
        return None
    kind = str(check.get("type") or ("COMMAND" if check.get("command") else "HTTP")).upper()
    common = {"delay": float(check.get("delay_seconds", 15.0)), "interval": float(check.get("interval_seconds", 10.0)),
              "timeout": float(check.get("timeout_seconds", 20.0)),
              "consecutive_failures": int(check.get("consecutive_failures", 3)),
              "grace_period": float(check.get("grace_period_seconds", 10.0))}
    if kind == "HTTP":
        http = check.get("http") or {}
        return CheckSpec("HTTP", port=int(http.get("port") or 0), path=str(http.get("path") or "/"),
                         scheme=str(http.get("scheme") or "http"), **common)
    if kind == "TCP":
        return CheckSpec("TCP", port=int((check.get("tcp") or {}).get("port") or 0), **common)
    if kind == "COMMAND":
        value = (check.get("command") or {}).get("value")
        if not value:
            raise BadTaskInfo("a COMMAND health check needs a command value")
        return CheckSpec("COMMAND", command=str(value), **common)
    raise BadTaskInfo(f"unknown health check type {kind}")
