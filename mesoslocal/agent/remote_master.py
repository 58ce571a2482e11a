"""The agent's side of a master in another process (wire/agent_link.py): registration, heartbeats and messages over
HTTP, and the endpoint where the master's messages arrive."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from mesoslocal.agent import executor_api
from mesoslocal.agent.agent import Agent
from mesoslocal.wire import agent_link

log = logging.getLogger(__name__)
REGISTER_BACKOFF = (0.1, 2.0)  # first and longest pause between registration attempts, in seconds


class RemoteMaster:
    """The `MasterPort` of an agent whose master is at `address` (host:port).

    Once asked to register it keeps the agent registered: it registers (again and again, backing off, while the
    master cannot be reached), then heartbeats every ping interval the master asked for, and registers again, with
    the same id and the tasks still running, as soon as the master says it does not know this agent (it restarted,
    it marked the agent unreachable while it could not hear it, or messages to the agent were lost) or messages to
    the master were lost."""

    def __init__(self, address: str, session: aiohttp.ClientSession) -> None:
        self.url = f"http://{address}"
        self._session = session
        self._outbox = agent_link.Outbox(session, self.url + agent_link.TO_MASTER, self._break)
        self._broken = False
        self._keeper: asyncio.Task | None = None

    def _break(self) -> None:
        self._broken = True

    def register_agent(self, agent: Agent) -> None:
        if self._keeper is None:
            self._keeper = asyncio.get_running_loop().create_task(self._keep_registered(agent))

    def status_update(self, agent_id: str, framework_id: str, status: dict, latest_state: str) -> None:
        self._outbox.send("status_update", agent_id, framework_id, status, latest_state)

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, wait_status: int | None) -> None:
        self._outbox.send("executor_exited", agent_id, framework_id, executor_id, wait_status)

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: str) -> None:
        self._outbox.send("executor_message", agent_id, framework_id, executor_id, data)

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        await self._outbox.close()

    async def _keep_registered(self, agent: Agent) -> None:
        while True:
            interval = await self._register(agent)
            while not self._broken and await self._heartbeat(agent.id):
                await asyncio.sleep(interval)
            log.info("agent %s: registering again with master %s", agent.id, self.url)

    async def _register(self, agent: Agent) -> float:
        """Registers `agent`, retrying until the master answers; returns the ping interval it asks for."""
        pause = REGISTER_BACKOFF[0]
        while True:
            self._broken = False
            body = {**agent.registration(), "total": agent.resources.to_v1()}
            try:
                async with self._session.post(self.url + agent_link.REGISTER, json=body,
                                              timeout=agent_link.TIMEOUT) as response:
                    if response.status == 200:
                        answer = await response.json()
                        agent.registered(answer["agent_id"])
                        log.info("agent %s registered with master %s", agent.id, self.url)
                        return float(answer["ping_interval"])
                    log.warning("master %s refused the registration: %d %s", self.url, response.status,
                                (await response.text())[:200])
            except (TimeoutError, aiohttp.ClientError) as error:
                log.info("cannot register with master %s: %s", self.url, str(error) or type(error).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, REGISTER_BACKOFF[1])

    async def _heartbeat(self, agent_id: str) -> bool:
        """False when the master answers that it does not know this agent; True otherwise, also when it cannot be
        reached (it then marks this agent unreachable, and says so once it can be reached again)."""
        try:
            async with self._session.post(self.url + agent_link.HEARTBEAT, json={"agent_id": agent_id},
                                          timeout=agent_link.TIMEOUT) as response:
                return response.status != 404
        except (TimeoutError, aiohttp.ClientError) as error:
            log.info("no heartbeat to master %s: %s", self.url, str(error) or type(error).__name__)
            return True


async def _messages(request: web.Request) -> web.Response:
    agent: Agent = request.app[executor_api.AGENT_KEY]
    if not agent.running:
        raise web.HTTPServiceUnavailable(text="agent stopping")
    for kind, args in await agent_link.read_messages(request, agent_link.TO_AGENT_TYPES):
        agent_link.deliver(agent, kind, args)
    return web.Response()


def add_routes(app: web.Application) -> None:
    """The endpoint where the master's messages arrive (for `Agent.start`)."""
    app.router.add_post(agent_link.TO_AGENT, _messages)
