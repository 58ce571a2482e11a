"""POST /api/v1/scheduler (and /master/api/v1/scheduler): the v1 scheduler API with Mesos's HTTP outcomes (C1).

SUBSCRIBE answers with a chunked 200 stream of RecordIO events; every other call with 202 and an empty body.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from mesoslocal.master.master import Master
from mesoslocal.master.records import Subscription
from mesoslocal.wire import recordio
from mesoslocal.wire.ids import new_stream_id
from mesoslocal.wire.validation import check_call, check_call_shape

log = logging.getLogger(__name__)
MASTER_KEY: web.AppKey[Master] = web.AppKey("master", Master)
JSON = "application/json"
PROTOBUF = "application/x-protobuf"


def _text(status: int, body: str = "", **headers: str) -> web.Response:
    return web.Response(status=status, text=body, headers=headers or None)


def accepts(accept_header: str | None, media_type: str) -> bool:
    """True when an `Accept` header allows `media_type` (a missing header allows everything)."""
    if accept_header is None:
        return True
    main = media_type.split("/")[0]
    for part in accept_header.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0 and kind in (media_type, f"{main}/*", "*/*"):
            return True
    return False


async def parse_call(request: web.Request) -> dict | web.Response:
    """The decoded call, or the 4xx response Mesos gives for it (order as in C1)."""
    if request.method != "POST":
        return _text(405, Allow="POST")
    content_type = request.headers.get("Content-Type")
    if content_type is None:
        return _text(400, "Expecting 'Content-Type' to be present")
    if content_type == PROTOBUF:
        return _text(400, "Failed to parse body into Call protobuf")  # mesoslocal speaks JSON only
    if content_type != JSON:
        return _text(415, f"Expecting 'Content-Type' of {JSON} or {PROTOBUF}")
    try:
        call = json.loads(await request.read())
    except ValueError as error:
        return _text(400, f"Failed to parse body into JSON: {error}")
    error = check_call_shape(call)
    if error:
        return _text(400, f"Failed to convert JSON into Call protobuf: {error}")
    error = check_call(call)
    if error:
        return _text(400, f"Failed to validate scheduler::Call: {error}")
    return call


async def scheduler_endpoint(request: web.Request) -> web.StreamResponse:
    master = request.app[MASTER_KEY]
    call = await parse_call(request)
    if isinstance(call, web.Response):
        return call
    if call["type"] == "SUBSCRIBE":
        accept = request.headers.get("Accept")
        if not accepts(accept, JSON) and not accepts(accept, PROTOBUF):
            return _text(406, f"Expecting 'Accept' to allow '{PROTOBUF}' or '{JSON}'")
        if "Mesos-Stream-Id" in request.headers:
            return _text(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
        return await _stream(request, master, call)
    framework = master.frameworks.get(call["framework_id"]["value"])
    if framework is None:
        return _text(400, "Framework cannot be found")
    if framework.subscription is None:
        return _text(403, "Framework is not subscribed")
    stream_id = request.headers.get("Mesos-Stream-Id")
    if stream_id is None:
        return _text(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
    if stream_id != framework.subscription.stream_id:
        return _text(400, f"The stream ID '{stream_id}' included in this request didn't match the stream ID "
                          f"currently associated with framework ID {framework.id}")
    kind = call["type"]
    handlers = {
        "TEARDOWN": lambda: master.lifecycle.remove(framework),
        "ACCEPT": lambda: master.launcher.accept(framework, call["accept"]),
        "DECLINE": lambda: master.offers.decline(framework, call["decline"]),
        "REVIVE": lambda: master.offers.revive(framework),
        "SUPPRESS": lambda: master.offers.suppress(framework),
        "KILL": lambda: master.calls.kill(framework, call["kill"]),
        "SHUTDOWN": lambda: master.calls.shutdown_executor(framework, call["shutdown"]),
        "ACKNOWLEDGE": lambda: master.forwarder.acknowledge(framework, call["acknowledge"]),
        "RECONCILE": lambda: master.calls.reconcile(framework, call["reconcile"]),
        "MESSAGE": lambda: master.calls.message(framework, call["message"]),
    }
    if kind == "UNKNOWN":
        return _text(501)
    handler = handlers.get(kind)
    if handler is None:
        log.info("framework %s: call %s accepted and ignored", framework.id, kind)
    else:
        handler()
    return _text(202)


async def _stream(request: web.Request, master: Master, call: dict) -> web.StreamResponse:
    subscription = Subscription(new_stream_id())
    response = web.StreamResponse(status=200, headers={"Content-Type": JSON,
                                                       "Mesos-Stream-Id": subscription.stream_id})
    response.enable_chunked_encoding()
    await response.prepare(request)
    master.lifecycle.subscribe(call, subscription)
    try:
        while True:
            try:
                event = await asyncio.wait_for(subscription.events.get(), timeout=master.heartbeat_interval)
            except TimeoutError:
                event = {"type": "HEARTBEAT"}
            batch = [event]
            while event is not None and not subscription.events.empty():
                event = subscription.events.get_nowait()
                batch.append(event)
            for queued in batch:
                if queued is not None:
                    # one HTTP chunk per event, as Mesos writes them: joined, 50,000 reconciliation answers made
                    # one 35 MB chunk that pymesos's pure-Python parser re-joined on every 4 KB read (stalled)
                    await response.write(recordio.encode(queued))
            if batch[-1] is None:
                break
        await response.write_eof()
    except ConnectionError:
        pass
    finally:
        master.lifecycle.stream_closed(subscription)
    return response


def add_routes(app: web.Application) -> None:
    for path in ("/api/v1/scheduler", "/master/api/v1/scheduler"):
        app.router.add_route("*", path, scheduler_endpoint)
