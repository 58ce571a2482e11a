"""/v2/apps: list, create, update (full, partial, bulk), delete, restart, versions."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Blueprint, Response, current_app, jsonify, request

from api import auth, params
from api.appupdate import is_rollback, merge, without_generated
from api.backend import backend
from api.errors import ApiError, app_not_found, not_valid
from api.group_changes import deploy
from api.listing import FragmentCache
from api.selectors import label_selector
from api.views import deployment_answer, render_apps
from framework.model import ValidationError, marathon_view, normalize_app
from framework.model.paths import problems, resolve
from framework.store import NotFound, Snapshot, StoreError

log = logging.getLogger(__name__)
bp = Blueprint("apps", __name__)

SINGLE_APP_EMBED = ("apps.tasks", "apps.counts", "apps.deployments", "apps.lastTaskFailure")


def normalized(raw: object, base: str = "/") -> dict:
    """The canonical app; 422 in Marathon's shape for anything invalid (never a 500 for bad input)."""
    try:
        return normalize_app(raw, base_path=base)  # type: ignore[arg-type]
    except ValidationError as error:
        raise not_valid(error.details) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as error:
        log.warning("app definition rejected by an unexpected %s: %s", type(error).__name__, error)
        raise not_valid([{"path": "/", "errors": [f"invalid definition: {error}"]}]) from None


def app_path(app_id: str) -> str:
    """The absolute id of a URL's app id; 404 for ids that cannot name an app."""
    resolved = resolve(app_id)
    if resolved == "/" or problems(resolved):
        raise app_not_found(resolved)
    return resolved


def known_app(raw_id: str, level: str) -> tuple[str, Snapshot]:
    """The absolute id of an app the caller may act on at ``level``, with the snapshot showing it; 404
    when the mirror does not know it."""
    app_id = app_path(raw_id)
    auth.require(level, app_id)
    snap = backend().snapshot()
    if app_id not in snap.apps:
        raise app_not_found(app_id)
    return app_id, snap


def embeds() -> set[str]:
    """embed values, with the single-app spelling ``app.tasks`` read as ``apps.tasks``."""
    return {("apps." + value[4:]) if value.startswith("app.") else value for value in params.multi("embed")}


def _filtered(apps: Mapping[str, dict]) -> list[dict]:
    cmd = request.args.get("cmd")
    id_part = request.args.get("id")
    label = request.args.get("label")
    selector = label_selector(label) if label else None
    chosen = []
    for app_id in sorted(apps):
        app = apps[app_id]
        if cmd and cmd not in (app.get("cmd") or ""):
            continue
        if id_part and id_part not in app_id:
            continue
        if selector is not None and not selector(app.get("labels") or {}):
            continue
        if auth.visible(app_id):
            chosen.append(app)
    return chosen


@bp.get("/v2/apps")
def list_apps() -> Response:
    auth.require("read")
    snap = backend().snapshot()
    cache = current_app.extensions.setdefault("balalaika.listing", FragmentCache())
    return Response(cache.render(snap, _filtered(snap.apps), embeds()), mimetype="application/json")


@bp.post("/v2/apps")
def create_app() -> Response:
    body = params.json_body()
    app = normalized(body)
    auth.require("write", app["id"])
    plan = deploy(backend(), {app["id"]: app}, force=params.flag("force"), must_not_exist=True)
    snap = backend().snapshot()
    written = plan["target"].get(app["id"]) or snap.apps.get(app["id"]) or app
    out = render_apps(snap, [written], {"apps.tasks"})[0]
    out["deployments"] = [{"id": plan["id"]}]
    response = jsonify(out)
    response.status_code = 201
    response.headers["Location"] = f"/v2/apps{app['id']}"
    response.headers["Marathon-Deployment-Id"] = plan["id"]
    return response


def _updater(app_id: str, body: dict, *, partial: bool):
    """The function deploy() calls with the freshly read current app to get the new definition."""

    def build(current: dict | None) -> dict:
        if current is not None and is_rollback(body):
            return _stored_version(app_id, body["version"])
        if current is not None and partial:
            return normalized(merge(current, body, app_id))
        return normalized({**without_generated(body), "id": app_id})

    return build


