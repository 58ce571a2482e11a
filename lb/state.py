"""What the lb knows of the apps: the last snapshot, kept current by events in between.

Each app's routes are computed when that app changes and kept, so an event costs the work of its own
app, not of all of them. Events carry enough to move a task (Marathon's ``status_update_event`` names
its host, ports and state; ``health_status_changed_event`` its health); anything they do not settle —
an unknown app, a new definition, a finished deployment — is answered by re-reading the apps it names
(`Refresh`), and a full snapshot replaces everything (the snapshot is authoritative).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lb.model import Routing
from lb.services import AppRoutes, Options, Resolver, app_routes, route

# Ends after which Marathon no longer lists a task (TASK_LOST stays listed: it may come back).
GONE_STATES = frozenset({"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE",
                         "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"})
# What an lb subscribes to (fewer events to parse); Marathon-LB's three, plus the ones that end apps.
EVENT_TYPES = ("status_update_event", "health_status_changed_event", "api_post_event", "app_terminated_event",
               "deployment_success", "deployment_failed", "deployment_step_success")


@dataclass(frozen=True)
class Refresh:
    """Apps to re-read (`everything`: a whole snapshot)."""

    app_ids: frozenset[str] = frozenset()
    everything: bool = False


@dataclass
class AppsState:
    options: Options
    resolve: Resolver
    reserved_ports: frozenset[int] = frozenset()
    apps: dict[str, dict] = field(default_factory=dict)
    routes: dict[str, AppRoutes] = field(default_factory=dict)
    owners: dict[int, str] = field(default_factory=dict)  # port -> app id binding it in the last routing

    def replace_all(self, apps: Iterable[dict]) -> None:
        """Takes a whole snapshot (its dicts are kept, not copied); apps equal to the known ones keep
        their built routes."""
        fresh = {str(app.get("id")): app for app in apps}
        for app_id in set(self.apps) - set(fresh):
            self.remove(app_id)
        for app_id, app in fresh.items():
            if self.apps.get(app_id) != app:
                self.apps[app_id] = app
                self._rebuild(app_id)

    def put(self, app: Mapping[str, Any]) -> None:
        app_id = str(app.get("id"))
        self.apps[app_id] = dict(app)
        self._rebuild(app_id)

    def remove(self, app_id: str) -> None:
        self.apps.pop(app_id, None)
        self.routes.pop(app_id, None)

    def routing(self) -> Routing:
        routing = route(self.routes, self.reserved_ports, self.owners)
        self.owners = {service.bind_port: service.app_id for service in routing.services}
        return routing

    def on_event(self, event: Mapping[str, Any]) -> Refresh:
        """Applies what the event settles; returns what must be re-read."""
        kind = event.get("eventType")
        if kind == "status_update_event":
            return self._task_update(event)
        if kind == "health_status_changed_event":
            return self._health_update(event)
        if kind == "app_terminated_event":
            self.remove(str(event.get("appId")))
            return Refresh()
        if kind == "api_post_event":
            definition = event.get("appDefinition") or {}
            return Refresh(frozenset({definition["id"]})) if definition.get("id") else Refresh(everything=True)
        if isinstance(event.get("plan"), Mapping):
            return Refresh(_plan_apps(event["plan"]))
        return Refresh()

    def _rebuild(self, app_id: str) -> None:
        self.routes[app_id] = app_routes(self.apps[app_id], self.options, self.resolve)

    def _task_update(self, event: Mapping[str, Any]) -> Refresh:
        app_id, task_id, state = str(event.get("appId")), event.get("taskId"), event.get("taskStatus")
        app = self.apps.get(app_id)
        if app is None:
            return Refresh(frozenset({app_id}))
        tasks = [task for task in app.get("tasks") or [] if task.get("id") != task_id]
        if state not in GONE_STATES:
            known = next((t for t in app.get("tasks") or [] if t.get("id") == task_id), {})
            tasks.append({**known, "id": task_id, "appId": app_id, "state": state,
                          "host": event.get("host") or known.get("host"),
                          "ports": list(event.get("ports") or known.get("ports") or []),
                          "ipAddresses": list(event.get("ipAddresses") or known.get("ipAddresses") or []),
                          "version": event.get("version") or known.get("version")})
        self.apps[app_id] = {**app, "tasks": tasks}
        self._rebuild(app_id)
        return Refresh()

    def _health_update(self, event: Mapping[str, Any]) -> Refresh:
        app_id = str(event.get("appId"))
        task_id = event.get("taskId") or event.get("instanceId")
        app = self.apps.get(app_id)
        task = next((t for t in (app or {}).get("tasks") or [] if t.get("id") == task_id), None)
        if app is None or task is None:
            return Refresh(frozenset({app_id}))
        result = {**((task.get("healthCheckResults") or [{}])[0]), "alive": bool(event.get("alive"))}
        updated = {**task, "healthCheckResults": [result]}
        self.apps[app_id] = {**app, "tasks": [updated if t is task else t for t in app["tasks"]]}
        self._rebuild(app_id)
        return Refresh()


def _plan_apps(plan: Mapping[str, Any]) -> frozenset[str]:
    apps = {str(action.get("app")) for step in plan.get("steps") or [] for action in step.get("actions") or []
            if action.get("app")}
    return frozenset(apps)
