"""The ZooKeeper layout of Balalaika: the single place that builds paths.

```
<root>/leader/                   kazoo Election candidates (scheduler processes)
<root>/leader-info               ephemeral JSON {"id", "host", "port", "since"} written by the current leader
<root>/framework-id              the Mesos framework id (plain string)
<root>/apps/<app>                current normalized app JSON
<root>/apps/<app>/versions/<ts>  stored versions (ts = app["version"]); the oldest are pruned beyond N
<root>/groups/<group>            explicitly created groups {"id", "dependencies", "version"}
<root>/tasks/<app>/<task-id>     task record JSON
<root>/deployments/<id>          deployment plan JSON with progress; a big plan is a small head here plus
                                 immutable parts (framework.store.planparts); an ephemeral head marked
                                 `staging` while a big write is staged (framework.store.staged)
<root>/plan-parts/<id>/part-<n>  the parts of a big plan, written before its head and deleted after it
<root>/queue/<app>               launch-queue state written by the leader
<root>/failures/<app>            the app's last task failure (Marathon's lastTaskFailure), written by the
                                 leader; removed with the app (AppStore.commit) and, as a backstop, by the
                                 leader for apps that no longer exist
<root>/requests/req-<seq>        sequential requests from api replicas to the leader (deleted once handled)
<root>/events/evt-<seq>          recent events; the leader trims them to the newest DEFAULT_EVENTS_KEPT every
                                 few seconds (framework.scheduler.event_log)
<root>/service-ports             the api's allocation of service ports, compare-and-set with the apps
<root>/audit/audit-<seq>         the api's audit log, one accepted write each; trimmed by the api replica
                                 whose record's sequence number is a multiple of AUDIT_TRIM_EVERY to the
                                 newest N (framework.store.audit)
```

Ids are flattened into one node name (`/group/app` -> `group_app`) so that an app is one node under
`apps/` whatever its depth: a children watch on `apps/` sees every app, and no parent nodes have to be
created or garbage-collected for groups. Marathon ids never contain `_`, so the mapping is reversible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from framework.store.errors import StoreError

DEFAULT_ROOT = "/balalaika"
REQUEST_PREFIX = "req-"
EVENT_PREFIX = "evt-"
AUDIT_PREFIX = "audit-"

# Marathon path segments: lowercase letters, digits, '-' and '.' (checked fully by framework.model).
_SEGMENT = re.compile(r"^[a-z0-9.-]+$")
# Node names we build from foreign ids (task ids, deployment ids, version timestamps).
_NAME = re.compile(r"^[A-Za-z0-9._:+-]+$")


def encode_id(path_id: str) -> str:
    """`/group/app` -> `group_app`; raises StoreError for ids that cannot be a node name."""
    segments = path_id.split("/")
    if len(segments) < 2 or segments[0] != "" or not all(_SEGMENT.match(s) for s in segments[1:]):
        raise StoreError(f"invalid id {path_id!r}: expected an absolute Marathon id like /group/app")
    if any(s in (".", "..") for s in segments[1:]):
        raise StoreError(f"invalid id {path_id!r}: '.' and '..' are not allowed")
    return "_".join(segments[1:])


def decode_id(name: str) -> str:
    """`group_app` -> `/group/app` (inverse of encode_id)."""
    return "/" + name.replace("_", "/")


def check_name(kind: str, name: str) -> str:
    """Returns `name` if it is safe as one node name (no '/', not '.' or '..'), else raises StoreError."""
    if not name or name in (".", "..") or not _NAME.match(name):
        raise StoreError(f"invalid {kind} {name!r}: must be a non-empty name of [A-Za-z0-9._:+-]")
    return name


def sequence_of(name: str) -> int:
    """The counter ZooKeeper appended to a sequential node name (`evt-0000000042` -> 42)."""
    return int(name[-10:])


@dataclass(frozen=True)
class Layout:
    """Paths under one root; every module asks this object instead of formatting paths itself."""

    root: str = DEFAULT_ROOT

    def __post_init__(self) -> None:
        if not self.root.startswith("/") or (self.root != "/" and self.root.endswith("/")):
            raise StoreError(f"invalid root {self.root!r}: expected an absolute path without trailing /")

    def _join(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    # Directories created by Store.ensure_layout (the leader directory is made by the Election recipe too).
    @property
    def dirs(self) -> tuple[str, ...]:
        return (self.root, self.leader_dir, self.apps_dir, self.groups_dir, self.tasks_dir,
                self.deployments_dir, self.plan_parts_dir, self.queue_dir, self.failures_dir, self.requests_dir,
                self.events_dir, self.audit_dir)

    @property
    def leader_dir(self) -> str:
        return self._join("leader")

    @property
    def leader_info(self) -> str:
        return self._join("leader-info")

    @property
    def framework_id(self) -> str:
        return self._join("framework-id")

    @property
    def apps_dir(self) -> str:
        return self._join("apps")

    @property
    def groups_dir(self) -> str:
        return self._join("groups")

    @property
    def tasks_dir(self) -> str:
        return self._join("tasks")

    @property
    def deployments_dir(self) -> str:
        return self._join("deployments")

    @property
    def plan_parts_dir(self) -> str:
        return self._join("plan-parts")

    @property
    def queue_dir(self) -> str:
        return self._join("queue")

    @property
    def failures_dir(self) -> str:
        return self._join("failures")

    @property
    def requests_dir(self) -> str:
        return self._join("requests")

    @property
    def events_dir(self) -> str:
        return self._join("events")

    @property
    def audit_dir(self) -> str:
        return self._join("audit")

    def app(self, app_id: str) -> str:
        return self._join("apps", encode_id(app_id))

    def app_versions(self, app_id: str) -> str:
        return self._join("apps", encode_id(app_id), "versions")

    def app_version(self, app_id: str, version: str) -> str:
        return self._join("apps", encode_id(app_id), "versions", check_name("version", version))

    def group(self, group_id: str) -> str:
        return self._join("groups", encode_id(group_id))

    def task_dir(self, app_id: str) -> str:
        return self._join("tasks", encode_id(app_id))

    def task(self, app_id: str, task_id: str) -> str:
        return self._join("tasks", encode_id(app_id), check_name("task id", task_id))

    def deployment(self, deployment_id: str) -> str:
        return self._join("deployments", check_name("deployment id", deployment_id))

    def plan_parts(self, deployment_id: str) -> str:
        return self._join("plan-parts", check_name("deployment id", deployment_id))

    def plan_part(self, deployment_id: str, number: int) -> str:
        return f"{self.plan_parts(deployment_id)}/part-{number:06d}"

    def queue_entry(self, app_id: str) -> str:
        return self._join("queue", encode_id(app_id))

    def failure(self, app_id: str) -> str:
        return self._join("failures", encode_id(app_id))

    @property
    def service_ports(self) -> str:
        return self._join("service-ports")

    @property
    def request_prefix(self) -> str:
        return self._join("requests", REQUEST_PREFIX)

    @property
    def event_prefix(self) -> str:
        return self._join("events", EVENT_PREFIX)

    @property
    def audit_prefix(self) -> str:
        return self._join("audit", AUDIT_PREFIX)
