"""/v2/groups: the app tree by id path, and writes of whole groups of apps in one deployment.

Groups are implied by app ids (``/a/b/app`` lives in ``/a/b``); explicit group nodes exist only for
groups created through this endpoint (empty groups, group dependencies). A PUT makes the group's apps
exactly those of the body: apps under the group but not in the body are removed, as in Marathon.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Blueprint, Response, jsonify

from api import auth, params
from api.backend import backend
from api.errors import ApiError, group_not_found, not_valid
from api.group_changes import deploy
from api.views import deployment_answer, render_apps
from framework.model import ValidationError, normalize_group
from framework.model.paths import parent, problems, resolve, segments
from framework.store import Conflict, NotFound, Snapshot, StoreError
from framework.timeutil import now_ts

bp = Blueprint("groups", __name__)


def group_path(group_id: str) -> str:
    resolved = resolve(group_id or "/")
    if problems(resolved):
        raise group_not_found(resolved)
    return resolved


def under(path_id: str, group_id: str) -> bool:
    return group_id == "/" or path_id.startswith(group_id.rstrip("/") + "/")


def group_ids(snap: Snapshot) -> set[str]:
    """Every group that exists: explicit ones, and every ancestor of an app or explicit group."""
    found = {"/"}
    for path_id in [*snap.apps, *snap.groups]:
        parts = segments(path_id)
        end = len(parts) if path_id in snap.groups else len(parts) - 1
        for depth in range(1, end + 1):
            found.add("/" + "/".join(parts[:depth]))
    return found


def tree(snap: Snapshot, group_id: str, ids: set[str], embed: Iterable[str]) -> dict:
    """The group as GET /v2/groups shows it, with its apps and subgroups (recursively)."""
    apps = [snap.apps[a] for a in sorted(snap.apps) if parent(a) == group_id and auth.visible(a)]
    children = sorted(g for g in ids if g != "/" and parent(g) == group_id and g != group_id)
    explicit = snap.groups.get(group_id) or {}
    versions = [a.get("version", "") for a in apps] + [explicit.get("version", "")]
    out = {
        "id": group_id,
        "apps": render_apps(snap, apps, embed),
        "groups": [tree(snap, child, ids, embed) for child in children],
        "pods": [],
        "dependencies": list(explicit.get("dependencies") or []),
        "version": max(versions) or now_ts(),
        "enforceRole": bool(explicit.get("enforceRole", False)),
    }
    return out


def _embed() -> set[str]:
    # Marathon's group embeds are group.apps.tasks etc.; ours map onto the app embeds.
    return {value.replace("group.apps", "apps") for value in params.multi("embed")}


@bp.get("/v2/groups")
@bp.get("/v2/groups/<path:group_id>")
def get_group(group_id: str = "/") -> Response:
    auth.require("read")
    if group_id.rstrip("/").endswith("versions") and resolve(group_id) != "/versions":
        return group_versions(group_id.rstrip("/")[: -len("versions")])
    group_id = group_path(group_id)
    snap = backend().snapshot()
    ids = group_ids(snap)
    if group_id not in ids:
        raise group_not_found(group_id)
    return jsonify(tree(snap, group_id, ids, _embed()))


def group_versions(group_id: str) -> Response:
    """We keep no history of groups: the current version is the only one."""
    group_id = group_path(group_id)
    snap = backend().snapshot()
    ids = group_ids(snap)
    if group_id not in ids:
        raise group_not_found(group_id)
    return jsonify([tree(snap, group_id, ids, ())["version"]])


def _normalized(body: object, base: str) -> dict:
    try:
        return normalize_group(body, base)  # type: ignore[arg-type]
    except ValidationError as error:
        raise not_valid(error.details) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as error:
        raise not_valid([{"path": "/", "errors": [f"invalid group: {error}"]}]) from None


def _flatten(group: Mapping) -> tuple[dict[str, dict], list[dict]]:
    """All apps and all groups of a normalized group tree."""
    apps = {app["id"]: app for app in group.get("apps", [])}
    groups = [group]
    for sub in group.get("groups", []):
        sub_apps, sub_groups = _flatten(sub)
        apps.update(sub_apps)
        groups += sub_groups
    return apps, groups


def _save_groups(groups: list[dict]) -> None:
    """Explicit group nodes (best effort, after the apps' transaction: they only carry dependencies), then
    read-your-writes as for apps: this worker's mirror shows them before the answer goes out."""
    try:
        store = backend().store
    except ApiError:  # ZooKeeper went away after the apps' transaction: group nodes are best effort
        return
    saved: dict[str, str] = {}
    for group in groups:
        if group["id"] == "/":
            continue
        node = {"id": group["id"], "dependencies": group.get("dependencies", []),
                "enforceRole": group.get("enforceRole", False), "version": now_ts()}
        try:
            found = store.groups.get(group["id"])
            store.groups.put(node, expected_version=None if found is None else found[1])
        except (Conflict, NotFound, StoreError):
            continue
        saved[node["id"]] = node["version"]
    if saved:
        backend().wait_visible(lambda snap: all((snap.groups.get(group_id) or {}).get("version") == version
                                                for group_id, version in saved.items()))


def _write(group_id: str, body: Mapping, *, create: bool) -> Response:
    snap = backend().snapshot()
    if "scaleBy" in body and not create:
        return _scale(snap, group_id, body["scaleBy"])
    group = _normalized(body, group_id if not create else group_id)
    root = group["id"]
    auth.require("write", root)
    if create and root in group_ids(snap) and root != "/":
        raise ApiError(409, f"Group {root} is already created. Use PUT to change this group.")
    apps, groups = _flatten(group)
    targets: dict = dict(apps)
    if not create:
        for app_id in snap.apps:
            if under(app_id, root) and app_id not in apps:
                targets[app_id] = None
    dry_run = params.flag("dryRun")
    plan = deploy(backend(), targets, force=params.flag("force"), must_not_exist=create, dry_run=dry_run)
    if dry_run:
        return jsonify({"steps": plan["steps"]})
    _save_groups(groups)
    if create:
        return deployment_answer(plan, 201, {"Location": f"/v2/groups{root}"})
    return deployment_answer(plan)


def _scale(snap: Snapshot, group_id: str, factor: object) -> Response:
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 0:
        raise not_valid([{"path": "/scaleBy", "errors": ["must be a non-negative number"]}])
    auth.require("write", group_id)
    if group_id not in group_ids(snap):
        raise group_not_found(group_id)

    def scaled(current: dict | None) -> dict | None:
        if current is None:
            return None
        app = {k: v for k, v in current.items() if k not in ("version", "versionInfo")}
        app["instances"] = int(round(app["instances"] * factor))
        return app

    targets = {app_id: scaled for app_id in snap.apps if under(app_id, group_id)}
    plan = deploy(backend(), targets, force=params.flag("force"))
    return deployment_answer(plan)


@bp.post("/v2/groups")
@bp.post("/v2/groups/<path:group_id>")
def create_group(group_id: str = "/") -> Response:
    return _write(group_path(group_id), params.json_body(), create=True)


@bp.put("/v2/groups")
@bp.put("/v2/groups/<path:group_id>")
def update_group(group_id: str = "/") -> Response:
    return _write(group_path(group_id), params.json_body(), create=False)


@bp.delete("/v2/groups")
@bp.delete("/v2/groups/<path:group_id>")
def delete_group(group_id: str = "/") -> Response:
    group_id = group_path(group_id)
    auth.require("write", group_id)
    snap = backend().snapshot()
    if group_id not in group_ids(snap):
        raise group_not_found(group_id)
    targets = {app_id: None for app_id in snap.apps if under(app_id, group_id)}
    store = backend().store
    plan = deploy(backend(), targets, force=params.flag("force"))
    for explicit in sorted(snap.groups, reverse=True):
        if under(explicit, group_id) or explicit == group_id:
            try:
                store.groups.delete(explicit)
            except (NotFound, Conflict, StoreError):
                continue
    return deployment_answer(plan)
