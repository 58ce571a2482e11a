"""The v1 AgentInfo message, which the agent sends to executors and the master puts in its events, and what it is
made of: the default resources and the attributes spec of an agent."""

from __future__ import annotations

from mesoslocal.wire.resources import Resources

DEFAULT_RESOURCES = "cpus:4;mem:4096;disk:10000;ports:[31000-32000]"  # an agent's, unless told otherwise


def agent_info(agent_id: str, hostname: str, port: int, resources: Resources, attributes: list[dict]) -> dict:
    """AgentInfo JSON; `attributes` is omitted when empty, as Mesos omits empty repeated fields."""
    info = {"id": {"value": agent_id}, "hostname": hostname, "port": port, "resources": resources.to_v1()}
    if attributes:
        info["attributes"] = attributes
    return info


def parse_attributes(spec: str) -> list[dict]:
    """`rack:r1;zone:a;level:3` → v1 attributes (numbers become SCALAR, the rest TEXT)."""
    attributes = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, value = part.partition(":")
        try:
            attributes.append({"name": name, "type": "SCALAR", "scalar": {"value": float(value)}})
        except ValueError:
            attributes.append({"name": name, "type": "TEXT", "text": {"value": value}})
    return attributes
