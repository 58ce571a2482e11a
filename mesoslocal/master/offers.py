"""The offer book: the outstanding offers and when the next allocation runs (notes C4).

The allocator decides what to offer to whom and accounts for the resources; the book turns its decisions into
offers, sends them, and takes them back when they are accepted, declined, rescinded or dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.allocator import Allocator, refuse_seconds
from mesoslocal.master.frameworks import FrameworkRegistry
from mesoslocal.master.records import AgentRecord, Framework, Offer
from mesoslocal.wire.ids import IdGenerator

log = logging.getLogger(__name__)


class OfferBook:
    """Owns the outstanding offers (each held by one framework until it is taken back) and whether an allocation
    is already scheduled on the loop. Any component may ask for an allocation; only the book makes offers."""

    def __init__(self, allocator: Allocator, frameworks: FrameworkRegistry, agents: AgentRegistry,
                 ids: IdGenerator) -> None:
        self._allocator, self._frameworks, self._agents, self._ids = allocator, frameworks, agents, ids
        self._offers: dict[str, Offer] = {}
        self._allocation_pending = False

    # -- allocation ---------------------------------------------------------------------------------------------
    def schedule_allocation(self) -> None:
        """Allocate once more soon (on the loop, after the current message), however often this is called."""
        if not self._allocation_pending:
            self._allocation_pending = True
            asyncio.get_running_loop().call_soon(self.allocate)

    def allocate(self) -> None:
        self._allocation_pending = False
        batches: dict[str, list[dict]] = {}
        for framework_id, agent_id, resources in self._allocator.allocate(time.monotonic()):
            framework, agent = self._frameworks[framework_id], self._agents[agent_id]
            offer = Offer(self._ids.offer(), framework_id, agent_id, resources)
            self._offers[offer.id] = offer
            batches.setdefault(framework_id, []).append(_offer_json(offer, agent, framework))
        for framework_id, offers in batches.items():
            log.debug("offering %d offers to framework %s", len(offers), framework_id)
            self._frameworks[framework_id].send({"type": "OFFERS", "offers": {"offers": offers}})

    # -- the outstanding offers -----------------------------------------------------------------------------------
    def get(self, offer_id: str) -> Offer | None:
        return self._offers.get(offer_id)

    def held_by(self, framework_id: str) -> list[Offer]:
        return [o for o in self._offers.values() if o.framework_id == framework_id]

    def take(self, offer: Offer) -> None:
        """The offer is used, declined or dropped: no longer outstanding, its resources no longer held."""
        if self._offers.pop(offer.id, None) is not None:
            self._allocator.take_offer(offer.agent_id, offer.resources)

    def withdraw(self, framework: Framework, *, rescind: bool, agent_id: str | None = None) -> None:
        """Take back the framework's offers (on `agent_id` only, if given), telling it with RESCIND if `rescind`."""
        for offer in self.held_by(framework.id):
            if agent_id is None or offer.agent_id == agent_id:
                self.take(offer)
                if rescind:
                    framework.send({"type": "RESCIND", "rescind": {"offer_id": {"value": offer.id}}})

    # -- scheduler calls ------------------------------------------------------------------------------------------
    def decline(self, framework: Framework, body: dict) -> None:
        seconds = refuse_seconds(body.get("filters"))
        for offer_id in body.get("offer_ids", []):
            offer = self._offers.get(offer_id["value"])
            if offer is None or offer.framework_id != framework.id:
                continue
            self.take(offer)
            self._allocator.refuse(framework.id, offer.agent_id, offer.resources, seconds, time.monotonic())
        self.schedule_allocation()

    def revive(self, framework: Framework) -> None:
        self._allocator.revive(framework.id)
        self.schedule_allocation()

    def suppress(self, framework: Framework) -> None:
        self._allocator.suppress(framework.id)


def _offer_json(offer: Offer, agent: AgentRecord, framework: Framework) -> dict:
    body = {"id": {"value": offer.id}, "framework_id": {"value": offer.framework_id},
            "agent_id": {"value": agent.id}, "hostname": agent.hostname,
            "url": {"scheme": "http", "address": {"hostname": agent.hostname, "ip": agent.ip, "port": agent.port},
                    "path": "/slave(1)"},
            "resources": offer.resources.to_v1()}
    if agent.attributes:
        body["attributes"] = agent.attributes
    executors = framework.executors.get(agent.id)
    if executors:
        body["executor_ids"] = [{"value": e} for e in executors]
    return body
