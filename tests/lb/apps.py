"""Marathon-shaped apps and tasks for the lb's tests (what /v2/apps?embed=apps.tasks returns)."""

from __future__ import annotations

from typing import Any


def task(task_id: str, port: int, *, state: str = "TASK_RUNNING", host: str = "127.0.0.1",
         alive: bool | None = None, ports: list[int] | None = None) -> dict:
    found: dict[str, Any] = {"id": task_id, "host": host, "ports": ports or [port], "state": state,
                             "ipAddresses": [{"ipAddress": "198.18.7.9", "protocol": "IPv4"}]}
    if alive is not None:
        found["healthCheckResults"] = [{"alive": alive}]
    return found


def app(app_id: str, service_port: int, *tasks: dict, group: str | None = "external", **labels: str) -> dict:
    all_labels = {"HAPROXY_GROUP": group} if group else {}
    all_labels.update({f"HAPROXY_0_{name.upper()}": value for name, value in labels.items()})
    return {"id": app_id, "labels": all_labels, "portDefinitions": [{"port": service_port}], "tasks": list(tasks)}
