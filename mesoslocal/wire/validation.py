"""Validation of scheduler calls (HTTP 400 texts, notes C1) and of tasks in ACCEPT (TASK_ERROR messages, C5).

Pure functions over the decoded JSON. `check_call_shape` plays the part of Mesos's JSON→protobuf conversion:
unknown keys are ignored, a missing *required* field or a wrong JSON type is an error.
"""

from __future__ import annotations

import re

from mesoslocal.wire.ids import is_update_uuid
from mesoslocal.wire.resources import Resources

# message name -> (required fields, {field: (message name, repeated)})
_SCHEMA: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, bool]]]] = {
    "Call": ((), {"framework_id": ("ID", False), "subscribe": ("Subscribe", False), "accept": ("Accept", False),
                  "decline": ("Decline", False), "kill": ("Kill", False), "shutdown": ("Shutdown", False),
                  "acknowledge": ("Acknowledge", False), "reconcile": ("Reconcile", False),
                  "message": ("Message", False)}),
    "ID": (("value",), {}),
    "Subscribe": (("framework_info",), {"framework_info": ("FrameworkInfo", False)}),
    "FrameworkInfo": (("user", "name"), {"id": ("ID", False)}),
    "Accept": ((), {"offer_ids": ("ID", True), "operations": ("Operation", True)}),
    "Operation": ((), {"launch": ("Launch", False)}),
    "Launch": ((), {"task_infos": ("TaskInfo", True)}),
    "TaskInfo": (("name", "task_id", "agent_id"),
                 {"task_id": ("ID", False), "agent_id": ("ID", False), "resources": ("Resource", True),
                  "executor": ("ExecutorInfo", False), "command": ("CommandInfo", False),
                  "container": ("ContainerInfo", False), "health_check": ("HealthCheck", False),
                  "kill_policy": ("KillPolicy", False), "labels": ("Labels", False),
                  "discovery": ("DiscoveryInfo", False)}),
    "Resource": (("name", "type"), {"scalar": ("Scalar", False), "ranges": ("Ranges", False)}),
    "Scalar": (("value",), {}),
    "Ranges": ((), {"range": ("Range", True)}),
    "Range": (("begin", "end"), {}),
    "ExecutorInfo": (("executor_id",), {"executor_id": ("ID", False), "framework_id": ("ID", False),
                                        "command": ("CommandInfo", False), "resources": ("Resource", True),
                                        "container": ("ContainerInfo", False)}),
    "CommandInfo": ((), {"environment": ("Environment", False), "uris": ("URI", True)}),
    "Environment": ((), {"variables": ("Variable", True)}),
    "Variable": (("name",), {}),
    "URI": (("value",), {}),
    "ContainerInfo": (("type",), {"docker": ("DockerInfo", False), "volumes": ("Volume", True)}),
    "DockerInfo": (("image",), {"port_mappings": ("PortMapping", True), "parameters": ("Parameter", True)}),
    "PortMapping": (("host_port", "container_port"), {}),
    "Parameter": (("key", "value"), {}),
    "Volume": (("container_path", "mode"), {}),
    "HealthCheck": ((), {"http": ("Port", False), "tcp": ("Port", False), "command": ("CommandInfo", False)}),
    "Port": (("port",), {}),
    "KillPolicy": ((), {"grace_period": ("Duration", False)}),
    "Duration": (("nanoseconds",), {}),
    "Labels": ((), {"labels": ("Label", True)}),
    "Label": (("key",), {}),
    "DiscoveryInfo": (("visibility",), {}),
    "Decline": ((), {"offer_ids": ("ID", True)}),
    "Kill": (("task_id",), {"task_id": ("ID", False), "agent_id": ("ID", False)}),
    "Shutdown": (("executor_id", "agent_id"), {"executor_id": ("ID", False), "agent_id": ("ID", False)}),
    "Acknowledge": (("agent_id", "task_id", "uuid"), {"agent_id": ("ID", False), "task_id": ("ID", False)}),
    "Reconcile": ((), {"tasks": ("ReconcileTask", True)}),
    "ReconcileTask": (("task_id",), {"task_id": ("ID", False), "agent_id": ("ID", False)}),
    "Message": (("agent_id", "executor_id", "data"), {"agent_id": ("ID", False), "executor_id": ("ID", False)}),
}

CALL_TYPES = {"SUBSCRIBE", "TEARDOWN", "ACCEPT", "DECLINE", "ACCEPT_INVERSE_OFFERS", "DECLINE_INVERSE_OFFERS",
              "REVIVE", "KILL", "SHUTDOWN", "ACKNOWLEDGE", "ACKNOWLEDGE_OPERATION_STATUS", "RECONCILE",
              "RECONCILE_OPERATIONS", "MESSAGE", "REQUEST", "SUPPRESS", "UPDATE_FRAMEWORK", "UNKNOWN"}
_BODY_OF = {"SUBSCRIBE": "subscribe", "ACCEPT": "accept", "DECLINE": "decline", "KILL": "kill",
            "SHUTDOWN": "shutdown", "ACKNOWLEDGE": "acknowledge", "RECONCILE": "reconcile", "MESSAGE": "message",
            "REQUEST": "request", "ACCEPT_INVERSE_OFFERS": "accept_inverse_offers",
            "DECLINE_INVERSE_OFFERS": "decline_inverse_offers", "UPDATE_FRAMEWORK": "update_framework"}


