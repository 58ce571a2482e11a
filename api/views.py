"""Helpers the blueprints share: rendering apps from a snapshot and answering deployment-creating calls."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from flask import Response, jsonify

from api.formats import app_json
from framework.store import Snapshot


def deployments_by_app(snapshot: Snapshot) -> dict[str, list[str]]:
    """app id -> ids of the running deployments that change it."""
    found: dict[str, list[str]] = {}
    for plan in snapshot.deployments.values():
        for app_id in plan.get("affectedApps", ()):
            found.setdefault(app_id, []).append(plan["id"])
    return found


def last_failure(snapshot: Snapshot, app_id: str) -> Mapping | None:
    """The app's last task failure as the leader recorded it (Marathon's lastTaskFailure), or None."""
    return snapshot.failures.get(app_id)


def render_apps(snapshot: Snapshot, apps: Iterable[Mapping], embed: Iterable[str]) -> list[dict]:
    embed = set(embed)
    now = time.time()
    by_app = deployments_by_app(snapshot)
    tasks = snapshot.tasks
    return [app_json(app, tasks.get(app["id"]), by_app.get(app["id"], []), embed, now=now,
                     last_failure=last_failure(snapshot, app["id"]))
            for app in apps]


def deployment_answer(plan: Mapping, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Marathon's answer to a deployment-creating call: the ids in the body and a header."""
    response = jsonify({"deploymentId": plan["id"], "version": plan["version"]})
    response.status_code = status
    response.headers["Marathon-Deployment-Id"] = plan["id"]
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
