"""The link between a mesoslocal master and agents in other processes: our own JSON over HTTP, both directions.

Real Mesos carries these messages as libprocess protobuf messages. We do not imitate that: only mesoslocal speaks on
this link (frameworks only ever speak the v1 scheduler API to the master, executors the v1 executor API to their
agent), so a private wire is enough. Its endpoints sit under the prefix /mesoslocal/ and are not authenticated.

* the master serves, for agents: REGISTER (address, resources, attributes, the agent's id if it has one and the
  tasks it still runs; answers its id and the ping interval), HEARTBEAT (every ping interval; 404 when the master
  does not know the agent as active, after a master restart or once it marked the agent unreachable: the agent then
  re-registers) and TO_MASTER (messages: status_update, executor_exited, executor_message).
* the agent serves, for its master: TO_AGENT (messages: run_task, kill_task, ...).

A message body is {"messages": [{"type": name, "args": [...]}, ...]}: the arguments of the port method of that name
(master.records.AgentPort, agent.agent.MasterPort). Each side sends through one `Outbox` per peer, so messages
arrive in order; as on a broken libprocess link, a delivery that fails drops its messages and all those queued
behind them, and the agent re-registers (the master answers its next heartbeat with 404, or the agent notices
itself): Mesos recovers through re-registration, status-update retries and reconciliation, not through the link.
On re-registration the master asks the agent, behind every message already sent to it, about the tasks it placed
there that the agent did not report (reconcile_tasks); the agent reports those it never received as dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

REGISTER = "/mesoslocal/agent/register"
HEARTBEAT = "/mesoslocal/agent/heartbeat"
TO_MASTER = "/mesoslocal/agent/messages"
TO_AGENT = "/mesoslocal/master/messages"
TO_MASTER_TYPES = frozenset({"status_update", "executor_exited", "executor_message"})
TO_AGENT_TYPES = frozenset({"run_task", "kill_task", "shutdown_framework", "shutdown_executor", "acknowledge",
                            "framework_message", "resend_unacknowledged", "reconcile_tasks"})
# every request on the link: a silent peer must cost seconds, not block a sender for the kernel's TCP timeout
TIMEOUT = aiohttp.ClientTimeout(total=3.0)
OUTBOX_CAPACITY = 10_000  # messages waiting for one peer; more are dropped (as after a failed delivery)
BATCH = 500  # messages per request
# what a peer must accept in one body: BATCH launches of big TaskInfos exceed aiohttp's default of 1 MB (413)
MAX_BODY_BYTES = 64 * 1024 * 1024


class Outbox:
    """Messages to one peer, POSTed in order by a single sender task, a batch per request. `on_broken` is called
    when a delivery fails: whoever owns the outbox has the peer re-register, which brings both sides in step again."""

    def __init__(self, session: aiohttp.ClientSession, url: str, on_broken: Callable[[], None]) -> None:
        self._session, self.url, self._on_broken = session, url, on_broken
        self._queue: asyncio.Queue[dict] = asyncio.Queue(OUTBOX_CAPACITY)
        self._sender: asyncio.Task | None = None

    def send(self, kind: str, *args: object) -> None:
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._deliver())
        try:
            self._queue.put_nowait({"type": kind, "args": list(args)})
        except asyncio.QueueFull:
            log.warning("%s: %d messages waiting; dropped %s", self.url, OUTBOX_CAPACITY, kind)

    async def _deliver(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                async with self._session.post(self.url, json={"messages": batch}, timeout=TIMEOUT) as response:
                    if response.status >= 300:
                        log.warning("%s answered %d (%s): dropped %d messages", self.url, response.status,
                                    (await response.text())[:200], len(batch))
            except (TimeoutError, aiohttp.ClientError) as error:
                behind = self._queue.qsize()
                while not self._queue.empty():
                    self._queue.get_nowait()
                log.warning("%s: %s; dropped %d messages (%s) and the %d behind them", self.url,
                            str(error) or type(error).__name__, len(batch), ", ".join(m["type"] for m in batch[:5]),
                            behind)
                self._on_broken()

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)


async def read_json(request: web.Request) -> dict:
    """The request's JSON object. Raises web.HTTPBadRequest otherwise."""
    try:
        body = await request.json()
    except ValueError as error:
        raise web.HTTPBadRequest(text=f"not JSON: {error}") from error
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expecting a JSON object")
    return body


async def read_messages(request: web.Request, types: frozenset[str]) -> list[tuple[str, list]]:
    """The (type, args) of a message body whose types are all in `types`. Raises web.HTTPBadRequest otherwise."""
    messages = (await read_json(request)).get("messages")
    if not isinstance(messages, list) or not all(
            isinstance(m, dict) and m.get("type") in types and isinstance(m.get("args"), list) for m in messages):
        raise web.HTTPBadRequest(text=f"expecting {{'messages': [{{'type': one of {sorted(types)}, 'args': []}}]}}")
    return [(m["type"], m["args"]) for m in messages]


def deliver(target: object, kind: str, args: list) -> None:
    """Calls the port method `kind` (checked by read_messages) of `target`. Raises web.HTTPBadRequest when the
    arguments do not fit it."""
    try:
        getattr(target, kind)(*args)
    except (KeyError, TypeError, ValueError) as error:
        raise web.HTTPBadRequest(text=f"bad {kind}: {error!r}") from error
