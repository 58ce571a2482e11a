"""The allocator: which framework is offered which agent's free resources (notes C4). Pure: no I/O, `now` is
passed in.

Per agent it tracks the total, the resources used by tasks and executors, and those held in outstanding offers;
what is left is offerable. A decline installs a filter per (framework, agent) that blocks only offers whose
resources are a subset of what was refused, so newly freed resources pass through.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mesoslocal.wire.resources import Resources

DEFAULT_REFUSE_SECONDS = 5.0
MAX_REFUSE_SECONDS = 365 * 24 * 3600.0


def refuse_seconds(filters: dict | None) -> float:
    """The filter duration of a DECLINE/ACCEPT: the proto default 5 s when absent or invalid, capped at a year."""
    if not filters or "refuse_seconds" not in filters:
        return DEFAULT_REFUSE_SECONDS
    try:
        value = float(filters["refuse_seconds"])
    except (TypeError, ValueError):
        return DEFAULT_REFUSE_SECONDS
    if value < 0 or value != value:
        return DEFAULT_REFUSE_SECONDS
    return min(value, MAX_REFUSE_SECONDS)


@dataclass
class _Agent:
    total: Resources
    used: Resources = field(default_factory=Resources)
    offered: Resources = field(default_factory=Resources)
    active: bool = True

    def available(self) -> Resources:
        return self.total - self.used - self.offered


@dataclass
class _Framework:
    active: bool = True
    suppressed: bool = False


@dataclass(frozen=True)
class _Filter:
    refused: Resources
    expires: float


class Allocator:
    def __init__(self) -> None:
        self._agents: dict[str, _Agent] = {}
        self._frameworks: dict[str, _Framework] = {}
        self._filters: dict[tuple[str, str], list[_Filter]] = {}
        self._turn = 0

    # -- agents ---------------------------------------------------------------------------------------------
    def add_agent(self, agent_id: str, total: Resources, used: Resources | None = None) -> None:
        self._agents[agent_id] = _Agent(total, used or Resources())

    def remove_agent(self, agent_id: str) -> None:
        self._agents.pop(agent_id, None)
        for key in [k for k in self._filters if k[1] == agent_id]:
            del self._filters[key]

    def has_agent(self, agent_id: str) -> bool:
        return agent_id in self._agents

    # -- frameworks -----------------------------------------------------------------------------------------
    def add_framework(self, framework_id: str) -> None:
        self._frameworks[framework_id] = _Framework()

    def remove_framework(self, framework_id: str) -> None:
        self._frameworks.pop(framework_id, None)
        for key in [k for k in self._filters if k[0] == framework_id]:
            del self._filters[key]

    def set_active(self, framework_id: str, active: bool) -> None:
        if framework_id in self._frameworks:
            self._frameworks[framework_id].active = active

    def suppress(self, framework_id: str) -> None:
        if framework_id in self._frameworks:
            self._frameworks[framework_id].suppressed = True

    def revive(self, framework_id: str) -> None:
        """Un-suppress and forget every filter of this framework."""
        if framework_id in self._frameworks:
            self._frameworks[framework_id].suppressed = False
        for key in [k for k in self._filters if k[0] == framework_id]:
            del self._filters[key]

    def is_suppressed(self, framework_id: str) -> bool:
        framework = self._frameworks.get(framework_id)
        return framework is not None and framework.suppressed

    # -- resources ------------------------------------------------------------------------------------------
    def use(self, agent_id: str, resources: Resources) -> None:
        """Resources now used by a task or executor (taken from the free pool or from an accepted offer)."""
        if agent_id in self._agents:
            self._agents[agent_id].used = self._agents[agent_id].used + resources

    def release(self, agent_id: str, resources: Resources) -> None:
        """A task or executor ended: its resources become free."""
        if agent_id in self._agents:
            self._agents[agent_id].used = self._agents[agent_id].used - resources

    def take_offer(self, agent_id: str, resources: Resources) -> None:
        """An offer was accepted or declined or rescinded: its resources are no longer held."""
        if agent_id in self._agents:
            self._agents[agent_id].offered = self._agents[agent_id].offered - resources

    def refuse(self, framework_id: str, agent_id: str, resources: Resources, seconds: float, now: float) -> None:
        """Install a filter so `resources` (or any subset) are not re-offered to the framework for `seconds`."""
        if seconds <= 0 or resources.is_empty():
            return
        self._filters.setdefault((framework_id, agent_id), []).append(_Filter(resources, now + seconds))

    # -- allocation -----------------------------------------------------------------------------------------
    def _filtered(self, framework_id: str, agent_id: str, candidate: Resources, now: float) -> bool:
        filters = self._filters.get((framework_id, agent_id))
        if not filters:
            return False
        live = [f for f in filters if f.expires > now]
        if live:
            self._filters[(framework_id, agent_id)] = live
        else:
            del self._filters[(framework_id, agent_id)]
        return any(f.refused.contains(candidate) for f in live)

    def next_filter_expiry(self) -> float | None:
        expiries = [f.expires for filters in self._filters.values() for f in filters]
        return min(expiries) if expiries else None

    def allocate(self, now: float) -> list[tuple[str, str, Resources]]:
        """Offer each agent's available resources to one eligible framework (rotating); marks them offered.

        Returns (framework_id, agent_id, resources) per offer to make.
        """
        eligible = [fid for fid, f in self._frameworks.items() if f.active and not f.suppressed]
        if not eligible:
            return []
        offers = []
        for agent_id, agent in self._agents.items():
            if not agent.active:
                continue
            available = agent.available()
            if available.is_empty():
                continue
            for i in range(len(eligible)):
                framework_id = eligible[(self._turn + i) % len(eligible)]
                if not self._filtered(framework_id, agent_id, available, now):
                    agent.offered = agent.offered + available
                    offers.append((framework_id, agent_id, available))
                    self._turn += 1
                    break
        return offers

    # -- views ----------------------------------------------------------------------------------------------
    def used(self, agent_id: str) -> Resources:
        return self._agents[agent_id].used if agent_id in self._agents else Resources()

    def offered(self, agent_id: str) -> Resources:
        return self._agents[agent_id].offered if agent_id in self._agents else Resources()
