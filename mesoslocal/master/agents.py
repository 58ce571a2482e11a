"""The agent registry: every agent the master has met, by id, and what state it is in."""

from __future__ import annotations

from collections.abc import Iterator

from mesoslocal.master.records import AgentRecord


class AgentRegistry:
    """Agents by id, each active, unreachable or removed, with the kills waiting for an unreachable one to return.

    Records are added and change state only here, on behalf of the registrar (registrar.py); a kill is deferred on
    behalf of KILL (calls.py).
    """

    def __init__(self) -> None:
        self._agents: dict[str, AgentRecord] = {}

    def get(self, agent_id: str | None) -> AgentRecord | None:
        return self._agents.get(agent_id) if agent_id else None

    def __getitem__(self, agent_id: str) -> AgentRecord:
        return self._agents[agent_id]

    def __iter__(self) -> Iterator[AgentRecord]:
        return iter(list(self._agents.values()))

    def active(self) -> list[AgentRecord]:
        return [a for a in self._agents.values() if a.active]

    def at_address(self, ip: str, port: int, *, other_than: str) -> list[AgentRecord]:
        """Agents not yet removed that were registered from `ip:port` under another id."""
        return [a for a in self._agents.values()
                if a.id != other_than and a.ip == ip and a.port == port and a.state != "removed"]

    def add(self, record: AgentRecord) -> AgentRecord | None:
        """Register `record`, replacing any earlier record of that id; returns the earlier one."""
        previous = self._agents.get(record.id)
        self._agents[record.id] = record
        return previous

    def mark_unreachable(self, agent: AgentRecord) -> None:
        agent.state = "unreachable"

    def mark_removed(self, agent: AgentRecord) -> None:
        agent.state = "removed"

    def defer_kill(self, agent: AgentRecord, framework_id: str, task_id: str) -> None:
        """Kill the task when the agent re-registers (it cannot be told now)."""
        agent.pending_kills.append((framework_id, task_id))
