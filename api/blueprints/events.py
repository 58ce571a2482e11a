"""/v2/events: Server-Sent Events from the mirror's event feed (events the leader and the API append).

Each stream holds one gunicorn thread (gthread workers), so streams do not block other requests. A
bounded queue per stream decouples kazoo's completion thread from a slow client: when it overflows,
the stream ends rather than letting memory grow. Heartbeats are SSE comments (``:``), which clients
ignore and which let a dead connection be noticed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request

from api import auth, params
from api.backend import backend
from framework.deploy.plan import to_marathon_json
from framework.timeutil import now_ts

log = logging.getLogger(__name__)
bp = Blueprint("events", __name__)

QUEUE_LIMIT = 10_000
OVERFLOW = object()
# Set in a gunicorn worker on SIGTERM (api.serve): open streams end within WAKE seconds, so a graceful stop
# does not wait out its timeout for clients that would otherwise hold their threads forever.
STOPPING = threading.Event()
WAKE = 0.5


def light(event: dict) -> dict:
    """``plan-format=light``: deployment events with the plan as /v2/deployments shows it, without our
    members (the full original/target definitions)."""
    plan = event.get("plan")
    if not isinstance(plan, dict):
        return event
    return {**event, "plan": to_marathon_json(plan)}


def frame(event: dict) -> str:
    """One SSE message: ``event:`` line with the type, ``data:`` line with compact JSON."""
    return f"event: {event.get('eventType', 'unknown')}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"


@bp.get("/v2/events")
def events() -> Response:
    auth.require("read")
    wanted = set(params.multi("event_type"))
    slim = request.args.get("plan-format", "").lower() == "light"
    heartbeat = float(current_app.config["EVENT_HEARTBEAT"])
    mirror = backend().mirror
    inbox: queue.Queue = queue.Queue()
    attached = {"remoteAddress": request.remote_addr, "eventType": "event_stream_attached",
                "timestamp": now_ts()}

    def on_event(_seq: int, event: dict) -> None:
        if inbox.qsize() >= QUEUE_LIMIT:
            inbox.put(OVERFLOW)
        else:
            inbox.put(event)

    unsubscribe = mirror.subscribe_events(on_event)

    def stream() -> Iterator[str]:
        try:
            yield frame(attached)
            silent = 0.0
            while not STOPPING.is_set():
                try:
                    event = inbox.get(timeout=min(heartbeat, WAKE))
                except queue.Empty:
                    silent += min(heartbeat, WAKE)
                    if silent >= heartbeat:
                        silent = 0.0
                        yield ":\n\n"
                    continue
                silent = 0.0
                if event is OVERFLOW:
                    log.warning("event stream to %s fell behind; closing it", attached["remoteAddress"])
                    return
                if wanted and event.get("eventType") not in wanted:
                    continue
                yield frame(light(event) if slim else event)
        finally:
            with contextlib.suppress(ValueError):
                unsubscribe()

    response = Response(stream(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
