"""What the dashboard asks balalaika-lb (its routed services, from its admin pages on the stats port) and the
Mesos master (its agents' totals)."""

from __future__ import annotations

from dataclasses import dataclass

from api.ui.cluster import Agent, RoutedService, master_url, routed_services, with_master_agents
from api.ui.remote import get_json


@dataclass(frozen=True)
class EdgeView:
    url: str | None  # None: no admin URL configured
    services: list[RoutedService]
    error: str | None = None


def read_edge(url: str | None) -> EdgeView:
    """The routed services of the edge at ``url`` (its stats/admin port), or why they are unknown."""
    if not url:
        return EdgeView(None, [])
    document, error = get_json(url.rstrip("/") + "/_balalaika_services")
    return EdgeView(url, routed_services(document) if isinstance(document, dict) else [], error)


@dataclass(frozen=True)
class MasterView:
    url: str | None  # None: the leader's master is not host:port (zk://) or unknown
    agents: list[Agent]
    error: str | None = None


def read_master(master: object, found: list[Agent]) -> MasterView:
    """`found` completed with the agents' totals from the Mesos master `master` (marathon_config.master)."""
    url = master_url(master)
    if url is None:
        return MasterView(None, found)
    document, error = get_json(url + "/master/slaves")
    if not isinstance(document, dict):
        return MasterView(url, found, error or "not a JSON object")
    return MasterView(url, with_master_agents(found, document))
