"""/v2/info, /v2/leader, /ping and /metrics: what this server is, who leads, and how it is doing."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from api import auth
from api.backend import backend
from api.errors import ApiError
from framework.model import defaults

bp = Blueprint("info", __name__)

# The Marathon API level we implement, for clients that look at /v2/info's version.
MARATHON_VERSION = "1.10.0"
BUILDREF = "balalaika-0.1.0"


def leader_address(leader: object) -> str | None:
    """``host:port`` of the scheduler leader from the mirror's leader-info (a dict or a string)."""
    if isinstance(leader, dict):
        host, port = leader.get("host"), leader.get("port")
        if host:
            return f"{host}:{port}" if port else str(host)
        return None
    return str(leader) if leader else None


# /ping's representations, the first for clients that accept anything (or say nothing), as Marathon offers them.
PING_TYPES = ("text/plain", "text/html", "application/json")


@bp.get("/ping")
def ping() -> Response:
    """Liveness: answers without touching ZooKeeper, as Marathon's does, in the type the client prefers:
    the JSON string ``"pong"`` for ``application/json`` (deployment tools parse it), ``pong`` as text
    otherwise, and 204 without a body for a client that accepts none of these."""
    if not request.accept_mimetypes:
        return Response("pong", mimetype="text/plain")
    chosen = request.accept_mimetypes.best_match(PING_TYPES)
    if chosen is None:
        return Response(status=204)
    return Response('"pong"' if chosen == "application/json" else "pong", mimetype=chosen)


@bp.get("/v2/leader")
def leader() -> Response:
    auth.require("read")
    address = leader_address(backend().snapshot().leader)
    if address is None:
        raise ApiError(404, "There is no leader")
    return jsonify({"leader": address})


@bp.get("/v2/info")
def info() -> Response:
    auth.require("read")
    snap = backend().snapshot()
    address = leader_address(snap.leader)
    low, high = current_app.config["SERVICE_PORTS"]
    config = current_app.config
    return jsonify({
        "name": "balalaika",
        "version": MARATHON_VERSION,
        "buildref": BUILDREF,
        "elected": address is not None,
        "leader": address,
        "frameworkId": snap.framework_id,
        "marathon_config": {
            "framework_name": "balalaika",
            "ha": True,
            "hostname": request.host.split(":")[0],
            "local_port_min": low,
            "local_port_max": high,
            "features": [],
            "failover_timeout": 604800,
            "mesos_role": defaults.ROLE,
            "master": (snap.leader or {}).get("master") if isinstance(snap.leader, dict) else None,
            "webui_url": None,
        },
        "zookeeper_config": {
            "zk": f"zk://{config.get('ZK_HOSTS') or ''}{config.get('ZK_ROOT')}",
            "zk_max_node_size": 512 * 1024,
            "zk_session_timeout": 10000,
            "zk_timeout": 10000,
        },
        "http_config": {"http_port": _port(), "https_port": _port() if request.scheme == "https" else None},
        "event_subscriber": {"type": "sse_event_stream"},
    })


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format (api/metrics.py).

    Request series (``balalaika_api_requests_total``, ``balalaika_api_request_duration_seconds``) are the
    sums over every gunicorn worker of this server, whichever worker answers the scrape; they reset only
    when the server restarts. State gauges (apps, tasks by state, deployments, queue) come from the
    ZooKeeper mirror: with several api servers, aggregate them with ``max``, not ``sum``.
    """
    auth.require("read")
    return current_app.extensions["balalaika.metrics"].exposition()


def _port() -> int | None:
    _, _, port = request.host.partition(":")
    return int(port) if port.isdigit() else None
