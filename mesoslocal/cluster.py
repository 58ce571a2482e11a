"""A whole local cluster — master plus N agents — and its in-process API for tests.

`Cluster` is the asyncio core (used by the `mesos-local` CLI); `LocalCluster` runs one on a private event-loop
thread so that synchronous tests and pymesos drivers can use it:

    cluster = LocalCluster(agents=3, heartbeat_interval=1.0, agent_timeout=2.0).start()
    driver = MesosSchedulerDriver(scheduler, framework, cluster.master_url)
    cluster.agents[0].disconnect()   # after agent_timeout its tasks become TASK_LOST / TASK_UNREACHABLE
    cluster.stop()

Master and agents talk through a `Link` per agent, which delivers one-way messages on the loop and can be cut.
The master also serves agents that run in other processes (`mesos-local-agent`, master/remote_agents.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import shutil
import tempfile
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from mesoslocal.agent import fetcher, processes
from mesoslocal.agent.agent import Agent
from mesoslocal.master import http_scheduler, remote_agents, state_json
from mesoslocal.master.master import Master
from mesoslocal.wire.agent_info import DEFAULT_RESOURCES, parse_attributes
from mesoslocal.wire.resources import Resources, split_ports
from mesoslocal.wire.state_json import VERSION
from mesoslocal.zk import MasterRegistration

log = logging.getLogger(__name__)
# Mesos's master reads a call of any size; aiohttp refuses bodies over 1 MB by default, which an ACCEPT of ~500
# command TaskInfos (~2 KB each) already exceeds (413). 256 MB stays a guard against a runaway client.
MAX_CALL_BYTES = 256 * 1024 * 1024
T = TypeVar("T")


class Link:
    """The wire between the master and one agent: one-way messages delivered on the loop, unless cut."""

    def __init__(self, agent: Agent, master: Master) -> None:
        self.agent, self.master = agent, master
        self.connected = True

    def _post(self, function, *args: Any) -> None:
        if self.connected:
            asyncio.get_running_loop().call_soon(self._deliver, function, args)

    def _deliver(self, function, args: tuple) -> None:
        if self.connected:
            function(*args)

    # master → agent (mesoslocal.master.records.AgentPort)
    def run_task(self, framework_info: dict, task: dict) -> None:
        self._post(self.agent.run_task, framework_info, task)

    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None) -> None:
        self._post(self.agent.kill_task, framework_id, task_id, kill_policy)

    def shutdown_framework(self, framework_id: str) -> None:
        self._post(self.agent.shutdown_framework, framework_id)

    def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        self._post(self.agent.shutdown_executor, framework_id, executor_id)

    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> None:
        self._post(self.agent.acknowledge, framework_id, task_id, uuid)

    def framework_message(self, framework_id: str, executor_id: str, data: str) -> None:
        self._post(self.agent.framework_message, framework_id, executor_id, data)

    def resend_unacknowledged(self, framework_id: str) -> None:
        self._post(self.agent.resend_unacknowledged, framework_id)

    def reconcile_tasks(self, framework_info: dict, tasks: list[dict]) -> None:
        self._post(self.agent.reconcile_tasks, framework_info, tasks)

    def ping(self) -> bool:
        return self.connected and self.agent.ping()

    # agent → master (mesoslocal.agent.agent.MasterPort)
    def register_agent(self, agent: Agent) -> None:
        agent.registered(self.master.registrar.register(self, **agent.registration()))

    def status_update(self, agent_id: str, framework_id: str, status: dict, latest_state: str) -> None:
        self._post(self.master.forwarder.status_update, agent_id, framework_id, status, latest_state)

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, wait_status: int | None) -> None:
        self._post(self.master.forwarder.executor_exited, agent_id, framework_id, executor_id, wait_status)

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: str) -> None:
        self._post(self.master.forwarder.executor_message, agent_id, framework_id, executor_id, data)


class Cluster:
    """Master + agents on the running event loop."""

    def __init__(self, *, agents: int = 3, agent_resources: str = DEFAULT_RESOURCES, docker_host: str | None = None,
                 work_dir: Path | None = None, ip: str = "127.0.0.1", port: int = 0,
                 allocation_interval: float = 1.0, heartbeat_interval: float = 15.0, agent_timeout: float = 75.0,
                 attributes: str | list[str] | None = None, zk: str | None = None, agent_port: int = 0,
                 split_agent_ports: bool = True, update_retry: float = 10.0,
                 executor_registration_timeout: float = 60.0, executor_shutdown_grace_period: float = 5.0,
                 pretend_tasks: bool = False) -> None:
        self.agent_count = agents
        self.pretend_tasks = pretend_tasks
        self.agent_resources = Resources.parse_spec(agent_resources)
        self.docker_host = docker_host
        self._own_work_dir = work_dir is None
        self.work_dir = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="mesoslocal-"))
        self.ip, self.port = ip, port
        self.allocation_interval, self.heartbeat_interval = allocation_interval, heartbeat_interval
        self.agent_timeout = agent_timeout
        self.attributes = attributes
        self.zk = zk
        self.agent_port = agent_port
        self.split_agent_ports = split_agent_ports
        self.update_retry = update_retry
        self.executor_registration_timeout = executor_registration_timeout
        self.executor_shutdown_grace_period = executor_shutdown_grace_period
        self.master: Master | None = None
        self.agents: list[Agent] = []
        self.links: list[Link] = []
        self._runner: web.AppRunner | None = None
        self._zk: MasterRegistration | None = None

    # -- master ---------------------------------------------------------------------------------------------
    async def _start_master(self) -> None:
        flags = {"allocation_interval": f"{self.allocation_interval}secs", "port": self.port,
                 "work_dir": str(self.work_dir), "zk": self.zk or "",
                 "agent_ping_timeout": f"{self.agent_timeout}secs", "version": VERSION}
        self.master = Master(ip=self.ip, port=self.port, allocation_interval=self.allocation_interval,
                             heartbeat_interval=self.heartbeat_interval, agent_timeout=self.agent_timeout,
                             agent_ping_interval=min(1.0, self.agent_timeout / 4), flags=flags)
        app = web.Application(client_max_size=MAX_CALL_BYTES)
        app[http_scheduler.MASTER_KEY] = self.master
        http_scheduler.add_routes(app)
        state_json.add_routes(app)
        remote_agents.add_routes(app, self.master)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.ip, self.port, reuse_address=True).start()
        self.port = self._runner.addresses[0][1]
        self.master.port = self.port
        self.master.start()
        if self.zk:
            self._zk = MasterRegistration(self.zk)
            await asyncio.get_running_loop().run_in_executor(None, self._zk.register, self.master.master_info())

    async def _stop_master(self) -> None:
        if self._zk is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._zk.close)
            self._zk = None
        if self.master is not None:
            await self.master.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- agents ---------------------------------------------------------------------------------------------
    def _agent_attributes(self, index: int) -> list[dict]:
        if isinstance(self.attributes, list):
            return parse_attributes(self.attributes[index]) if index < len(self.attributes) else []
        return parse_attributes(self.attributes or "")

    def _new_agent(self, index: int, port: int) -> Agent:
        slices = (split_ports(self.agent_resources, self.agent_count) if self.split_agent_ports
                  else [self.agent_resources] * self.agent_count)
        ip = f"127.0.0.{index + 1}" if self.ip.startswith("127.") else self.ip
        return Agent(index=index, hostname=ip, ip=ip, resources=slices[index],
                     attributes=self._agent_attributes(index), work_dir=self.work_dir / f"agent{index}",
                     docker_host=self.docker_host, port=port, update_retry=self.update_retry,
                     executor_registration_timeout=self.executor_registration_timeout,
                     executor_shutdown_grace_period=self.executor_shutdown_grace_period,
                     pretend_tasks=self.pretend_tasks)

    async def _start_agent(self, index: int, port: int) -> None:
        assert self.master is not None
        agent = self._new_agent(index, port)
        link = Link(agent, self.master)
        if index < len(self.agents):
            self.agents[index], self.links[index] = agent, link
        else:
            self.agents.append(agent)
            self.links.append(link)
        await agent.start(link)

    async def start(self) -> None:
        await self._start_master()
        for index in range(self.agent_count):
            await self._start_agent(index, self.agent_port)

    async def stop(self) -> None:
        for link in self.links:
            link.connected = False
        await asyncio.gather(*(agent.stop() for agent in self.agents), return_exceptions=True)
        await self._stop_master()
        await asyncio.get_running_loop().run_in_executor(None, processes.shutdown_spawner)
        await asyncio.get_running_loop().run_in_executor(None, fetcher.shutdown_threads)
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    async def stop_agent(self, index: int) -> None:
        self.links[index].connected = False
        await self.agents[index].stop()

    async def restart_agent(self, index: int) -> None:
        """The agent process restarts with a fresh work dir: its tasks are gone, it registers under a new id."""
        port = self.agents[index].port
        await self.stop_agent(index)
        await self._start_agent(index, port)

    def disconnect_agent(self, index: int) -> None:
        self.links[index].connected = False

    def reconnect_agent(self, index: int) -> None:
        link = self.links[index]
        link.connected = True
        self.agents[index].register(link)

    async def restart_master(self) -> None:
        """A master failover: a new master (new id, same address) learns the agents and their tasks again;
        schedulers must re-subscribe."""
        for link in self.links:
            link.connected = False
        await self._stop_master()
        await self._start_master()
        assert self.master is not None
        for agent, link in zip(self.agents, self.links, strict=True):
            if agent.running:
                link.master = self.master
                link.connected = True
                agent.register(link)


class AgentHandle:
    """A test's handle on agent `index` of a LocalCluster."""

    def __init__(self, cluster: LocalCluster, index: int) -> None:
        self._cluster, self.index = cluster, index

    @property
    def agent(self) -> Agent:
        return self._cluster.core.agents[self.index]

    @property
    def id(self) -> str:
        return self.agent.id

    @property
    def hostname(self) -> str:
        return self.agent.hostname

    @property
    def endpoint(self) -> str:
        return self.agent.endpoint()

    def stop(self) -> None:
        self._cluster.call(self._cluster.core.stop_agent(self.index))

    def restart(self) -> None:
        self._cluster.call(self._cluster.core.restart_agent(self.index))

    def disconnect(self) -> None:
        self._cluster.call_soon(self._cluster.core.disconnect_agent, self.index)

    def reconnect(self) -> None:
        self._cluster.call_soon(self._cluster.core.reconnect_agent, self.index)


class LocalCluster:
    """A Cluster on its own event-loop thread, driven synchronously."""

    def __init__(self, agents: int = 3, **options: Any) -> None:
        self.core = Cluster(agents=agents, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.agents = [AgentHandle(self, i) for i in range(agents)]

    def start(self) -> LocalCluster:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mesoslocal", daemon=True)
        self._thread.start()
        try:
            self.call(self.core.start())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        try:
            self.call(self.core.stop(), timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = None

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def call_soon(self, function, *args: Any) -> Any:
        async def run() -> Any:
            return function(*args)

        return self.call(run())

    @property
    def master_url(self) -> str:
        """`127.0.0.1:port`: pymesos needs a bare host:port."""
        return f"{self.core.ip}:{self.core.port}"

    @property
    def master(self) -> Master:
        assert self.core.master is not None
        return self.core.master

    def state(self) -> dict:
        """The master's /master/state, read on the loop."""
        return self.call_soon(state_json.master_state, self.master)

    def restart_master(self) -> None:
        self.call(self.core.restart_master())
