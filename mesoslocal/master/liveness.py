"""Agent liveness: the master pings every active agent and notices one that has stayed silent for too long (an agent
in another process answers by its heartbeats, remote_agents.py)."""

from __future__ import annotations

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.records import AgentRecord


class Liveness:
    """Owns when each agent last answered a ping. What becomes of a silent agent is the registrar's business."""

    def __init__(self, agents: AgentRegistry, *, timeout: float) -> None:
        self._agents, self.timeout = agents, timeout
        self._last_pong: dict[str, float] = {}

    def registered(self, agent_id: str, now: float) -> None:
        """An agent (re-)registered: that counts as an answer."""
        self._last_pong[agent_id] = now

    def silent(self, now: float) -> list[AgentRecord]:
        """Ping every active agent; returns those that have not answered for `timeout` seconds."""
        silent = []
        for agent in self._agents.active():
            if agent.port_handle.ping():
                self._last_pong[agent.id] = now
            elif now - self._last_pong.get(agent.id, now) >= self.timeout:
                silent.append(agent)
        return silent
