"""The Cluster page: the agents, with what Balalaika's tasks use on each and, when the Mesos master answers,
their totals and what all frameworks use. Pure.

Resource offers go to the leading scheduler only, so the api learns totals from the master the leader was
given (`/v2/info` marathon_config.master, when it is host:port) through its `/master/slaves`; without it
the page says totals are unknown rather than invent them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# states in which a task holds its resources on the agent
HOLDING = frozenset({"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"})


@dataclass(frozen=True)
class Resources:
    cpus: float
    mem: float
    disk: float


@dataclass
class Agent:
    id: str
    host: str
    tasks: int = 0
    cpus: float = 0.0
    mem: float = 0.0
    disk: float = 0.0
    apps: set[str] = field(default_factory=set)
    total: Resources | None = None  # from the master, when it answered
    used_by_all: Resources | None = None  # every framework's tasks, from the master


def _resources(flat: Mapping | None) -> Resources:
    flat = flat or {}
    return Resources(float(flat.get("cpus", 0)), float(flat.get("mem", 0)), float(flat.get("disk", 0)))


def with_master_agents(found: list[Agent], slaves: Mapping) -> list[Agent]:
    """`found` (agents holding our tasks) joined with the master's ``/master/slaves`` document: totals and
    every framework's use for each, and the agents without our tasks added, sorted by host."""
    by_id = {agent.id: agent for agent in found}
    for slave in slaves.get("slaves") or []:
        agent = by_id.get(slave.get("id")) or Agent(str(slave.get("id")), str(slave.get("hostname") or "?"))
        agent.total = _resources(slave.get("resources"))
        agent.used_by_all = _resources(slave.get("used_resources"))
        by_id[agent.id] = agent
    return sorted(by_id.values(), key=lambda agent: (agent.host, agent.id))


def master_url(master: object) -> str | None:
    """``http://host:port`` for a master given as host:port (or a URL); None for ``zk://`` or nothing."""
    if not isinstance(master, str) or not master or master.startswith("zk://"):
        return None
    return master.rstrip("/") if "://" in master else f"http://{master}"


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
