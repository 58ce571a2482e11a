"""/v2/tasks and /v2/apps/{id}/tasks: listing tasks and asking the leader to kill them.

The API never talks to Mesos: a kill is a request node for the leader (``store.requests.submit``). With
``scale=true`` the app's ``instances`` is lowered by the number killed in the same call (a deployment),
so the leader does not replace them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Blueprint, Response, jsonify, request

from api import auth, params
from api.backend import backend
from api.blueprints.apps import known_app
from api.errors import ApiError, not_valid
from api.formats import task_json
from api.group_changes import deploy
from api.views import deployment_answer
from framework.model import app_id_of_task, service_ports, task_host_ports
from framework.store import Snapshot, StoreError

bp = Blueprint("tasks", __name__)

STATUS = {"running": ("TASK_RUNNING",), "staging": ("TASK_STAGING", "TASK_STARTING"),
          "staged": ("TASK_STAGING", "TASK_STARTING"), "starting": ("TASK_STARTING",),
          "killing": ("TASK_KILLING",), "unreachable": ("TASK_UNREACHABLE",)}


def wants_text() -> bool:
    """Marathon answers text/plain when the client prefers it (``Accept: text/plain``)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/plain"])
    return best == "text/plain" and request.accept_mimetypes["text/plain"] > request.accept_mimetypes[
        "application/json"]


def text_lines(snap: Snapshot, app_ids: Iterable[str]) -> str:
    """Marathon's plain-text task list: per app and service port, ``app<TAB>port<TAB>host:port...``.

    A task's ``ports`` hold only the host ports it got, so they are paired with the app's ports by
    `task_host_ports`; a port without a host port (a container-network mapping without hostPort) lists
    no endpoint."""
    lines = []
    for app_id in sorted(app_ids):
        app = snap.apps.get(app_id)
        if app is None:
            continue
        running = [t for t in (snap.tasks.get(app_id) or {}).values() if t.get("state") == "TASK_RUNNING"]
        name = app_id.lstrip("/").replace("/", "_")
        ports = service_ports(app)
        if not ports:
            lines.append("\t".join([name, " ", *sorted(t.get("host") or "" for t in running)]))
        host_ports = [(t.get("host"), task_host_ports(app, t.get("ports") or [])) for t in running]
        for index, port in enumerate(ports):
            endpoints = sorted(f"{host}:{by_index[index]}" for host, by_index in host_ports
                               if by_index[index] is not None)
            lines.append("\t".join([name, str(port), *endpoints]))
    return "".join(line + "\n" for line in lines)


def _states() -> set[str] | None:
    wanted = params.multi("status")
    if not wanted:
        return None
    states: set[str] = set()
    for value in wanted:
        states.update(STATUS.get(value.lower(), ("TASK_" + value.upper(),)))
    return states


def _render(snap: Snapshot, tasks: Iterable[Mapping]) -> list[dict]:
    return [task_json(task, snap.apps.get(task.get("appId"))) for task in tasks]


@bp.get("/v2/tasks")
def list_tasks() -> Response:
    auth.require("read")
    snap = backend().snapshot()
    visible = [app_id for app_id in snap.tasks if auth.visible(app_id)]
    if wants_text():
        return Response(text_lines(snap, visible), mimetype="text/plain")
    states = _states()
    chosen = [task for app_id in sorted(visible) for _, task in sorted(snap.tasks[app_id].items())
              if states is None or task.get("state") in states]
    return jsonify({"tasks": _render(snap, chosen)})


@bp.get("/v2/apps/<path:app_id>/tasks")
def app_tasks(app_id: str) -> Response:
    app_id, snap = known_app(app_id, "read")
    if wants_text():
        return Response(text_lines(snap, [app_id]), mimetype="text/plain")
    tasks = [task for _, task in sorted((snap.tasks.get(app_id) or {}).items())]
    return jsonify({"tasks": _render(snap, tasks)})


def kill(snap: Snapshot, by_app: Mapping[str, list[Mapping]], *, scale: bool, wipe: bool,
         force: bool) -> Response | None:
    """Asks the leader to kill the tasks; with scale, lowers instances first. Returns the deployment
    answer when scaling, else None (callers answer with the tasks)."""
    plan = None
    if scale:
        def lowered(count: int):
            def build(current: dict | None) -> dict:
                if current is None:
                    raise ApiError(404, "App does not exist")
                app = {k: v for k, v in current.items() if k not in ("version", "versionInfo")}
                app["instances"] = max(0, int(app.get("instances", 0)) - count)
                return app
            return build

        targets = {app_id: lowered(len(tasks)) for app_id, tasks in by_app.items() if tasks}
        if targets:
            plan = deploy(backend(), targets, force=force, must_exist=True)
    task_ids = [task["id"] for tasks in by_app.values() for task in tasks]
    if task_ids:
        try:
            backend().store.requests.submit({"type": "kill", "taskIds": task_ids, "scale": scale, "wipe": wipe})
        except StoreError as error:
            raise ApiError(503, f"Could not write to ZooKeeper: {error}") from None
    if plan is not None:
        return deployment_answer(plan)
    return None


@bp.delete("/v2/apps/<path:app_id>/tasks")
def kill_app_tasks(app_id: str) -> Response:
    app_id, snap = known_app(app_id, "write")
    host = request.args.get("host")
    tasks = [t for _, t in sorted((snap.tasks.get(app_id) or {}).items()) if host is None or t.get("host") == host]
    answer = kill(snap, {app_id: tasks}, scale=params.flag("scale"), wipe=params.flag("wipe"),
                  force=params.flag("force"))
    return answer or jsonify({"tasks": _render(snap, tasks)})


@bp.delete("/v2/apps/<path:app_id>/tasks/<task_id>")
def kill_app_task(app_id: str, task_id: str) -> Response:
    app_id, snap = known_app(app_id, "write")
    task = (snap.tasks.get(app_id) or {}).get(task_id)
    if task is None:
        raise ApiError(404, f"Task '{task_id}' does not exist")
    answer = kill(snap, {app_id: [task]}, scale=params.flag("scale"), wipe=params.flag("wipe"),
                  force=params.flag("force"))
    return answer or jsonify({"task": _render(snap, [task])[0]})


@bp.post("/v2/tasks/delete")
def kill_tasks() -> Response:
    body = params.json_body()
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise not_valid([{"path": "/ids", "errors": ["expected an array of task ids"]}])
    snap = backend().snapshot()
    by_app: dict[str, list[Mapping]] = {}
    for task_id in ids:
        try:
            app_id = app_id_of_task(task_id)
        except ValueError:
            raise ApiError(404, f"Task '{task_id}' does not exist") from None
        task = (snap.tasks.get(app_id) or {}).get(task_id)
        if task is None:
            raise ApiError(404, f"Task '{task_id}' does not exist")
        auth.require("write", app_id)
        by_app.setdefault(app_id, []).append(task)
    answer = kill(snap, by_app, scale=params.flag("scale"), wipe=params.flag("wipe"), force=params.flag("force"))
    return answer or jsonify({"tasks": _render(snap, [t for tasks in by_app.values() for t in tasks])})
