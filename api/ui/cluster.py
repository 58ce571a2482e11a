"""The Cluster page: agents seen through the tasks placed on them. Pure.

The api knows no agent totals: resource offers go to the leading scheduler only, and neither /v2/info nor
the ZooKeeper mirror records them. What it can tell is what the running tasks use, per agent, from each
task's app; the page says that totals are unknown rather than invent them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# states in which a task holds its resources on the agent
HOLDING = frozenset({"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"})


@dataclass
class Agent:
    id: str
    host: str
    tasks: int = 0
    cpus: float = 0.0
    mem: float = 0.0
    disk: float = 0.0
    apps: set[str] = field(default_factory=set)


def agents(tasks: Iterable[Mapping], apps: Mapping[str, Mapping]) -> list[Agent]:
    """Agents holding tasks (by agent id, else host), with what their tasks use, sorted by host."""
    found: dict[str, Agent] = {}
    for task in tasks:
        if task.get("state") not in HOLDING:
            continue
        key = task.get("slaveId") or task.get("agentId") or task.get("host") or "?"
        agent = found.setdefault(key, Agent(key, task.get("host") or "?"))
        app = apps.get(task.get("appId", ""), {})
        agent.tasks += 1
        agent.cpus += float(app.get("cpus", 0))
        agent.mem += float(app.get("mem", 0))
        agent.disk += float(app.get("disk", 0))
        agent.apps.add(task.get("appId", "?"))
    return sorted(found.values(), key=lambda agent: (agent.host, agent.id))


@dataclass(frozen=True)
class RoutedService:
    app_id: str
    port: int
    vhosts: tuple[str, ...]
    servers: int


def routed_services(document: Mapping) -> list[RoutedService]:
    """The edge's ``/_balalaika_services`` JSON as rows."""
    return sorted((RoutedService(str(item.get("appId")), int(item.get("port", 0)), tuple(item.get("vhosts") or ()),
                                 len(item.get("servers") or ())) for item in document.get("services") or []),
                  key=lambda service: (service.app_id, service.port))
