"""The v1 AgentInfo message, which the agent sends to executors and the master puts in its events."""

from __future__ import annotations

from mesoslocal.wire.resources import Resources


def agent_info(agent_id: str, hostname: str, port: int, resources: Resources, attributes: list[dict]) -> dict:
    """AgentInfo JSON; `attributes` is omitted when empty, as Mesos omits empty repeated fields."""
    info = {"id": {"value": agent_id}, "hostname": hostname, "port": port, "resources": resources.to_v1()}
    if attributes:
        info["attributes"] = attributes
    return info
