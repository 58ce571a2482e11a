"""The master: frameworks, agents, offers and tasks, all owned by one asyncio loop (no locks).

Scheduler calls come in from `http_scheduler`; agents talk to the master only through the narrow messages of
`AgentPort` (master → agent) and the `agent_*` / `status_update` / `executor_*` methods here (agent → master),
so an agent could live in another process. Behaviour follows notes sections C and G.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from mesoslocal import reconcile as reconciliation
from mesoslocal.allocator import Allocator, refuse_seconds
from mesoslocal.ids import IdGenerator, new_master_id
from mesoslocal.resources import Resources
from mesoslocal.streams import EventStream
from mesoslocal.updates import is_terminal, master_status, releases_resources
from mesoslocal.validation import check_task_static

log = logging.getLogger(__name__)
VERSION = "1.11.0"
COMPLETED_KEEP = 1000


class AgentPort(Protocol):
    """What the master may ask of an agent (each call is a one-way message)."""

    def run_task(self, framework_info: dict, task: dict) -> None: ...
    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None) -> None: ...
    def shutdown_framework(self, framework_id: str) -> None: ...
    def shutdown_executor(self, framework_id: str, executor_id: str) -> None: ...
    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> None: ...
    def framework_message(self, framework_id: str, executor_id: str, data: str) -> None: ...
    def resend_unacknowledged(self, framework_id: str) -> None: ...
    def ping(self) -> bool: ...


class Subscription(EventStream):
    """One scheduler event stream, identified by its Mesos-Stream-Id."""

    stream_id: str


@dataclass
class Task:
    info: dict
    framework_id: str
    agent_id: str
    resources: Resources
    executor_id: str  # "" for command tasks, as /state shows them
    state: str = "TASK_STAGING"
    statuses: list[dict] = field(default_factory=list)
    latest: dict | None = None  # last status forwarded (for reconciliation)
    sent_uuids: dict[str, str] = field(default_factory=dict)  # uuid -> state, of forwarded agent updates
    released: bool = False
    unreachable_time: float | None = None

    @property
    def id(self) -> str:
        return self.info["task_id"]["value"]


@dataclass
class Offer:
    id: str
    framework_id: str
    agent_id: str
    resources: Resources


@dataclass
class Framework:
    id: str
    info: dict
    subscription: Subscription | None = None
    tasks: dict[str, Task] = field(default_factory=dict)
    unreachable: dict[str, Task] = field(default_factory=dict)
    completed: deque[Task] = field(default_factory=lambda: deque(maxlen=COMPLETED_KEEP))
    offers: dict[str, Offer] = field(default_factory=dict)
    executors: dict[str, dict[str, dict]] = field(default_factory=dict)  # agent -> executor id -> info
    registered_time: float = field(default_factory=time.time)
    unregistered_time: float = 0.0
    reregistered_time: float | None = None
    failover_handle: asyncio.TimerHandle | None = None
    recovered: bool = False

    @property
    def connected(self) -> bool:
        return self.subscription is not None

    def capable(self, capability: str) -> bool:
        return any(c.get("type") == capability for c in self.info.get("capabilities", []))

    def send(self, event: dict) -> None:
        if self.subscription is not None:
            self.subscription.send(event)


@dataclass
class AgentRecord:
    id: str
    hostname: str
    ip: str
    port: int
    attributes: list[dict]
    total: Resources
    port_handle: AgentPort
    registered_time: float = field(default_factory=time.time)
    last_pong: float = field(default_factory=time.monotonic)
    state: str = "active"  # active | unreachable | removed
    pending_kills: list[tuple[str, str]] = field(default_factory=list)

    def info(self) -> dict:
        info = {"id": {"value": self.id}, "hostname": self.hostname, "port": self.port,
                "resources": self.total.to_v1()}
        if self.attributes:
            info["attributes"] = self.attributes
        return info


class Master:
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

    # -- subscription ---------------------------------------------------------------------------------------
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

    # -- offers ---------------------------------------------------------------------------------------------
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

    # -- accept -------------------------------------------------------------------------------------------
    def _lost_state(self, framework: Framework) -> str:
        return "TASK_DROPPED" if framework.capable("PARTITION_AWARE") else "TASK_LOST"

    def _validate_offers(self, framework: Framework, offer_ids: list[str]) -> str | None:
        if not offer_ids:
            return "No offers specified"
        if len(set(offer_ids)) != len(offer_ids):
            return "Duplicate offers in the request"
        for offer_id in offer_ids:
            offer = self.offers.get(offer_id)
            if offer is None:
                return f"Offer {offer_id} is no longer valid"
            if offer.framework_id != framework.id:
                return f"Offer {offer_id} has invalid framework"
        if len({self.offers[o].agent_id for o in offer_ids}) > 1:
            return "Aggregated offers must belong to one single agent"
        return None

    def accept(self, framework: Framework, body: dict) -> None:
        offer_ids = [o.get("value") for o in body.get("offer_ids", [])]
        launches = [t for op in body.get("operations", []) if op.get("type") == "LAUNCH"
                    for t in op.get("launch", {}).get("task_infos", [])]
        error = self._validate_offers(framework, offer_ids)
        if error:
            for offer_id in offer_ids:
                offer = self.offers.get(offer_id)
                if offer and offer.framework_id == framework.id:
                    self._remove_offer(offer)
            for task in launches:
                self._reject(framework, task, self._lost_state(framework), "REASON_INVALID_OFFERS",
                             f"Task launched with invalid offers: {error}")
            self.schedule_allocation()
            return
        offers = [self.offers[o] for o in offer_ids]
        agent = self.agents[offers[0].agent_id]
        pool = Resources()
        for offer in offers:
            self._remove_offer(offer)
            pool = pool + offer.resources
        if agent.state != "active":
            reason, message = (("REASON_AGENT_REMOVED", "Agent removed") if agent.state == "removed"
                               else ("REASON_AGENT_DISCONNECTED", "Agent disconnected"))
            for task in launches:
                self._reject(framework, task, self._lost_state(framework), reason, message)
            return
        for operation in body.get("operations", []):
            if operation.get("type") != "LAUNCH":
                log.info("framework %s: ignoring unsupported operation %s", framework.id, operation.get("type"))
                continue
            for task in operation.get("launch", {}).get("task_infos", []):
                if "id" in operation:
                    self._reject(framework, task, "TASK_ERROR", "REASON_TASK_INVALID",
                                 "The `id` field is not allowed for LAUNCH operations")
                    continue
                pool = self._launch(framework, agent, task, pool)
        self.allocator.refuse(framework.id, agent.id, pool, refuse_seconds(body.get("filters")), time.monotonic())
        self.schedule_allocation()

    def _launch(self, framework: Framework, agent: AgentRecord, task: dict, pool: Resources) -> Resources:
        """Validate and launch one task from `pool`; returns what is left of the pool (C5 steps 3–4)."""
        task_id = task["task_id"]["value"]
        error = check_task_static(task)
        executor = task.get("executor")
        known_executor = executor and framework.executors.get(agent.id, {}).get(executor["executor_id"]["value"])
        if error is None:
            if task_id in framework.tasks:
                error = f"Task has duplicate ID: {task_id}"
            elif task_id in framework.unreachable:
                error = "Task reuses the ID of an unreachable task"
            elif task["agent_id"]["value"] != agent.id:
                error = f"Task uses invalid agent {task['agent_id']['value']} while agent {agent.id} is expected"
            elif known_executor and _executor_key(known_executor) != _executor_key(executor):
                error = ("ExecutorInfo is not compatible with existing ExecutorInfo with the same ExecutorID "
                         f"'{executor['executor_id']['value']}'")
        if error is None:
            need = Resources.from_v1(task["resources"])
            if executor and not known_executor:
                need = need + Resources.from_v1(executor.get("resources", []))
            if not pool.contains(need):
                error = (f"Total resources {need} required by task and its executor is more than available "
                         f"{pool}")
        if error is not None:
            self._reject(framework, task, "TASK_ERROR", "REASON_TASK_INVALID", error)
            return pool
        task = dict(task)
        if executor:
            executor = dict(executor, framework_id={"value": framework.id})
            task["executor"] = executor
            if not known_executor:
                framework.executors.setdefault(agent.id, {})[executor["executor_id"]["value"]] = executor
        self.allocator.use(agent.id, need)
        record = Task(task, framework.id, agent.id, Resources.from_v1(task["resources"]),
                      executor["executor_id"]["value"] if executor else "")
        record.statuses.append({"state": "TASK_STAGING", "timestamp": time.time()})
        framework.tasks[task_id] = record
        log.info("framework %s: launching task %s on agent %s", framework.id, task_id, agent.id)
        agent.port_handle.run_task(framework.info, task)
        return pool - need

    def _reject(self, framework: Framework, task: dict, state: str, reason: str, message: str) -> None:
        task_id = task.get("task_id", {}).get("value", "")
        log.info("framework %s: task %s %s (%s): %s", framework.id, task_id, state, reason, message)
        framework.send({"type": "UPDATE", "update": {"status": master_status(task_id, state, reason, message)}})

    # -- kill, reconcile, acknowledge, message ----------------------------------------------------------------
    def kill(self, framework: Framework, body: dict) -> None:
        task_id = body["task_id"]["value"]
        task = framework.tasks.get(task_id)
        if task is None:
            self.reconcile(framework, {"tasks": [body]})
            return
        agent = self.agents.get(task.agent_id)
        log.info("framework %s: kill task %s", framework.id, task_id)
        kill_policy = body.get("kill_policy") or task.info.get("kill_policy")
        if agent is None:
            return
        if agent.state != "active":
            agent.pending_kills.append((framework.id, task_id))
            return
        agent.port_handle.kill_task(framework.id, task_id, kill_policy)

    def reconcile(self, framework: Framework, body: dict) -> None:
        for status in reconciliation.answers(framework, body.get("tasks", []), self.agents):
            framework.send({"type": "UPDATE", "update": {"status": status}})

    def acknowledge(self, framework: Framework, body: dict) -> None:
        task_id, uuid = body["task_id"]["value"], body["uuid"]
        agent = self.agents.get(body["agent_id"]["value"])
        if agent is None or agent.state != "active":
            return
        agent.port_handle.acknowledge(framework.id, task_id, uuid)
        task = framework.tasks.get(task_id)
        if task is not None and is_terminal(task.sent_uuids.pop(uuid, "")):
            del framework.tasks[task_id]
            framework.completed.append(task)

    def message(self, framework: Framework, body: dict) -> None:
        agent = self.agents.get(body["agent_id"]["value"])
        if agent is not None and agent.state == "active":
            agent.port_handle.framework_message(framework.id, body["executor_id"]["value"], body["data"])

    def shutdown_executor(self, framework: Framework, body: dict) -> None:
        """SHUTDOWN{executor_id, agent_id}: passed on to the agent (which tells the executor); an unknown or
        unreachable agent drops it, as Mesos does."""
        executor_id, agent_id = body["executor_id"]["value"], body["agent_id"]["value"]
        agent = self.agents.get(agent_id)
        if agent is None or agent.state != "active":
            log.info("framework %s: cannot shut down executor %s on unknown agent %s", framework.id, executor_id,
                     agent_id)
            return
        log.info("framework %s: shutting down executor %s on agent %s", framework.id, executor_id, agent_id)
        agent.port_handle.shutdown_executor(framework.id, executor_id)

    # -- agent → master -------------------------------------------------------------------------------------
    def register_agent(self, port_handle: AgentPort, *, hostname: str, ip: str, port: int,
                       attributes: list[dict], total: Resources, agent_id: str | None = None,
                       running: list[tuple[dict, dict, dict | None]] = ()) -> str:
        """(Re-)register an agent. `running` lists (framework_info, task, latest_status) it still runs."""
        agent_id = agent_id or self.ids.agent()
        previous = self.agents.get(agent_id)
        for other in list(self.agents.values()):
            if other.id != agent_id and other.ip == ip and other.port == port and other.state != "removed":
                self._agent_gone(other, "a new agent registered at the same address")
        record = AgentRecord(agent_id, hostname, ip, port, attributes, total, port_handle)
        self.agents[agent_id] = record
        self.allocator.add_agent(agent_id, total)
        for framework_info, task_info, status in running:
            self._recover_task(record, previous, framework_info, task_info, status)
        if previous is not None:
            for framework_id, task_id in previous.pending_kills:
                framework = self.frameworks.get(framework_id)
                if framework is not None and task_id in framework.tasks:
                    port_handle.kill_task(framework_id, task_id, None)
        log.info("agent %s (%s) %s", agent_id, hostname, "re-registered" if previous or running else "registered")
        self.schedule_allocation()
        return agent_id

    def _recover_task(self, agent: AgentRecord, previous: AgentRecord | None, framework_info: dict,
                      task_info: dict, status: dict | None) -> None:
        framework_id = framework_info["id"]["value"]
        task_id = task_info["task_id"]["value"]
        framework = self.frameworks.get(framework_id)
        if framework_id in self.removed_framework_ids:
            agent.port_handle.shutdown_framework(framework_id)
            return
        if framework is None:  # after a master failover: wait for the scheduler to re-subscribe
            framework = Framework(framework_id, dict(framework_info), recovered=True)
            self.frameworks[framework_id] = framework
            self.allocator.add_framework(framework_id)
            self.allocator.set_active(framework_id, False)
            framework.failover_handle = asyncio.get_running_loop().call_later(
                float(framework_info.get("failover_timeout", 0.0)), self._failover_expired, framework_id)
        was_unreachable = framework.unreachable.pop(task_id, None)
        if previous is not None and previous.state == "unreachable" and not framework.capable("PARTITION_AWARE"):
            agent.port_handle.kill_task(framework_id, task_id, None)  # Mesos kills them on re-registration
            return
        task = framework.tasks.get(task_id) or was_unreachable
        if task is None:
            executor = task_info.get("executor")
            task = Task(task_info, framework_id, agent.id, Resources.from_v1(task_info["resources"]),
                        executor["executor_id"]["value"] if executor else "")
            if executor:
                framework.executors.setdefault(agent.id, {})[executor["executor_id"]["value"]] = executor
        task.unreachable_time = None
        if status is not None:
            task.state = status["state"]
            task.latest = status
        task.released = releases_resources(task.state)
        if not task.released:
            self.allocator.use(agent.id, task.resources)
        framework.tasks[task_id] = task

    def status_update(self, agent_id: str, framework_id: str, status: dict, latest_state: str) -> None:
        """An agent forwards the head of a task's update queue (C6 step 4)."""
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        task_id = status["task_id"]["value"]
        task = framework.tasks.get(task_id)
        if task is not None:
            task.state = latest_state
            task.latest = status
            entry = {"state": status["state"], "timestamp": status["timestamp"]}
            for key in ("healthy", "labels", "container_status"):
                if key in status:
                    entry[key] = status[key]
            if not task.statuses or task.statuses[-1].get("timestamp") != status["timestamp"]:
                task.statuses.append(entry)
            if "uuid" in status:
                task.sent_uuids[status["uuid"]] = status["state"]
            if releases_resources(latest_state) and not task.released:
                task.released = True
                self.allocator.release(agent_id, task.resources)
                self.schedule_allocation()
        log.info("framework %s: task %s %s (latest %s)", framework_id, task_id, status["state"], latest_state)
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, wait_status: int | None) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        executor = framework.executors.get(agent_id, {}).pop(executor_id, None)
        if executor is not None:
            self.allocator.release(agent_id, Resources.from_v1(executor.get("resources", [])))
            self.schedule_allocation()
        if wait_status is not None:
            log.info("framework %s: executor %s on agent %s exited (%s)", framework_id, executor_id, agent_id,
                     wait_status)
            framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent_id},
                                                           "executor_id": {"value": executor_id},
                                                           "status": wait_status}})

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: str) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None:
            framework.send({"type": "MESSAGE", "message": {"agent_id": {"value": agent_id},
                                                           "executor_id": {"value": executor_id}, "data": data}})

    # -- agent liveness -------------------------------------------------------------------------------------
    def _check_agents(self) -> None:
        now = time.monotonic()
        for agent in list(self.agents.values()):
            if agent.state != "active":
                continue
            if agent.port_handle.ping():
                agent.last_pong = now
            elif now - agent.last_pong >= self.agent_timeout:
                self._agent_unreachable(agent)

    def _agent_unreachable(self, agent: AgentRecord) -> None:
        log.info("agent %s (%s) is unreachable", agent.id, agent.hostname)
        agent.state = "unreachable"
        unreachable_time = time.time()
        self._agent_removed(agent, lambda framework: (
            ("TASK_UNREACHABLE", True) if framework.capable("PARTITION_AWARE") else ("TASK_LOST", False)),
            "REASON_AGENT_REMOVED", "health check timed out", unreachable_time)

    def _agent_gone(self, agent: AgentRecord, why: str) -> None:
        log.info("agent %s (%s) removed: %s", agent.id, agent.hostname, why)
        agent.state = "removed"
        self._agent_removed(agent, lambda framework: (
            ("TASK_GONE", False) if framework.capable("PARTITION_AWARE") else ("TASK_LOST", False)),
            "REASON_AGENT_REMOVED", f"Agent {agent.hostname} removed: {why}", None)

    def _agent_removed(self, agent: AgentRecord, state_for, reason: str, message: str,
                       unreachable_time: float | None) -> None:
        for framework in self.frameworks.values():
            self._discard_offers(framework, rescind=True, agent_id=agent.id)
            framework.executors.pop(agent.id, None)
            for task in [t for t in framework.tasks.values() if t.agent_id == agent.id]:
                state, keep = state_for(framework)
                extra = {"unreachable_time": {"nanoseconds": int(unreachable_time * 1e9)}} if keep else {}
                status = master_status(task.id, state, reason, message, agent_id={"value": agent.id}, **extra)
                del framework.tasks[task.id]
                task.state, task.latest = state, status
                task.statuses.append({"state": state, "timestamp": status["timestamp"]})
                if keep:
                    task.unreachable_time = unreachable_time
                    framework.unreachable[task.id] = task
                else:
                    framework.completed.append(task)
                framework.send({"type": "UPDATE", "update": {"status": status}})
            framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent.id}}})
        self.allocator.remove_agent(agent.id)


def _executor_key(executor: dict) -> dict:
    return {k: v for k, v in executor.items() if k != "framework_id"}
