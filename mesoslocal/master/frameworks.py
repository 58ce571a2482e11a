"""Framework lifecycle: SUBSCRIBE (first registration and failover), a scheduler stream ending, the
failover timeout, and TEARDOWN (notes C9).

A removed framework id is remembered forever, so a scheduler that comes back with it is refused.
"""

from __future__ import annotations

import asyncio
import logging
import time

from mesoslocal.master.records import Framework, Subscription
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.task_status import is_terminal

log = logging.getLogger("mesoslocal.master")  # one logger name for the whole master, as before the split


class FrameworksMixin:
    """The frameworks registry of `Master`: who is subscribed, who may fail over, who is gone."""

    def subscribe(self, call: dict, subscription: Subscription) -> None:
        info = dict(call["subscribe"]["framework_info"])
        framework_id = info.get("id", {}).get("value")
        if framework_id in self.removed_framework_ids:
            log.info("framework %s refused: it has been removed", framework_id)
            subscription.send({"type": "ERROR", "error": {"message": "Framework has been removed"}})
            subscription.close()
            return
        framework = self.frameworks.get(framework_id) if framework_id else None
        if framework is None:
            framework_id = framework_id or self.ids.framework()
            info["id"] = {"value": framework_id}
            framework = Framework(framework_id, info)
            self.frameworks[framework_id] = framework
            self.allocator.add_framework(framework_id)
            log.info("framework %s (%s) registered", framework_id, info.get("name"))
        else:
            info["id"] = {"value": framework_id}
            for kept in ("user", "checkpoint", "principal"):
                if kept in framework.info:
                    info[kept] = framework.info[kept]
            framework.info = info
            framework.reregistered_time = time.time()
            framework.recovered = False
            if framework.failover_handle:
                framework.failover_handle.cancel()
                framework.failover_handle = None
            if framework.subscription is not None:
                log.info("framework %s failed over to a new stream", framework_id)
                framework.subscription.send({"type": "ERROR", "error": {"message": "Framework failed over"}})
                framework.subscription.close()
            self._discard_offers(framework, rescind=False)
            self.allocator.revive(framework_id)  # suppression resets to the (absent) suppressed_roles
            log.info("framework %s re-subscribed", framework_id)
        framework.subscription = subscription
        self.allocator.set_active(framework_id, True)
        subscription.send({"type": "SUBSCRIBED", "subscribed": {
            "framework_id": {"value": framework_id}, "heartbeat_interval_seconds": self.heartbeat_interval,
            "master_info": self.master_info()}})
        subscription.send({"type": "HEARTBEAT"})
        for agent in self.agents.values():
            if agent.state == "active":
                agent.port_handle.resend_unacknowledged(framework_id)
        self.schedule_allocation()

    def stream_closed(self, subscription: Subscription) -> None:
        """The scheduler's stream ended: disconnect, keep tasks, start the failover timer (C9)."""
        subscription.closed = True
        for framework in self.frameworks.values():
            if framework.subscription is subscription:
                break
        else:
            return
        framework.subscription = None
        framework.unregistered_time = time.time()
        self.allocator.set_active(framework.id, False)
        self._discard_offers(framework, rescind=False)
        timeout = float(framework.info.get("failover_timeout", 0.0))
        log.info("framework %s disconnected; failover timeout %.1fs", framework.id, timeout)
        framework.failover_handle = asyncio.get_running_loop().call_later(
            timeout, self._failover_expired, framework.id)

    def _failover_expired(self, framework_id: str) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None and not framework.connected:
            log.info("framework %s failover timeout expired", framework_id)
            self.remove_framework(framework)

    def remove_framework(self, framework: Framework) -> None:
        """TEARDOWN or failover expiry: kill everything, forget the id forever (C9)."""
        log.info("removing framework %s", framework.id)
        if framework.failover_handle:
            framework.failover_handle.cancel()
        self._discard_offers(framework, rescind=False)
        for agent in self.agents.values():
            if agent.state == "active":
                agent.port_handle.shutdown_framework(framework.id)
        for task in list(framework.tasks.values()) + list(framework.unreachable.values()):
            if not task.released and task.agent_id in self.agents:
                self.allocator.release(task.agent_id, task.resources)
            if not is_terminal(task.state):
                task.state = "TASK_KILLED"
                task.statuses.append({"state": "TASK_KILLED", "timestamp": time.time()})
            framework.completed.append(task)
        for agent_id, executors in framework.executors.items():
            for executor in executors.values():
                self.allocator.release(agent_id, Resources.from_v1(executor.get("resources", [])))
        framework.tasks.clear()
        framework.unreachable.clear()
        framework.executors.clear()
        self.allocator.remove_framework(framework.id)
        del self.frameworks[framework.id]
        self.removed_framework_ids.add(framework.id)
        framework.unregistered_time = time.time()
        self.completed_frameworks.append(framework)
        if framework.subscription:
            framework.subscription.close()
            framework.subscription = None
        self.schedule_allocation()
