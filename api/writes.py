"""Deployment-creating writes: desired app definitions plus their plan, committed in one transaction.

Every write re-reads the apps it changes and the running deployments from ZooKeeper (not the mirror),
because the 409 answer and the compare-and-set must be exact; a lost compare-and-set is retried a few
times against fresh state. ``force=true`` overrides the blocking deployments: they are deleted in the
same transaction that creates the new plan (Marathon cancels them too).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping

from flask import current_app, has_request_context, request

from api import serviceports
from api.backend import Backend
from api.errors import ApiError, locked
from framework.deploy.plan import DependencyCycleError, conflicts, make_plan
from framework.model import marathon_view
from framework.store import AppChange, Conflict, NodeWrite, NotFound, Snapshot, StoreError
from framework.store.codec import encode
from framework.timeutil import format_ts

log = logging.getLogger(__name__)

ATTEMPTS = 5
_NOT_CONFIG = ("instances", "version", "versionInfo")


def stamp(app: dict, before: Mapping | None, now: float, *, restart: bool = False) -> dict:
    """Sets ``version`` and ``versionInfo`` as Marathon does: a pure scale keeps lastConfigChangeAt."""
    ts = format_ts(now)
    app["version"] = ts
    info = dict((before or {}).get("versionInfo") or {})
    if before is not None and not restart and _config(before) == _config(app):
        app["versionInfo"] = {"lastScalingAt": ts,
                              "lastConfigChangeAt": info.get("lastConfigChangeAt", before.get("version", ts))}
    else:
        app["versionInfo"] = {"lastScalingAt": ts, "lastConfigChangeAt": ts}
    return app


def _config(app: Mapping) -> dict:
    return {key: value for key, value in app.items() if key not in _NOT_CONFIG}


Target = dict | None | Callable[[dict | None], dict | None]


def deploy(be: Backend, targets: Mapping[str, Target], *, force: bool, kind: str | None = None,
           must_exist: bool = False, must_not_exist: bool = False, keep_version: bool = False,
           dry_run: bool = False) -> dict:
    """Writes ``targets`` (app id -> new app without version, None to delete, or a function of the
    freshly read current app returning either) with their plan. ``keep_version`` keeps a given
    ``version`` (rollbacks to an original definition); ``dry_run`` returns the plan unwritten.

    Returns the plan (its ``id`` and ``version`` are the answer's deploymentId/version). Raises ApiError:
    404 (must_exist and missing), 409 (exists, locked without force, or lost every retry), 422 (cycle).
    """
    store = be.store
    port_range = current_app.config["SERVICE_PORTS"]
    for _attempt in range(ATTEMPTS):
        now = time.time()
        found = {app_id: store.get_app(app_id) for app_id in targets}
        for app_id, current in found.items():
            if must_exist and current is None:
                raise ApiError(404, f"App '{app_id}' does not exist")
            if must_not_exist and current is not None:
                raise ApiError(409, f"An app with id [{app_id}] already exists.")
        original = {app_id: current[0] for app_id, current in found.items() if current is not None}
        target: dict[str, dict] = {}
        changes: list[AppChange] = []
        for app_id, wanted in targets.items():
            current = found[app_id]
            app = wanted(current[0] if current else None) if callable(wanted) else wanted
            if app is None:
                if current is not None:
                    changes.append(AppChange(app_id, None, current[1]))
                continue
            new = dict(app)
            serviceports.keep_existing(new, current[0] if current else None)
            if not (keep_version and new.get("version")):
                new = stamp(new, current[0] if current else None, now, restart=kind == "restart")
            target[app_id] = new
            changes.append(AppChange(app_id, new, current[1] if current else None))
        written = [change.app for change in changes if change.app is not None]
        deleted = [change.app_id for change in changes if change.app is None]
        ports_record = None
        if serviceports.needs_assignment(written) or deleted:
            record, record_version = serviceports.read_record(store)
            try:
                new_record = serviceports.assign(written, deleted, be.snapshot().apps, record,
                                                 now=now, port_range=port_range)
            except serviceports.PortsExhausted as error:
                raise ApiError(422, "Object is not valid", details=[{"path": "/portDefinitions",
                                                                      "errors": [str(error)]}]) from None
            ports_record = NodeWrite(store.layout.service_ports, encode(new_record, what="service ports"),
                                     record_version)
        try:
            plan = make_plan(original, target, deployment_id=str(uuid.uuid4()), now=now, kind=kind)
        except DependencyCycleError as error:
            raise ApiError(422, "Object is not valid",
                           details=[{"path": "/dependencies", "errors": [str(error)]}]) from None
        running = store.list_deployments()
        blockers = conflicts(plan, running.values())
        if blockers and not force:
            raise locked(blockers)
        if dry_run:
            return plan
        deployment = plan if plan["steps"] else None
        try:
            store.commit(changes, deployment=deployment, cancel=blockers,
                         writes=[ports_record] if ports_record else [])
        except (Conflict, NotFound) as error:
            log.info("write of %s lost a compare-and-set (%s); retrying", ", ".join(targets), error)
            continue
        except StoreError as error:
            log.warning("write of %s failed: %s", ", ".join(targets), error)
            raise ApiError(503, f"Could not write to ZooKeeper: {error}") from None
        log.info("deployment %s: %s (%s)", plan["id"], ", ".join(plan["affectedApps"]) or "no change",
                 kind or "deploy")
        _post_events(be, [change.app for change in changes if change.app is not None])
        _wait_visible(be, target, deleted, deployment["id"] if deployment else None, blockers)
        return plan
    raise ApiError(409, "The apps were changed concurrently; please retry")


def _post_events(be: Backend, apps: list[dict]) -> None:
    """Marathon's api_post_event for each definition written (fire and forget)."""
    if not has_request_context():
        return
    for app in apps:
        try:
            be.store.append_event({"eventType": "api_post_event", "timestamp": app["version"],
                                   "clientIp": request.remote_addr, "uri": request.path,
                                   "appDefinition": marathon_view(app)})
        except StoreError as error:
            log.warning("could not record api_post_event for %s: %s", app["id"], error)


def _wait_visible(be: Backend, target: Mapping[str, dict], deleted: list[str], deployment_id: str | None,
                  cancelled: list[str]) -> None:
    """Read-your-writes: the next GET on this worker shows what was just written."""

    def shown(snap: Snapshot) -> bool:
        apps = snap.apps
        return (all(app_id in apps and apps[app_id].get("version") == app["version"]
                    for app_id, app in target.items())
                and all(app_id not in apps for app_id in deleted)
                and (deployment_id is None or deployment_id in snap.deployments)
                and not any(old in snap.deployments for old in cancelled))

    be.wait_visible(shown)
