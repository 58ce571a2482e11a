"""/v2/events: Server-Sent Events from the mirror's event feed (events the leader and the API append).

A stream is a thread waiting on its inbox (api/event_hub.py), from a pool of its own on top of the request
threads (api/serve.py), so open streams do not take request capacity; their number is bounded per client
address and in all, across workers (api/stream_quota.py), and a client past a bound gets a 429 that says
which. A client's hang-up ends its stream at once (api/hangups.py). Heartbeats are SSE comments
(``:``), which clients ignore and which let a dead connection be noticed.

Each stream's opening and end are published as `event_stream_attached`/`event_stream_detached` with the
client's address, as Marathon does, to the streams of the same worker process that ask for those types
(``event_type=``). Not to every stream: a thousand subscribers connecting would cost a million frames; and
not through ZooKeeper: a thousand event nodes written at once slowed every worker's mirror for seconds.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request

from api import auth, hangups, params
from api.backend import backend
from api.errors import ApiError
from api.event_hub import CLOSED, OVERFLOW, EventHub
from framework.deploy.events import plan_format
from framework.store import Mirror
from framework.timeutil import now_ts

log = logging.getLogger(__name__)
bp = Blueprint("events", __name__)

QUEUE_LIMIT = 10_000
STREAM_EVENTS = frozenset({"event_stream_attached", "event_stream_detached"})
_hubs: weakref.WeakKeyDictionary[Mirror, EventHub] = weakref.WeakKeyDictionary()


def frame(event: dict) -> str:
    """One SSE message: ``event:`` line with the type, ``data:`` line with compact JSON."""
    return f"event: {event.get('eventType', 'unknown')}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"


def wanted_by(event: dict, wanted: set[str]) -> bool:
    """Whether a stream asking for the types `wanted` (none: all) gets `event`."""
    kind = event.get("eventType")
    return kind in wanted if wanted else kind not in STREAM_EVENTS


def end_all_streams() -> None:
    """Ends the open streams of this process (SIGTERM in a worker: a graceful stop then does not wait out
    its timeout for clients that would hold their streams forever)."""
    for hub in list(_hubs.values()):
        hub.close_all()


def _hub(mirror: Mirror) -> EventHub:
    hub = _hubs.get(mirror)
    if hub is None:
        hub = _hubs[mirror] = EventHub(mirror.subscribe_events, QUEUE_LIMIT)
    return hub


def _announce(hub: EventHub, kind: str, address: str) -> dict:
    event = {"remoteAddress": address, "eventType": kind, "timestamp": now_ts()}
    hub.publish(event)
    return event


@bp.get("/v2/events")
def events() -> Response:
    auth.require("read")
    wanted = set(params.multi("event_type"))
    slim = request.args.get("plan-format", "").lower() == "light"
    heartbeat = float(current_app.config["EVENT_HEARTBEAT"])
    address = request.remote_addr or "unknown"
    hub = _hub(backend().mirror)
    quota = current_app.config["EVENT_STREAM_QUOTA"]
    refusal = quota.acquire(address)
    if refusal is not None:
        raise ApiError(429, refusal.message, headers={"Retry-After": "10"})
    inbox = hub.open(lambda event: wanted_by(event, wanted))
    sock = request.environ.get("gunicorn.socket")  # none in-process (tests): nothing to watch
    if sock is not None:
        hangups.watcher().watch(sock, lambda: inbox.end(CLOSED))

    def stream() -> Iterator[str]:
        yield frame(_announce(hub, "event_stream_attached", address))
        while True:
            item = inbox.next(heartbeat)
            if item is None:
                yield ":\n\n"
            elif item is OVERFLOW:
                log.warning("event stream to %s fell %d events behind; closing it", address, QUEUE_LIMIT)
                return
            elif item is CLOSED:
                return
            else:
                yield frame(plan_format(item, light=slim))

    def ended() -> None:  # the server closes the response however it ends, even before its first frame
        if sock is not None:
            hangups.watcher().forget(sock)
        hub.close(inbox)
        quota.release(address)
        _announce(hub, "event_stream_detached", address)

    response = Response(stream(), mimetype="text/event-stream")
    response.call_on_close(ended)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
