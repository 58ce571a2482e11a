"""The master: its identity and timers, and the components that own its state, composed here (notes C, G).

Everything runs on one asyncio loop, so no component needs a lock. The master has two faces: http_scheduler hands
each scheduler call to the component that handles it, and an agent's messages arrive at the registrar and the
forwarder, through its `cluster.Link` or over HTTP from another process (remote_agents.py); the master answers
through the agent's `AgentPort`.

Who owns which state, and who may change it:

* `Allocator` (allocator.py): per agent its total, used and offered resources; per framework whether it is active
  or suppressed; the refuse filters. Changed through its methods by the components below.
* `FrameworkRegistry` (frameworks.py): the active frameworks, the last removed ones, every removed id. Only
  `FrameworkLifecycle` adds or retires a framework.
* `AgentRegistry` (agents.py): agent records by id and their state, kills waiting for an agent to return. Only
  `AgentRegistrar` adds agents or changes their state; `AgentCalls` defers kills.
* `OfferBook` (offers.py): the outstanding offers, whether an allocation is scheduled. Only itself.
* `FrameworkLifecycle` (lifecycle.py): the failover timers; a framework's subscription, info and times. Only itself.
* `Liveness` (liveness.py): when each agent last answered a ping. Only itself.

Without state of their own: `AgentRegistrar` (registrar.py: agents coming and going, and what becomes of their
tasks), `StatusUpdateForwarder` (forwarder.py: agent updates into task records and on to the scheduler, acks back),
`Launcher` (accept.py: ACCEPT turns offers into tasks), `AgentCalls` (calls.py: KILL, RECONCILE, MESSAGE, SHUTDOWN).
A framework's tasks and executors (records.py) are written by those that launch, recover, update, lose, complete
and remove tasks: the launcher, the registrar, the forwarder and the lifecycle.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections.abc import Callable

from mesoslocal.master.accept import Launcher
from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.allocator import Allocator
from mesoslocal.master.calls import AgentCalls
from mesoslocal.master.forwarder import StatusUpdateForwarder
from mesoslocal.master.frameworks import FrameworkRegistry
from mesoslocal.master.lifecycle import FrameworkLifecycle
from mesoslocal.master.liveness import Liveness
from mesoslocal.master.offers import OfferBook
from mesoslocal.master.registrar import AgentRegistrar
from mesoslocal.wire.ids import IdGenerator, new_master_id
from mesoslocal.wire.state_json import VERSION

log = logging.getLogger(__name__)


class Master:
    def __init__(self, *, ip: str = "127.0.0.1", port: int = 5050, hostname: str | None = None,
                 allocation_interval: float = 1.0, heartbeat_interval: float = 15.0,
                 agent_timeout: float = 75.0, agent_ping_interval: float = 1.0, flags: dict | None = None) -> None:
        self.id = new_master_id()
        self.ip, self.port, self.hostname = ip, port, hostname or ip
        self.allocation_interval = allocation_interval
        self.heartbeat_interval = heartbeat_interval
        self.agent_ping_interval = agent_ping_interval
        self.flags = flags or {}
        self.start_time = time.time()
        ids = IdGenerator(self.id)
        self.allocator = Allocator()
        self.frameworks = FrameworkRegistry()
        self.agents = AgentRegistry()
        self.offers = OfferBook(self.allocator, self.frameworks, self.agents, ids)
        self.lifecycle = FrameworkLifecycle(self.frameworks, self.agents, self.offers, self.allocator, ids,
                                            master_info=self.master_info, heartbeat_interval=heartbeat_interval)
        self.liveness = Liveness(self.agents, timeout=agent_timeout)
        self.registrar = AgentRegistrar(self.agents, self.frameworks, self.lifecycle, self.offers, self.allocator,
                                        self.liveness, ids)
        self.forwarder = StatusUpdateForwarder(self.frameworks, self.agents, self.offers, self.allocator)
        self.launcher = Launcher(self.agents, self.offers, self.allocator)
        self.calls = AgentCalls(self.agents)
        self._timers: list[asyncio.Task] = []

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._timers = [loop.create_task(self._periodic(self.allocation_interval, self.offers.allocate)),
                        loop.create_task(self._periodic(self.agent_ping_interval, self._check_agents))]
        log.info("master %s started on %s:%d", self.id, self.ip, self.port)

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self.lifecycle.close()

    async def _periodic(self, interval: float, action: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                action()
            except Exception:  # keep the loop alive; a bug here must not stop allocation
                log.exception("periodic %s failed", getattr(action, "__name__", action))

    def _check_agents(self) -> None:
        for agent in self.liveness.silent(time.monotonic()):
            self.registrar.unreachable(agent)

    def master_info(self) -> dict:
        packed = struct.unpack("<I", socket.inet_aton(self.ip))[0]
        return {"id": self.id, "ip": packed, "port": self.port, "pid": f"master@{self.ip}:{self.port}",
                "hostname": self.hostname, "version": VERSION,
                "address": {"hostname": self.hostname, "ip": self.ip, "port": self.port},
                "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "AGENT_DRAINING"}, {"type": "QUOTA_V2"}]}
