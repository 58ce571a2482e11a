"""The dashboard's actions (POST): each one /v2 write on the operator's behalf, after a confirmation for
anything that stops tasks. Forms work without JavaScript: an action not yet confirmed answers with a
confirmation page, whose button posts it again with ``confirmed=yes`` (the script's dialog sets it at once).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Response, abort, redirect, render_template, request

from api.ui import local_api
from api.ui.blueprint import bp
from api.ui.editing import NotJson, field_errors, parse
from api.ui.guard import cross_site
from api.ui.pages import app_url


@bp.before_request
def _same_origin_only() -> None:
    if request.method == "POST" and cross_site(request.headers, request.host):
        abort(403)


def _confirmed() -> bool:
    return request.form.get("confirmed") == "yes"


def _force() -> dict | None:
    return {"force": "true"} if request.form.get("force") == "yes" else None


def _ask(question: str, button: str) -> str:
    """The no-script confirmation page, re-posting this form's fields with confirmed=yes."""
    fields = {key: value for key, value in request.form.items() if key != "confirmed"}
    return render_template("ui/confirm.html", page=None, question=question, button=button, action=request.path,
                           fields=fields, back=request.referrer or "/ui/")


def _outcome(answer: local_api.Answer, done: str, back: str) -> Response | tuple[str, int]:
    """Back to ``back`` with a notice, or the api's refusal with a way to force it past a deployment lock."""
    if answer.ok:
        deployment = (answer.body or {}).get("deploymentId") if isinstance(answer.body, dict) else None
        notice = done + (f" (deployment {deployment})" if deployment else "")
        return redirect(f"{back}?{urlencode({'notice': notice})}", 303)
    fields = {key: value for key, value in request.form.items() if key not in ("confirmed", "force")}
    return render_template("ui/refused.html", page=None, status=answer.status, message=answer.message,
                           locked=answer.status == 409, action=request.path, fields=fields, back=back), answer.status


def _app_id(app_id: str) -> str:
    return "/" + app_id.strip("/")


@bp.post("/apps/<path:app_id>/scale")
def scale(app_id: str) -> Response | tuple[str, int] | str:
    app_id = _app_id(app_id)
    try:
        instances = int(request.form.get("instances", ""))
    except ValueError:
        instances = -1
    if instances < 0:
        return render_template("ui/refused.html", page=None, status=400, locked=False, action=None, fields={},
                               message="Instances must be a whole number, 0 or more.", back=app_url(app_id)), 400
    current = int(request.form.get("current", instances))
    if instances < current and not _confirmed():
        return _ask(f"Scale {app_id} down from {current} to {instances} instances? Tasks will be killed.", "Scale down")
    answer = local_api.call("PUT", f"/v2/apps{app_id}", {"instances": instances}, _force())
    return _outcome(answer, f"Scaling {app_id} to {instances}", app_url(app_id))


def _asked_first(question: str, verb: str, method: str, path: str, body: dict | None, done: str,
                 back: str) -> Response | tuple[str, int] | str:
    """A destructive call, made only once the user confirmed `question` (else the confirmation page)."""
    if not _confirmed():
        return _ask(question, verb)
    return _outcome(local_api.call(method, path, body, _force()), done, back)


@bp.post("/apps/<path:app_id>/restart")
def restart(app_id: str) -> Response | tuple[str, int] | str:
    app_id = _app_id(app_id)
    return _asked_first(f"Restart {app_id}? Every task is replaced.", "Restart", "POST",
                        f"/v2/apps{app_id}/restart", None, f"Restarting {app_id}", app_url(app_id))


@bp.post("/apps/<path:app_id>/suspend")
def suspend(app_id: str) -> Response | tuple[str, int] | str:
    app_id = _app_id(app_id)
    return _asked_first(f"Suspend {app_id}? It is scaled to 0 and all its tasks are killed.", "Suspend", "PUT",
                        f"/v2/apps{app_id}", {"instances": 0}, f"Suspending {app_id}", app_url(app_id))


@bp.post("/apps/<path:app_id>/destroy")
def destroy(app_id: str) -> Response | tuple[str, int] | str:
    app_id = _app_id(app_id)
    group = app_id.rsplit("/", 1)[0] or "/"
    return _asked_first(f"Destroy {app_id}? Its tasks are killed and its definition and history are deleted.",
                        "Destroy", "DELETE", f"/v2/apps{app_id}", None, f"Destroying {app_id}",
                        "/ui/" + (f"?group={quote(group)}" if group != "/" else ""))


@bp.post("/apps/<path:app_id>/rollback")
def rollback(app_id: str) -> Response | tuple[str, int] | str:
    app_id = _app_id(app_id)
    version = request.form.get("version", "")
    return _asked_first(f"Roll {app_id} back to version {version}? Its tasks are replaced.", "Roll back", "PUT",
                        f"/v2/apps{app_id}", {"version": version}, f"Rolling {app_id} back to {version}",
                        app_url(app_id))


@bp.post("/apps/<path:app_id>/edit")
def deploy_edit(app_id: str) -> Response | tuple[str, int] | str:
    """Deploys the edited JSON (a full replacement, as PUT /v2/apps/<id> with partialUpdate=false); the api's
    validation errors come back next to the lines of the fields they name."""
    app_id = _app_id(app_id)
    text = request.form.get("definition", "")
    try:
        definition = parse(text)
    except NotJson as error:
        return _edit_again(app_id, text, [error.error], "The definition is not valid JSON.", 400)
    query = {"partialUpdate": "false", **(_force() or {})}
    answer = local_api.call("PUT", f"/v2/apps{app_id}", definition, query)
    if answer.ok or answer.status == 409:
        return _outcome(answer, f"Deploying the new definition of {app_id}", app_url(app_id))
    details = answer.body.get("details") if isinstance(answer.body, dict) else None
    return _edit_again(app_id, text, field_errors(text, details or []), answer.message, answer.status)


def _edit_again(app_id: str, text: str, errors: list, message: str, status: int) -> tuple[str, int]:
    return render_template("ui/edit.html", page="services", app_id=app_id, text=text, errors=errors, message=message,
                           crumbs=[("All services", "/")]), status


@bp.post("/deployments/<deployment_id>/cancel")
def cancel_deployment(deployment_id: str) -> Response | tuple[str, int] | str:
    """Stops the deployment where it is (DELETE ...?force=true): the apps stay as they are now."""
    if not _confirmed():
        return _ask(f"Stop deployment {deployment_id} where it is? Its apps stay as they are now.", "Stop deployment")
    answer = local_api.call("DELETE", f"/v2/deployments/{quote(deployment_id)}", None, {"force": "true"})
    return _outcome(answer, f"Stopped deployment {deployment_id}", "/ui/deployments")


@bp.post("/deployments/<deployment_id>/rollback")
def rollback_deployment(deployment_id: str) -> Response | tuple[str, int] | str:
    """Reverts the deployment (DELETE without force): a new deployment back to the apps it started from."""
    if not _confirmed():
        return _ask(f"Roll back deployment {deployment_id}? Its apps return to their definitions before it.",
                    "Roll back")
    answer = local_api.call("DELETE", f"/v2/deployments/{quote(deployment_id)}")
    return _outcome(answer, f"Rolling back deployment {deployment_id}", "/ui/deployments")


