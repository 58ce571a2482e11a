"""The dashboard's pages (GET): Services, App, Edit, Deployments, Cluster. Each reads /v2 through
``local_api`` and hands view models to its template; the browser refreshes the ``data-live`` parts itself."""

from __future__ import annotations

import time
from urllib.parse import quote

from flask import current_app, render_template, request

from api.ui import local_api
from api.ui.app_view import config_of, pretty, queue_view, task_rows
from api.ui.blueprint import bp
from api.ui.cluster import agents
from api.ui.deployments import deployment_view
from api.ui.history import SHOWN_VERSIONS, compared_version, diff
from api.ui.neighbours import read_edge, read_master
from api.ui.services import breadcrumbs, group_ids, rows
from api.ui.status import app_status

APPS_QUERY = [("embed", "apps.counts"), ("embed", "apps.deployments")]


def app_url(app_id: str) -> str:
    return "/ui/apps" + quote(app_id)


@bp.app_template_filter("app_url")
def _app_url(app_id: str) -> str:
    return app_url(app_id)


@bp.app_template_filter("number")
def _number(value: float) -> str:
    """Resources without float noise: 0.30000000000000004 → 0.3, 128.0 → 128."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value)}"


@bp.errorhandler(local_api.ApiUnavailable)
def _unavailable(error: local_api.ApiUnavailable) -> tuple[str, int]:
    return render_template("ui/error.html", page=None, status=error.status, message=error.answer.message), error.status


def _queue() -> dict[str, dict]:
    return {entry["app"]["id"]: entry for entry in local_api.get("/v2/queue", [("embed", "lastUnusedOffers")])["queue"]}


@bp.get("/")
def services() -> str:
    group = "/" + request.args.get("group", "/").strip("/")
    text = request.args.get("q", "").strip()
    apps = local_api.get("/v2/apps", APPS_QUERY)["apps"]
    groups = group_ids(local_api.get("/v2/groups"))
    table = rows(apps, groups, _queue(), time.time(), group, text)
    return render_template("ui/services.html", page="services", rows=table, group=group, text=text,
                           crumbs=breadcrumbs(group), known_group=group == "/" or group in groups)


@bp.get("/apps/<path:app_id>")
def app_page(app_id: str) -> str:
    app_id = "/" + app_id.strip("/")
    app = local_api.get(f"/v2/apps{app_id}")["app"]
    versions = local_api.get(f"/v2/apps{app_id}/versions")["versions"]
    queue = _queue()
    compared = compared_version(versions, request.args.get("compare"))
    changes = None
    if compared:
        old = local_api.get(f"/v2/apps{app_id}/versions/{compared}")
        changes = diff(old, app)
    plans = {plan["id"]: plan for plan in local_api.get("/v2/deployments")}
    running = [deployment_view(plans[d["id"]], {app_id: app}) for d in app.get("deployments") or [] if d["id"] in plans]
    return render_template("ui/app.html", page="services", app=app, tasks=task_rows(app),
                           status=app_status(app, queue.get(app_id), time.time()),
                           queue=queue_view(queue.get(app_id)), failure=app.get("lastTaskFailure"),
                           config=pretty(config_of(app)), versions=versions[:SHOWN_VERSIONS],
                           more=len(versions) - SHOWN_VERSIONS,
                           compared=compared, changes=changes, deployments=running, notice=request.args.get("notice"),
                           crumbs=breadcrumbs(app_id.rsplit("/", 1)[0] or "/"))


@bp.get("/apps/<path:app_id>/edit")
def edit_page(app_id: str) -> str:
    app_id = "/" + app_id.strip("/")
    app = local_api.get(f"/v2/apps{app_id}")["app"]
    return render_template("ui/edit.html", page="services", app_id=app_id, text=pretty(config_of(app)), errors=[],
                           message=None, crumbs=breadcrumbs(app_id.rsplit("/", 1)[0] or "/"))


@bp.get("/deployments")
def deployments_page() -> str:
    plans = local_api.get("/v2/deployments")
    apps = {app["id"]: app for app in local_api.get("/v2/apps", APPS_QUERY)["apps"]}
    views = [deployment_view(plan, apps) for plan in plans]
    return render_template("ui/deployments.html", page="deployments", deployments=views,
                           notice=request.args.get("notice"))


@bp.get("/cluster")
def cluster_page() -> str:
    info = local_api.get("/v2/info")
    apps = {app["id"]: app for app in local_api.get("/v2/apps")["apps"]}
    tasks = local_api.get("/v2/tasks")["tasks"]
    edge = read_edge(current_app.config.get("EDGE_ADMIN_URL"))
    master = read_master((info.get("marathon_config") or {}).get("master"), agents(tasks, apps))
    return render_template("ui/cluster.html", page="cluster", info=info, master=master, edge=edge)

