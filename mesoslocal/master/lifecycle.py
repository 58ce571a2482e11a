"""The framework lifecycle (notes C9): SUBSCRIBE (first registration and failover), a scheduler stream ending, the
failover timeout, TEARDOWN, and frameworks recovered from re-registering agents after a master failover."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.allocator import Allocator
from mesoslocal.master.frameworks import FrameworkRegistry
from mesoslocal.master.offers import OfferBook
from mesoslocal.master.records import Framework, Subscription
from mesoslocal.wire.ids import IdGenerator
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.task_status import is_terminal

log = logging.getLogger(__name__)


class FrameworkLifecycle:
    """Adds frameworks to the registry and retires them; owns the failover timer of every disconnected framework.
    A framework's subscription, info and registration times change only here."""

    def __init__(self, frameworks: FrameworkRegistry, agents: AgentRegistry, offers: OfferBook, allocator: Allocator,
                 ids: IdGenerator, *, master_info: Callable[[], dict], heartbeat_interval: float) -> None:
        self._frameworks, self._agents, self._offers, self._allocator = frameworks, agents, offers, allocator
        self._ids, self._master_info, self._heartbeat_interval = ids, master_info, heartbeat_interval
        self._failover_timers: dict[str, asyncio.TimerHandle] = {}

    def subscribe(self, call: dict, subscription: Subscription) -> None:
        info = dict(call["subscribe"]["framework_info"])
        framework_id = info.get("id", {}).get("value")
        if self._frameworks.is_removed(framework_id):
            log.info("framework %s refused: it has been removed", framework_id)
            subscription.send({"type": "ERROR", "error": {"message": "Framework has been removed"}})
            subscription.close()
            return
        framework = self._frameworks.get(framework_id) if framework_id else None
        if framework is None:
            framework_id = framework_id or self._ids.framework()
            info["id"] = {"value": framework_id}
            framework = Framework(framework_id, info)
            self._frameworks.add(framework)
            self._allocator.add_framework(framework_id)
            log.info("framework %s (%s) registered", framework_id, info.get("name"))
        else:
            self._resubscribe(framework, info)
        framework.subscription = subscription
        self._allocator.set_active(framework_id, True)
        subscription.send({"type": "SUBSCRIBED", "subscribed": {
            "framework_id": {"value": framework_id}, "heartbeat_interval_seconds": self._heartbeat_interval,
            "master_info": self._master_info()}})
        subscription.send({"type": "HEARTBEAT"})
        for agent in self._agents.active():
            agent.port_handle.resend_unacknowledged(framework_id)
        self._offers.schedule_allocation()

    def _resubscribe(self, framework: Framework, info: dict) -> None:
        """A known framework subscribes again: a failover to a new stream, or back after a disconnection."""
        info["id"] = {"value": framework.id}
        for kept in ("user", "checkpoint", "principal"):
            if kept in framework.info:
                info[kept] = framework.info[kept]
        framework.info = info
        framework.reregistered_time = time.time()
        framework.recovered = False
        self._disarm_failover(framework.id)
        if framework.subscription is not None:
            log.info("framework %s failed over to a new stream", framework.id)
            framework.subscription.send({"type": "ERROR", "error": {"message": "Framework failed over"}})
            framework.subscription.close()
        self._offers.withdraw(framework, rescind=False)
        self._allocator.revive(framework.id)  # suppression resets to the (absent) suppressed_roles
        log.info("framework %s re-subscribed", framework.id)

    def stream_closed(self, subscription: Subscription) -> None:
        """The scheduler's stream ended: disconnect, keep tasks, start the failover timer (C9)."""
        subscription.closed = True
        framework = self._frameworks.with_subscription(subscription)
        if framework is None:
            return
        framework.subscription = None
        framework.unregistered_time = time.time()
        self._allocator.set_active(framework.id, False)
        self._offers.withdraw(framework, rescind=False)
        log.info("framework %s disconnected; failover timeout %.1fs", framework.id, _failover_timeout(framework.info))
        self._arm_failover(framework)

    def recover(self, framework_info: dict) -> Framework:
        """A framework learnt from an agent's re-registration after a master failover: inactive until its
        scheduler re-subscribes, removed if that takes longer than its failover timeout."""
        framework = Framework(framework_info["id"]["value"], dict(framework_info), recovered=True)
        self._frameworks.add(framework)
        self._allocator.add_framework(framework.id)
        self._allocator.set_active(framework.id, False)
        self._arm_failover(framework)
        return framework

    def remove(self, framework: Framework) -> None:
        """TEARDOWN or failover expiry: kill everything, forget the id forever (C9)."""
        log.info("removing framework %s", framework.id)
        self._disarm_failover(framework.id)
        self._offers.withdraw(framework, rescind=False)
        for agent in self._agents.active():
            agent.port_handle.shutdown_framework(framework.id)
        now = time.time()
        for task in [*framework.tasks.values(), *framework.unreachable.values()]:
            if not task.released:
                self._allocator.release(task.agent_id, task.resources)
            if not is_terminal(task.state):
                task.enter("TASK_KILLED", now)
            framework.complete(task)
        for agent_id, executors in framework.executors.items():
            for executor in executors.values():
                self._allocator.release(agent_id, Resources.from_v1(executor.get("resources", [])))
        framework.executors.clear()
        self._allocator.remove_framework(framework.id)
        self._frameworks.retire(framework)
        framework.unregistered_time = now
        if framework.subscription:
            framework.subscription.close()
            framework.subscription = None
        self._offers.schedule_allocation()

    def close(self) -> None:
        """The master stops: no timer fires any more, every scheduler stream ends."""
        for timer in self._failover_timers.values():
            timer.cancel()
        self._failover_timers.clear()
        for framework in self._frameworks:
            if framework.subscription:
                framework.subscription.close()

    # -- failover timers ------------------------------------------------------------------------------------------
    def _arm_failover(self, framework: Framework) -> None:
        self._disarm_failover(framework.id)
        self._failover_timers[framework.id] = asyncio.get_running_loop().call_later(
            _failover_timeout(framework.info), self._failover_expired, framework.id)

    def _disarm_failover(self, framework_id: str) -> None:
        timer = self._failover_timers.pop(framework_id, None)
        if timer is not None:
            timer.cancel()

    def _failover_expired(self, framework_id: str) -> None:
        self._failover_timers.pop(framework_id, None)
        framework = self._frameworks.get(framework_id)
        if framework is not None and not framework.connected:
            log.info("framework %s failover timeout expired", framework_id)
            self.remove(framework)


def _failover_timeout(framework_info: dict) -> float:
    return float(framework_info.get("failover_timeout", 0.0))
