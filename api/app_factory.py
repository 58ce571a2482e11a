"""``create_app(config)``: the Flask app with its blueprints, error handlers, auth and metrics wired in.

Configuration (``config`` mapping, else environment variables, else the default):

=======================  ==========================  ==================================================================
key                      environment                 meaning
=======================  ==========================  ==================================================================
ZK_HOSTS                 BALALAIKA_ZK                kazoo hosts string (``host:port,...[/chroot]``)
ZK_ROOT                  BALALAIKA_ROOT              Balalaika's root znode, default ``/balalaika``
AUTH_FILE                BALALAIKA_AUTH_FILE         users/tokens JSON (api/auth.py); none: auth off
MAX_CONTENT_LENGTH       BALALAIKA_MAX_BODY          request body limit in bytes (413 above), 5 MiB
SERVICE_PORTS            BALALAIKA_SERVICE_PORTS     ``min-max`` range for servicePort 0, 10000-20000
SERVICE_PORTS_HOST_TURN  -                           True: this host's workers assign service ports in turn (lock file)
EVENT_HEARTBEAT          -                           seconds between SSE heartbeat comments, 15
EVENT_STREAM_QUOTA       -                           api.stream_quota.StreamQuota shared by the workers (api.serve);
                                                     else one of this process: 250 per client, 5,000 in all
AUDIT_KEPT               -                           audit records kept (api/audit.py), 1000
EDGE_ADMIN_URL           BALALAIKA_EDGE_ADMIN        balalaika-lb's stats/admin URL, for the dashboard's Cluster page
BACKEND                  -                           a ready backend object (tests); else one per worker
=======================  ==========================  ==================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from api import audit, auth, errors, metrics
from api.backend import init_backend
from api.blueprints import apps, deployments, events, groups, info, openapi, queue, tasks
from api.stream_quota import StreamQuota
from api.ui import bp as ui_blueprint

DEFAULTS = {
    "ZK_ROOT": "/balalaika",
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "SERVICE_PORTS": (10000, 20000),
    "EVENT_HEARTBEAT": 15.0,
    "WRITE_VISIBLE_TIMEOUT": 2.0,
    "SERVICE_PORTS_HOST_TURN": True,
}
ENVIRONMENT = {
    "ZK_HOSTS": "BALALAIKA_ZK",
    "ZK_ROOT": "BALALAIKA_ROOT",
    "AUTH_FILE": "BALALAIKA_AUTH_FILE",
    "MAX_CONTENT_LENGTH": "BALALAIKA_MAX_BODY",
    "SERVICE_PORTS": "BALALAIKA_SERVICE_PORTS",
    "EDGE_ADMIN_URL": "BALALAIKA_EDGE_ADMIN",
}


def create_app(config: Mapping | None = None) -> Flask:
    """The API as a WSGI app; ``config`` overrides the environment (tests pass ZK_HOSTS or BACKEND)."""
    app = Flask(__name__, static_folder=None)
    app.config.update(DEFAULTS)
    app.config.update(_from_environment())
    app.config.update(config or {})
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_CONTENT_LENGTH"])
    app.config["SERVICE_PORTS"] = _port_range(app.config["SERVICE_PORTS"])
    app.config.setdefault("EVENT_STREAM_QUOTA", StreamQuota(250, 5000, slots=1))
    # Marathon's member order reads better than sorted keys; compact output is what clients parse fastest.
    app.json.sort_keys = False
    app.json.compact = True
    app.url_map.strict_slashes = False

    errors.init_app(app)
    metrics.init_app(app)  # before auth, so that refused requests are counted too
    auth.init_app(app)
    audit.init_app(app)
    init_backend(app)
    for module in (apps, tasks, deployments, groups, queue, events, info, openapi):
        app.register_blueprint(module.bp)
    app.register_blueprint(ui_blueprint)  # the dashboard under /ui/, a client of the blueprints above
    return app


def _from_environment() -> dict:
    return {key: os.environ[name] for key, name in ENVIRONMENT.items() if os.environ.get(name)}


def _port_range(value: object) -> tuple[int, int]:
    """``(low, high)`` from a pair or a ``"low-high"`` string; raises ValueError for anything else."""
    if isinstance(value, str):
        low, _, high = value.partition("-")
        value = (int(low), int(high))
    low, high = (int(v) for v in value)  # type: ignore[union-attr]
    if not 0 < low <= high <= 65535:
        raise ValueError(f"bad service port range {low}-{high}")
    return low, high
