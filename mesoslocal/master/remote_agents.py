"""The master's side of agents in other processes (wire/agent_link.py): they register, heartbeat and send their
messages over HTTP, and the master reaches each through a `RemoteAgent`."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from mesoslocal.master.master import Master
from mesoslocal.wire import agent_link
from mesoslocal.wire.resources import Resources


class RemoteAgent:
    """The `AgentPort` of an agent in another process: one-way messages through its outbox.

    Liveness pings synchronously on the master's loop, so a ping cannot be a request: the agent heartbeats instead,
    and `ping()` answers whether it was heard from since the previous ping. `broken` says that messages to the agent
    were lost since it last registered: it is to register again."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.outbox = agent_link.Outbox(session, url, self._break)
        self._heard = False
        self.broken = False

    def _break(self) -> None:
        self.broken = True

    def heard(self) -> None:
        self._heard = True

    def ping(self) -> bool:
        heard, self._heard = self._heard, False
        return heard

    def run_task(self, framework_info: dict, task: dict) -> None:
        self.outbox.send("run_task", framework_info, task)

    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None) -> None:
        self.outbox.send("kill_task", framework_id, task_id, kill_policy)

    def shutdown_framework(self, framework_id: str) -> None:
        self.outbox.send("shutdown_framework", framework_id)

    def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        self.outbox.send("shutdown_executor", framework_id, executor_id)

    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> None:
        self.outbox.send("acknowledge", framework_id, task_id, uuid)

    def framework_message(self, framework_id: str, executor_id: str, data: str) -> None:
        self.outbox.send("framework_message", framework_id, executor_id, data)

    def resend_unacknowledged(self, framework_id: str) -> None:
        self.outbox.send("resend_unacknowledged", framework_id)

    def reconcile_tasks(self, framework_info: dict, tasks: list[dict]) -> None:
        self.outbox.send("reconcile_tasks", framework_info, tasks)


class RemoteAgents:
    """Serves the endpoints agents call and owns one RemoteAgent per agent address (ip:port), which outlives the
    agent's re-registrations, so that messages to one address keep their order."""

    def __init__(self, master: Master) -> None:
        self._master = master
        self._session = aiohttp.ClientSession()
        self._agents: dict[str, RemoteAgent] = {}

    def _active(self, agent_id: object) -> RemoteAgent | None:
        record = self._master.agents.get(agent_id) if isinstance(agent_id, str) else None
        if record is None or not record.active or not isinstance(record.port_handle, RemoteAgent):
            return None
        return record.port_handle

    async def register(self, request: web.Request) -> web.Response:
        """(Re-)registration: as an in-process agent's, through the registrar, with the tasks it still runs."""
        body = await agent_link.read_json(request)
        try:
            endpoint = f"{body['ip']}:{int(body['port'])}"
            remote = self._agents.get(endpoint)
            if remote is None:
                remote = RemoteAgent(self._session, f"http://{endpoint}{agent_link.TO_AGENT}")
                self._agents[endpoint] = remote
            remote.broken = False
            agent_id = self._master.registrar.register(
                remote, hostname=body["hostname"], ip=body["ip"], port=int(body["port"]),
                attributes=body["attributes"], total=Resources.from_v1(body["total"]),
                agent_id=body.get("agent_id") or None, running=[tuple(task) for task in body["running"]])
        except (KeyError, TypeError, ValueError) as error:
            raise web.HTTPBadRequest(text=f"bad registration: {error!r}") from error
        return web.json_response({"agent_id": agent_id, "ping_interval": self._master.agent_ping_interval})

    async def heartbeat(self, request: web.Request) -> web.Response:
        remote = self._active((await agent_link.read_json(request)).get("agent_id"))
        if remote is None or remote.broken:
            raise web.HTTPNotFound(text="unknown agent, or messages to it were lost: register again")
        remote.heard()
        return web.Response()

    async def messages(self, request: web.Request) -> web.Response:
        """Messages from agents to the forwarder; those of an agent not active here are dropped (it re-registers
        at its next heartbeat and then re-sends its unacknowledged updates)."""
        unknown = 0
        for kind, args in await agent_link.read_messages(request, agent_link.TO_MASTER_TYPES):
            remote = self._active(args[0] if args else None)
            if remote is None:
                unknown += 1
                continue
            remote.heard()
            agent_link.deliver(self._master.forwarder, kind, args)
        if unknown:
            raise web.HTTPNotFound(text=f"{unknown} messages from unknown agents dropped")
        return web.Response()

    async def close(self, app: web.Application | None = None) -> None:
        for remote in self._agents.values():
            await remote.outbox.close()
        await self._session.close()


def add_routes(app: web.Application, master: Master) -> None:
    """Serve agents in other processes (wire/agent_link.py) on the master's app."""
    remote = RemoteAgents(master)
    app.router.add_post(agent_link.REGISTER, remote.register)
    app.router.add_post(agent_link.HEARTBEAT, remote.heartbeat)
    app.router.add_post(agent_link.TO_MASTER, remote.messages)
    app.on_cleanup.append(remote.close)
