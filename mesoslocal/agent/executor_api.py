"""POST /api/v1/executor on each agent's endpoint: the v1 executor API (notes B, C6 step 1–2)."""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from mesoslocal.wire import recordio
from mesoslocal.wire.ids import is_update_uuid
from mesoslocal.wire.streams import EventStream
from mesoslocal.wire.task_status import container_status

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 30 * 60.0
AGENT_KEY: web.AppKey = web.AppKey("agent")


def _bad(message: str) -> web.Response:
    return web.Response(status=400, text=message)


def check_update(call: dict) -> str | None:
    status = call.get("update", {}).get("status")
    if not isinstance(status, dict):
        return "Expecting 'update' to be present"
    if not is_update_uuid(status.get("uuid")):
        return "Expecting 'uuid' to be present and valid"
    if status.get("source") != "SOURCE_EXECUTOR":
        return "Received Call from executor with invalid source"
    if status.get("state") == "TASK_STAGING":
        return "Received TASK_STAGING from executor"
    if "executor_id" in status and status["executor_id"] != call.get("executor_id"):
        return "ExecutorID in Call and in TaskStatus do not match"
    return None


async def executor_endpoint(request: web.Request) -> web.StreamResponse:
    agent = request.app[AGENT_KEY]
    if request.method != "POST":
        return web.Response(status=405, headers={"Allow": "POST"})
    if request.headers.get("Content-Type") != "application/json":
        return web.Response(status=415, text="Expecting 'Content-Type' of application/json")
    try:
        call = json.loads(await request.read())
        framework_id = call["framework_id"]["value"]
        executor_id = call["executor_id"]["value"]
        kind = call["type"]
    except (ValueError, KeyError, TypeError) as error:
        return _bad(f"Failed to convert JSON into Call protobuf: {error}")
    executor = agent.executors.get((framework_id, executor_id))
    if executor is None:
        return _bad(f"Executor {executor_id} of framework {framework_id} is not known to this agent")
    if kind == "SUBSCRIBE":
        return await _stream(request, executor, call.get("subscribe", {}).get("unacknowledged_tasks", []))
    if kind == "UPDATE":
        error = check_update(call)
        if error:
            return _bad(error)
        status = dict(call["update"]["status"])
        run = agent.tasks.get((framework_id, status["task_id"]["value"]))
        if run is None:
            return web.Response(status=202)
        status["agent_id"] = {"value": agent.id}
        status["executor_id"] = {"value": executor_id}
        status["timestamp"] = float(status.get("timestamp", 0))
        if status["state"] == "TASK_RUNNING" and "container_status" not in status:
            status["container_status"] = container_status(executor.container_id, agent.ip)
            if executor.process is not None:
                status["container_status"]["executor_pid"] = executor.process.pid
        agent.accept_update(run, status)
        executor.send({"type": "ACKNOWLEDGED", "acknowledged": {"task_id": status["task_id"],
                                                                "uuid": status["uuid"]}})
        return web.Response(status=202)
    if kind == "MESSAGE":
        agent.executor_message(executor, call.get("message", {}).get("data", ""))
        return web.Response(status=202)
    return web.Response(status=202)


async def _stream(request: web.Request, executor, unacknowledged_tasks: list[dict]) -> web.StreamResponse:
    stream = EventStream()
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    executor.subscribe(stream, unacknowledged_tasks)
    log.info("executor %s of framework %s subscribed", executor.executor_id, executor.framework_id)
    try:
        while True:
            try:
                event = await asyncio.wait_for(stream.events.get(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                event = {"type": "HEARTBEAT"}
            if event is None:
                break
            await response.write(recordio.encode(event))
        await response.write_eof()
    except ConnectionError:
        pass
    finally:
        stream.closed = True
        if executor.stream is stream:
            executor.stream = None
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/api/v1/executor", executor_endpoint)
    app.router.add_route("*", "/slave(1)/api/v1/executor", executor_endpoint)