def _missing(message: object, kind: str, path: str, errors: list[str]) -> None:
    if message is None:
        return
    if not isinstance(message, dict):
        raise ValueError(f"Expecting a JSON object for '{path or kind}'")
    required, children = _SCHEMA[kind]
    for name in required:
        if message.get(name) is None:
            errors.append(f"{path}{name}")
    for name, (child_kind, repeated) in children.items():
        value = message.get(name)
        if value is None:
            continue
        if repeated:
            if not isinstance(value, list):
                raise ValueError(f"Expecting a JSON array for '{path}{name}'")
            for i, item in enumerate(value):
                _missing(item, child_kind, f"{path}{name}[{i}].", errors)
        else:
            _missing(value, child_kind, f"{path}{name}.", errors)


def check_call_shape(call: object) -> str | None:
    """The error of converting JSON into a Call protobuf (without the "Failed to convert..." prefix), or None."""
    if not isinstance(call, dict):
        return "Expecting a JSON object"
    errors: list[str] = []
    try:
        _missing(call, "Call", "", errors)
    except ValueError as error:
        return str(error)
    if errors:
        return "Missing required fields: " + ", ".join(errors)
    return None


def check_call(call: dict) -> str | None:
    """Mesos's semantic call validation (the text after "Failed to validate scheduler::Call: "), or None."""
    kind = call.get("type")
    if kind not in CALL_TYPES:  # an unknown optional enum value is dropped, so it reads as absent
        return "Expecting 'type' to be present"
    body = _BODY_OF.get(kind)
    if body and not isinstance(call.get(body), dict):
        return f"Expecting '{body}' to be present"
    if kind == "SUBSCRIBE":
        info_id = call["subscribe"]["framework_info"].get("id")
        if "framework_id" in call and call["framework_id"] != info_id:
            return "'framework_id' differs from 'subscribe.framework_info.id'"
        return None
    if "framework_id" not in call:
        return "Expecting 'framework_id' to be present"
    if kind == "ACKNOWLEDGE" and not is_update_uuid(call["acknowledge"]["uuid"]):
        return "Not a valid UUID"
    return None


# -- tasks ------------------------------------------------------------------------------------------------------
_BAD_ID = re.compile(r"[/\\\x00-\x1f\x7f]")


def check_task_id(task_id: str) -> str | None:
    if not task_id:
        return "Task ID is invalid: ID must not be empty"
    if len(task_id) > 255:
        return "Task ID is invalid: ID must not be greater than 255 characters"
    if task_id in (".", ".."):
        return "Task ID is invalid: '.' and '..' are disallowed"
    if _BAD_ID.search(task_id):
        return "Task ID is invalid: ID must only contain printable characters and not contain '/' or '\\'"
    return None


def _check_health_check(check: dict) -> str | None:
    kind = check.get("type") or ("HTTP" if "http" in check else "COMMAND")
    if kind not in ("COMMAND", "HTTP", "TCP"):
        return f"Task's health check is invalid: '{kind}' is not a supported health check type"
    field = kind.lower()
    if field not in check:
        return f"Task's health check is invalid: Expecting '{field}' to be set for {kind} health check"
    for name in ("delay_seconds", "interval_seconds", "timeout_seconds", "grace_period_seconds"):
        if float(check.get(name, 0)) < 0:
            return f"Task's health check is invalid: Expecting '{name}' to be non-negative"
    return None


def check_task_static(task: dict) -> str | None:
    """Checks that depend only on the TaskInfo itself (C5), in Mesos's order."""
    error = check_task_id(task["task_id"]["value"])
    if error:
        return error
    grace = task.get("kill_policy", {}).get("grace_period")
    if grace is not None and int(grace.get("nanoseconds", 0)) < 0:
        return "Task's 'kill_policy.grace_period' must be non-negative"
    if "health_check" in task:
        error = _check_health_check(task["health_check"])
        if error:
            return error
    error = _check_resources(task)
    if error:
        return error
    container = task.get("container")
    if container and container.get("type") == "DOCKER" and "docker" not in container:
        return "Task's ContainerInfo is invalid: DockerInfo 'docker' is not set for DOCKER typed ContainerInfo"
    if ("command" in task) == ("executor" in task):
        return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
    executor = task.get("executor")
    return _check_executor(executor) if executor else None


def _check_resources(task: dict) -> str | None:
    """The task must use some resources, and its and its executor's must parse."""
    if not task.get("resources"):
        return "Task uses no resources"
    try:
        Resources.from_v1(task["resources"])
        Resources.from_v1(task.get("executor", {}).get("resources", []))
    except (ValueError, KeyError, TypeError) as error:
        return f"Task uses invalid resources: {error}"
    return None


def _check_executor(executor: dict) -> str | None:
    """A task's own ExecutorInfo: CUSTOM, with a command and a valid id."""
    if executor.get("type", "CUSTOM") != "CUSTOM":
        return "Executor is invalid: 'ExecutorInfo.type' must be 'CUSTOM'"
    if "command" not in executor:
        return "Executor is invalid: Expecting 'ExecutorInfo.command' to be set"
    error = check_task_id(executor["executor_id"]["value"])
    if error:
        return error.replace("Task ID", "Executor ID")
    return None
