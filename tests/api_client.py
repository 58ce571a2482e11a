"""The Marathon v2 calls end-to-end tests make against a running balalaika-api, over `requests`.

Every call opens a fresh connection and has a timeout: a pooled connection could go stale when gunicorn
restarts a worker, and a test must fail with a message rather than hang.
"""

from __future__ import annotations

from typing import Any

import requests

from tests.waiting import WaitTimeout, wait_for

TIMEOUT = 10.0


class ApiCallFailed(RuntimeError):
    """The API answered a call with a non-2xx status; the message carries the response body."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} answered {status}: {body}")
        self.status = status
        self.body = body


def app_path(app_id: str) -> str:
    """`web` or `/web` → `/web`, the form that follows `/v2/apps` in a URL."""
    return "/" + app_id.strip("/")


def is_healthy(task: dict) -> bool:
    """Marathon's rule: healthy when there are health results and every one of them is alive."""
    results = task.get("healthCheckResults") or []
    return bool(results) and all(result.get("alive") for result in results)


class ApiClient:
    """A thin client for the calls tests need; raises ApiCallFailed on any non-2xx answer."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        self.api_url = url.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, force: bool = False) -> Any:
        """One request; returns the parsed JSON answer (None when the body is empty)."""
        url = self.api_url + path
        response = requests.request(method, url, json=body, params={"force": "true"} if force else None,
                                    timeout=self.timeout, headers={"Connection": "close"})
        if not response.ok:
            raise ApiCallFailed(method, url, response.status_code, response.text)
        return response.json() if response.content else None

    def post_app(self, app: dict) -> dict:
        """POST /v2/apps: creates the app; returns the created app as the API renders it."""
        return self.call("POST", "/v2/apps", app)

    def put_app(self, app: dict, force: bool = False) -> dict:
        """PUT /v2/apps/<id>: replaces (or creates) the app; returns the deployment answer."""
        return self.call("PUT", f"/v2/apps{app_path(app['id'])}", app, force)

    def scale(self, app_id: str, instances: int, force: bool = False) -> dict:
        """Changes only `instances`; returns the deployment answer."""
        return self.call("PUT", f"/v2/apps{app_path(app_id)}", {"instances": instances}, force)

    def restart(self, app_id: str, force: bool = False) -> dict:
        """POST /v2/apps/<id>/restart: a rolling replacement of every task; returns the deployment answer."""
        return self.call("POST", f"/v2/apps{app_path(app_id)}/restart", None, force)

    def app(self, app_id: str) -> dict:
        return self.call("GET", f"/v2/apps{app_path(app_id)}")["app"]

    def tasks(self, app_id: str) -> list[dict]:
        """GET /v2/apps/<id>/tasks: every task record of the app, in any state."""
        return self.call("GET", f"/v2/apps{app_path(app_id)}/tasks")["tasks"]

    def deployments(self) -> list[dict]:
        return self.call("GET", "/v2/deployments")

    def leader(self) -> str | None:
        """`host:port` the leading scheduler advertises, None while there is no leader."""
        try:
            return self.call("GET", "/v2/leader")["leader"]
        except ApiCallFailed as failure:
            if failure.status == 404:
                return None
            raise

    def deploying(self, app_id: str) -> bool:
        return any(app_path(app_id) in plan.get("affectedApps", ()) for plan in self.deployments())

    def wait_running(self, app_id: str, count: int, healthy: bool = False, timeout: float = 60.0) -> list[dict]:
        """Waits until the app has exactly `count` tasks, all TASK_RUNNING (and healthy when asked: the app
        needs health checks then), and no deployment of it runs; returns those tasks.

        Raises WaitTimeout naming the tasks and deployments last seen."""
        seen: list[Any] = []

        def settled() -> tuple[list[dict]] | None:
            tasks = self.tasks(app_id)
            seen[:] = [[(t["id"], t["state"], t.get("healthCheckResults")) for t in tasks]]
            if len(tasks) != count or not all(_running(t, healthy) for t in tasks):
                return None
            deploying = self.deploying(app_id)
            seen.append(f"deploying: {deploying}")
            return None if deploying else (tasks,)

        wanted = f"exactly {count} running{' healthy' if healthy else ''} tasks of {app_id} and no deployment"
        try:
            return wait_for(settled, timeout, wanted, interval=0.1)[0]
        except WaitTimeout as error:
            raise WaitTimeout(f"{error}; last seen: {seen}") from error


def _running(task: dict, want_healthy: bool) -> bool:
    return task["state"] == "TASK_RUNNING" and (is_healthy(task) or not want_healthy)
