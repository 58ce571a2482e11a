"""/v2/queue: apps waiting for launches (written by the leader), and resetting an app's backoff delay."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import auth, params
from api.backend import backend
from api.blueprints.apps import known_app
from api.errors import ApiError
from api.views import render_apps
from framework.model import defaults
from framework.store import StoreError

bp = Blueprint("queue", __name__)


@bp.get("/v2/queue")
def list_queue() -> Response:
    auth.require("read")
    snap = backend().snapshot()
    with_offers = "lastUnusedOffers" in params.multi("embed")
    out = []
    for app_id in sorted(snap.queue):
        app = snap.apps.get(app_id)
        if app is None or not auth.visible(app_id):
            continue
        entry = snap.queue[app_id]
        item = {
            "app": render_apps(snap, [app], ())[0],
            "count": entry.get("count", 0),
            "role": app.get("role", defaults.ROLE),
            "delay": entry.get("delay") or {"timeLeftSeconds": 0, "overdue": True},
            "since": entry.get("since"),
            "processedOffersSummary": entry.get("processedOffersSummary") or {
                "processedOffersCount": 0, "unusedOffersCount": 0},
        }
        if with_offers:
            item["lastUnusedOffers"] = entry.get("lastUnusedOffers", [])
        out.append(item)
    return jsonify({"queue": out})


@bp.delete("/v2/queue/<path:app_id>/delay")
def reset_delay(app_id: str) -> Response:
    app_id, snap = known_app(app_id, "write")
    if app_id not in snap.queue:
        raise ApiError(404, f"Application {app_id} not found in tasks queue.")
    try:
        backend().store.requests.submit({"type": "reset-delay", "appId": app_id})
    except StoreError as error:
        raise ApiError(503, f"Could not write to ZooKeeper: {error}") from None
    return Response(status=204)
