"""/v2/deployments: running plans, their rollback, and (force=true) their cancellation."""

from __future__ import annotations

import contextlib

from flask import Blueprint, Response, jsonify

from api import auth, params
from api.backend import backend
from api.errors import ApiError
from api.group_changes import deploy
from api.views import deployment_answer
from framework.deploy.plan import to_marathon_json
from framework.store import NotFound, StoreError

bp = Blueprint("deployments", __name__)


@bp.get("/v2/deployments")
def list_deployments() -> Response:
    auth.require("read")
    plans = sorted(backend().snapshot().deployments.values(), key=lambda plan: (plan.get("version", ""), plan["id"]))
    return jsonify([to_marathon_json(plan) for plan in plans
                    if any(auth.visible(app_id) for app_id in plan.get("affectedApps") or ["/"])])


@bp.delete("/v2/deployments/<deployment_id>")
def delete_deployment(deployment_id: str) -> Response:
    """Without force: a new deployment back to the plan's original definitions (the old plan is removed
    in the same transaction). With force: the plan is just dropped, and the apps stay as they are."""
    store = backend().store
    try:
        found = store.deployments.get(deployment_id)
    except StoreError:
        found = None
    if found is None:
        raise ApiError(404, f"DeploymentPlan {deployment_id} does not exist")
    plan = found[0]
    for app_id in plan.get("affectedApps", []):
        auth.require("write", app_id)
    if params.flag("force"):
        try:
            store.apps.settle(deployment_id)  # a big write still applying: its apps get their targets first
            store.deployments.delete(deployment_id)
        except NotFound:
            raise ApiError(404, f"DeploymentPlan {deployment_id} does not exist") from None
        except StoreError as error:
            raise ApiError(503, f"Could not write to ZooKeeper: {error}") from None
        return Response(status=202)
    original = plan.get("original") or {}
    targets = {app_id: original.get(app_id) for app_id in plan.get("affectedApps", [])}
    # force=True: the plan being rolled back (and any other plan on these apps) is replaced atomically.
    rollback = deploy(backend(), targets, force=True, kind="rollback", keep_version=True)
    if not rollback["affectedApps"]:  # nothing to undo: the plan was not replaced, so drop it
        with contextlib.suppress(NotFound):
            store.deployments.delete(deployment_id)
    return deployment_answer(rollback)
