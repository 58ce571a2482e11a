"""The audit log: every accepted write (POST, PUT, PATCH, DELETE answered 2xx) recorded in ZooKeeper with
who, when, what and what it produced; read at ``GET /v2/audit[?limit=N]``, newest first.

A record is ``{"time", "user", "method", "route", "client", "status", "version"?, "deploymentId"?}``:
``user`` is the authenticated principal, ``"anonymous"`` when auth is off; ``route`` is the path with its
query; ``client`` the peer address as the server saw it (a proxy in front shows as itself: forwarded
headers are the client's to forge); version and deploymentId come from the answer's JSON or its
``Marathon-Deployment-Id`` header. Refused writes (4xx, 5xx) are not recorded: nothing changed.

Reading it needs admin permission on ``/`` (the whole tree): it shows every user's changes to every app.
It is kept to the newest ``AUDIT_KEPT`` records (default 1,000; framework.store.audit trims).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from kazoo.interfaces import IAsyncResult

from api import auth
from api.backend import backend
from api.errors import ApiError
from framework.store import DEFAULT_AUDIT_KEPT, AuditStore, StoreError
from framework.timeutil import format_ts

log = logging.getLogger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API = "/v2/"  # the dashboard's form posts are recorded through the /v2 calls they make, not themselves
ANONYMOUS = "anonymous"

bp = Blueprint("audit", __name__)


def audit_record(*, user: str | None, method: str, route: str, client: str | None, status: int,
                 answer: Any, headers: Mapping[str, str], now: float) -> dict:
    """The record of one accepted write; ``answer`` is the decoded JSON body (None when there is none)."""
    record = {"time": format_ts(now), "user": user or ANONYMOUS, "method": method, "route": route,
              "client": client, "status": status}
    if isinstance(answer, dict):
        if isinstance(answer.get("version"), str):
            record["version"] = answer["version"]
        deployments = answer.get("deployments")
        if isinstance(answer.get("deploymentId"), str):
            record["deploymentId"] = answer["deploymentId"]
        elif isinstance(deployments, list) and deployments and isinstance(deployments[0], dict):
            record["deploymentId"] = deployments[0].get("id")
    if "deploymentId" not in record and headers.get("Marathon-Deployment-Id"):
        record["deploymentId"] = headers["Marathon-Deployment-Id"]
    return record


def is_recorded(method: str, path: str, status: int) -> bool:
    """An accepted API write. Not a /ui/ form post: answered 200 with a confirmation page, it changed nothing,
    and once confirmed, its /v2 call is recorded on its own."""
    return method in WRITES and path.startswith(API) and 200 <= status < 300


def _audit_store() -> AuditStore:
    return AuditStore(backend().store.nodes, int(current_app.config.get("AUDIT_KEPT", DEFAULT_AUDIT_KEPT)))


def _route() -> str:
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def init_app(app: Flask) -> None:
    """Records accepted writes after they are answered (an after_request hook: the write views stay as
    they are). The record is sent before the answer, which does not wait for ZooKeeper to store it (the
    worker's later reads see it: one session's requests are served in order). A record that cannot be
    stored is logged, and the client still gets its answer: the write itself was done."""
    app.register_blueprint(bp)

    @app.after_request
    def _record(response: Response) -> Response:
        if not is_recorded(request.method, request.path, response.status_code):
            return response
        principal = g.get("principal")
        answer = response.get_json(silent=True) if response.is_json and not response.is_streamed else None
        record = audit_record(user=principal.name if principal is not None else None, method=request.method,
                              route=_route(), client=request.remote_addr, status=response.status_code,
                              answer=answer, headers=response.headers, now=time.time())
        try:
            _audit_store().append(record).rawlink(functools.partial(_stored, record))
        except (StoreError, ApiError) as error:
            _stored(record, error)
        return response


def _stored(record: dict, outcome: IAsyncResult | Exception) -> None:
    """Logs a record that could not be stored (on kazoo's completion thread when it was sent)."""
    try:
        if isinstance(outcome, Exception):
            raise outcome
        outcome.get()
    except Exception as error:
        log.error("audit record of %s %s by %s not stored: %s", record["method"], record["route"],
                  record["user"], error)


@bp.get("/v2/audit")
def read_audit() -> Response:
    auth.require("admin", "/")
    raw = request.args.get("limit")
    limit = None
    if raw is not None:
        if not raw.strip().isdigit():
            raise ApiError(400, f"Query parameter 'limit' must be a number of 0 or more, not '{raw}'")
        limit = int(raw)
    try:
        records = _audit_store().recent(limit)
    except StoreError as error:
        log.error("could not read the audit log: %s", error)
        raise ApiError(503, "Could not read the audit log from ZooKeeper") from None
    return jsonify({"entries": records})
