"""Which apps a full tick need not converge again: nothing they are converged from has changed.

Steady-state convergence (framework.deploy.instances.reconcile_instances) is a function of the app's
definition, its tasks' views, its queued launches and, for unreachable tasks only, the time. A full tick
asked it of every app twice a second: at 10,000 apps that was ~40 % of the leader's CPU while nothing
changed. An app whose last convergence asked for nothing, and whose inputs are the same objects and counts
now (the mirror hands out the same definition object until it changes; KnownTasks numbers each app's task
changes), would be answered the same again, so it is skipped. An app with an unreachable task is never
taken as settled: time alone can make a replacement due.

The loop does not even look at a settled app unless something touched it: its definition changed (the
mirror says which), its tasks or queued launches changed (KnownTasks and LaunchQueue say which), or a plan
governed it (`forget`). Every `SWEEP_SECONDS` it looks at every app all the same, as Marathon's periodic
scale check does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from framework.deploy.instances import InstanceActions
from framework.deploy.taskstate import UNREACHABLE

NOTHING = InstanceActions()
SWEEP_SECONDS = 30.0


class SettledApps:
    """Owns, per settled app, the inputs it was last converged from. Used on the loop's thread only."""

    def __init__(self) -> None:
        self._inputs: dict[str, tuple[Mapping[str, Any], int, int]] = {}  # app id -> (app, task revision, queued)

    def unchanged(self, app: Mapping[str, Any], task_revision: int, queued: int) -> bool:
        """Whether `app` was settled with exactly these inputs."""
        inputs = self._inputs.get(app["id"])
        return inputs is not None and inputs[0] is app and inputs[1:] == (task_revision, queued)

    def note(self, app: Mapping[str, Any], task_revision: int, queued: int, actions: InstanceActions,
             views: Iterable[Mapping[str, Any]]) -> None:
        """Records a convergence of `app` from these inputs that decided `actions`."""
        if actions == NOTHING and all(view.get("state") != UNREACHABLE for view in views):
            self._inputs[app["id"]] = (app, task_revision, queued)
        else:
            self._inputs.pop(app["id"], None)

    def unsettled(self, apps: Mapping[str, Any]) -> set[str]:
        """The ids of `apps` not settled."""
        return apps.keys() - self._inputs.keys()

    def forget(self, app_ids: Iterable[str]) -> None:
        """These apps are no longer taken as settled."""
        for app_id in app_ids:
            self._inputs.pop(app_id, None)

    def keep_only(self, apps: Mapping[str, Any]) -> None:
        """Forgets the apps not in `apps` (deleted ones)."""
        for app_id in self._inputs.keys() - apps.keys():
            del self._inputs[app_id]
