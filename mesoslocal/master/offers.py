"""Offers: the glue between the allocator and the schedulers (batched allocation, offer JSON, DECLINE,
REVIVE, SUPPRESS, and taking offers back when they are used, rescinded or dropped).

The allocator decides what to offer to whom; this module only records the offers and sends them.
"""

from __future__ import annotations

import asyncio
import logging
import time

from mesoslocal.master.allocator import refuse_seconds
from mesoslocal.master.records import AgentRecord, Framework, Offer

log = logging.getLogger("mesoslocal.master")  # one logger name for the whole master, as before the split


class OffersMixin:
    """Outstanding offers of `Master` and the calls that create or return them."""

    def schedule_allocation(self) -> None:
        if not self._allocation_pending:
            self._allocation_pending = True
            asyncio.get_running_loop().call_soon(self.allocate)

    def allocate(self) -> None:
        self._allocation_pending = False
        batches: dict[str, list[dict]] = {}
        for framework_id, agent_id, resources in self.allocator.allocate(time.monotonic()):
            framework, agent = self.frameworks[framework_id], self.agents[agent_id]
            offer = Offer(self.ids.offer(), framework_id, agent_id, resources)
            self.offers[offer.id] = offer
            framework.offers[offer.id] = offer
            batches.setdefault(framework_id, []).append(self._offer_json(offer, agent, framework))
        for framework_id, offers in batches.items():
            log.debug("offering %d offers to framework %s", len(offers), framework_id)
            self.frameworks[framework_id].send({"type": "OFFERS", "offers": {"offers": offers}})

    def _offer_json(self, offer: Offer, agent: AgentRecord, framework: Framework) -> dict:
        body = {"id": {"value": offer.id}, "framework_id": {"value": offer.framework_id},
                "agent_id": {"value": agent.id}, "hostname": agent.hostname,
                "url": {"scheme": "http", "address": {"hostname": agent.hostname, "ip": agent.ip,
                                                      "port": agent.port}, "path": "/slave(1)"},
                "resources": offer.resources.to_v1()}
        if agent.attributes:
            body["attributes"] = agent.attributes
        executors = framework.executors.get(agent.id)
        if executors:
            body["executor_ids"] = [{"value": e} for e in executors]
        return body

    def _remove_offer(self, offer: Offer) -> None:
        self.offers.pop(offer.id, None)
        framework = self.frameworks.get(offer.framework_id)
        if framework:
            framework.offers.pop(offer.id, None)
        self.allocator.take_offer(offer.agent_id, offer.resources)

    def _discard_offers(self, framework: Framework, *, rescind: bool, agent_id: str | None = None) -> None:
        for offer in list(framework.offers.values()):
            if agent_id is None or offer.agent_id == agent_id:
                self._remove_offer(offer)
                if rescind:
                    framework.send({"type": "RESCIND", "rescind": {"offer_id": {"value": offer.id}}})

    def decline(self, framework: Framework, body: dict) -> None:
        seconds = refuse_seconds(body.get("filters"))
        for offer_id in body.get("offer_ids", []):
            offer = framework.offers.get(offer_id["value"])
            if offer is None:
                continue
            self._remove_offer(offer)
            self.allocator.refuse(framework.id, offer.agent_id, offer.resources, seconds, time.monotonic())
        self.schedule_allocation()

    def revive(self, framework: Framework) -> None:
        self.allocator.revive(framework.id)
        self.schedule_allocation()

    def suppress(self, framework: Framework) -> None:
        self.allocator.suppress(framework.id)