def _stored_version(app_id: str, version: str) -> dict:
    try:
        app = backend().store.apps.get_version(app_id, str(version))
    except StoreError:
        app = None
    if app is None:
        raise ApiError(404, f"App '{app_id}' does not exist in version {version}")
    return {key: value for key, value in app.items() if key not in ("version", "versionInfo")}


@bp.put("/v2/apps")
@bp.patch("/v2/apps")
def update_apps() -> Response:
    body = params.json_body(expect=list)
    partial = request.method == "PATCH" or params.flag("partialUpdate", True)
    targets = {}
    for index, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise not_valid([{"path": f"/({index})/id", "errors": ["error.path.missing"]}])
        app_id = app_path(item["id"])
        auth.require("write", app_id)
        targets[app_id] = _updater(app_id, item, partial=partial)
    if not targets:
        raise not_valid([{"path": "/", "errors": ["no apps given"]}])
    plan = deploy(backend(), targets, force=params.flag("force"))
    return deployment_answer(plan)


@bp.get("/v2/apps/<path:app_id>")
def get_app(app_id: str) -> Response:
    auth.require("read")
    snap = backend().snapshot()
    if app_id.endswith("*"):
        prefix = resolve(app_id[:-1].rstrip("/")).rstrip("/") + "/"
        apps = {i: a for i, a in snap.apps.items() if i.startswith(prefix)}
        return jsonify({"apps": render_apps(snap, _filtered(apps), embeds())})
    app_id = app_path(app_id)
    app = snap.apps.get(app_id)
    if app is None:
        raise app_not_found(app_id)
    auth.require("read", app_id)
    return jsonify({"app": render_apps(snap, [app], set(SINGLE_APP_EMBED) | embeds())[0]})


@bp.put("/v2/apps/<path:app_id>")
@bp.patch("/v2/apps/<path:app_id>")
def update_app(app_id: str) -> Response:
    app_id = app_path(app_id)
    auth.require("write", app_id)
    body = params.json_body()
    patch = request.method == "PATCH"
    partial = patch or params.flag("partialUpdate", True)
    plan = deploy(backend(), {app_id: _updater(app_id, body, partial=partial)}, force=params.flag("force"),
                  must_exist=patch)
    if app_id in plan["target"] and app_id not in plan["original"]:
        return deployment_answer(plan, 201, {"Location": f"/v2/apps{app_id}"})
    return deployment_answer(plan)


@bp.delete("/v2/apps/<path:app_id>")
def delete_app(app_id: str) -> Response:
    app_id = app_path(app_id)
    auth.require("write", app_id)
    plan = deploy(backend(), {app_id: None}, force=params.flag("force"), must_exist=True)
    return deployment_answer(plan)


@bp.post("/v2/apps/<path:app_id>/restart")
def restart_app(app_id: str) -> Response:
    app_id = app_path(app_id)
    auth.require("write", app_id)

    def same(current: dict | None) -> dict:
        assert current is not None  # must_exist
        return {key: value for key, value in current.items() if key not in ("version", "versionInfo")}

    plan = deploy(backend(), {app_id: same}, force=params.flag("force"), kind="restart", must_exist=True)
    return deployment_answer(plan)


@bp.get("/v2/apps/<path:app_id>/versions")
def list_versions(app_id: str) -> Response:
    app_id = app_path(app_id)
    auth.require("read", app_id)
    try:
        versions = backend().store.apps.versions(app_id)
    except NotFound:
        raise app_not_found(app_id) from None
    return jsonify({"versions": versions})


@bp.get("/v2/apps/<path:app_id>/versions/<version>")
def get_version(app_id: str, version: str) -> Response:
    app_id = app_path(app_id)
    auth.require("read", app_id)
    try:
        app = backend().store.apps.get_version(app_id, version)
    except StoreError:  # a version that cannot be a node name
        app = None
    if app is None:
        raise ApiError(404, f"App '{app_id}' does not exist in version {version}")
    return jsonify(marathon_view(app))
