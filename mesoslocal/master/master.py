"""The master: frameworks, agents, offers and tasks, all owned by one asyncio loop (no locks).

Scheduler calls come in from `http_scheduler`; agents talk to the master only through the narrow messages of
`AgentPort` (master → agent) and the `agent_*` / `status_update` / `executor_*` methods here (agent → master),
so an agent could live in another process. Behaviour follows notes sections C and G.

`Master` is composed of one mixin per concern, each in its own module: master_frameworks.py (subscribe,
failover, teardown), master_offers.py (allocation and offers), master_accept.py (the ACCEPT pipeline),
master_calls.py (kill, reconcile, acknowledge, message, shutdown), master_agents.py (agent → master
messages and status updates), master_liveness.py (agent loss); master_records.py holds the records they
share. This module owns the state, the timers and the master's identity.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections import deque

from mesoslocal.master.accept import AcceptMixin
from mesoslocal.master.agents import AgentsMixin
from mesoslocal.master.allocator import Allocator
from mesoslocal.master.calls import CallsMixin
from mesoslocal.master.frameworks import FrameworksMixin
from mesoslocal.master.liveness import LivenessMixin
from mesoslocal.master.offers import OffersMixin
from mesoslocal.master.records import COMPLETED_KEEP, AgentPort, AgentRecord, Framework, Offer, Subscription, Task
from mesoslocal.wire.ids import IdGenerator, new_master_id
from mesoslocal.wire.state_json import VERSION

log = logging.getLogger(__name__)


class Master(FrameworksMixin, OffersMixin, AcceptMixin, CallsMixin, AgentsMixin, LivenessMixin):
    def __init__(self, *, ip: str = "127.0.0.1", port: int = 5050, hostname: str | None = None,
                 allocation_interval: float = 1.0, heartbeat_interval: float = 15.0,
                 agent_timeout: float = 75.0, agent_ping_interval: float = 1.0, flags: dict | None = None) -> None:
        self.id = new_master_id()
        self.ids = IdGenerator(self.id)
        self.ip, self.port, self.hostname = ip, port, hostname or ip
        self.allocation_interval = allocation_interval
        self.heartbeat_interval = heartbeat_interval
        self.agent_timeout = agent_timeout
        self.agent_ping_interval = agent_ping_interval
        self.flags = flags or {}
        self.start_time = time.time()
        self.allocator = Allocator()
        self.frameworks: dict[str, Framework] = {}
        self.completed_frameworks: deque[Framework] = deque(maxlen=50)
        self.removed_framework_ids: set[str] = set()
        self.agents: dict[str, AgentRecord] = {}
        self.offers: dict[str, Offer] = {}
        self._allocation_pending = False
        self._timers: list[asyncio.Task] = []

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._timers = [asyncio.get_running_loop().create_task(self._periodic(self.allocation_interval,
                                                                              self.allocate)),
                        asyncio.get_running_loop().create_task(self._periodic(self.agent_ping_interval,
                                                                              self._check_agents))]
        log.info("master %s started on %s:%d", self.id, self.ip, self.port)

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for framework in self.frameworks.values():
            if framework.failover_handle:
                framework.failover_handle.cancel()
            if framework.subscription:
                framework.subscription.close()

    async def _periodic(self, interval: float, action) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                action()
            except Exception:  # keep the loop alive; a bug here must not stop allocation
                log.exception("periodic %s failed", getattr(action, "__name__", action))

    def master_info(self) -> dict:
        packed = struct.unpack("<I", socket.inet_aton(self.ip))[0]
        return {"id": self.id, "ip": packed, "port": self.port, "pid": f"master@{self.ip}:{self.port}",
                "hostname": self.hostname, "version": VERSION,
                "address": {"hostname": self.hostname, "ip": self.ip, "port": self.port},
                "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "AGENT_DRAINING"}, {"type": "QUOTA_V2"}]}


__all__ = ["COMPLETED_KEEP", "AgentPort", "AgentRecord", "Framework", "Master", "Offer", "Subscription",
           "Task"]
