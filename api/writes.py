"""Deployment-creating writes: desired app definitions plus their plan, committed in one transaction.

Every write re-reads the apps it changes and the deployment listing from ZooKeeper (not the mirror) in one
pipelined round trip (api/fresh.py), because the 409 answer and the compare-and-set must be exact; a lost
compare-and-set is retried against fresh state (RETRY_SECONDS). Service ports come from this worker's
reserved block (api/serviceports.py), so port-assigning writes of several workers no longer take turns.
``force=true`` overrides the blocking deployments: they are deleted in the same transaction that creates
the new plan (Marathon cancels them too). The write's own events (api_post_event per definition, and what
the caller announces, group_change_success) go in that transaction too: one request instead of three.
"""

from __future__ import annotations

import copy
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping

from flask import current_app, has_request_context, request

from api import errors, serviceports
from api import fresh as fresh_state
from api.backend import Backend
from api.errors import ApiError
from framework.deploy.plan import DependencyCycleError, conflicts, make_plan
from framework.deploy.versions import stamped
from framework.model import marathon_view, service_ports
from framework.store import AppChange, Conflict, NotFound, Snapshot, StoreError
from framework.store.errors import TooLarge

log = logging.getLogger(__name__)

# A lost compare-and-set is retried against fresh state for this long (every round somebody wins, so
# the cluster progresses; under a burst of writes to the same apps a write can lose many rounds in a
# row), with a short random pause that breaks lockstep between the racers.
RETRY_SECONDS = 10.0
JITTER = 0.003
PLAN_RECHECK = 0.1  # seconds between two looks in ZooKeeper for a plan the mirror does not show yet
_jitter = random.Random()  # its own generator: the global one's state belongs to the caller (tests seed it)


Target = dict | None | Callable[[dict | None], dict | None]
Announce = Callable[[dict], list[dict]]  # the plan -> events to record with it


def deploy(be: Backend, targets: Mapping[str, Target], *, force: bool, kind: str | None = None,
           must_exist: bool = False, must_not_exist: bool = False, keep_version: bool = False,
           dry_run: bool = False, announce: Announce | None = None) -> dict:
    """Writes ``targets`` (app id -> new app without version, None to delete, or a function of the
    freshly read current app returning either) with their plan. ``keep_version`` keeps a given
    ``version`` (rollbacks to an original definition); ``dry_run`` returns the plan unwritten; the events
    ``announce(plan)`` returns are committed with the write (after its api_post_events).

    Returns the plan (its ``id`` and ``version`` are the answer's deploymentId/version). Raises ApiError:
    404 (must_exist and missing), 409 (exists, locked without force, or lost every retry), 422 (cycle),
    503 (ZooKeeper unavailable).
    """
    attempt = _Attempt(be, targets, force=force, kind=kind, must_exist=must_exist, must_not_exist=must_not_exist,
                       keep_version=keep_version, dry_run=dry_run, announce=announce)
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        done = attempt.run()
        if done is not None:
            if not dry_run:
                attempt.after_commit(done)
            return done
        if time.monotonic() > deadline:
            raise ApiError(409, "The apps were changed concurrently; please retry")
        time.sleep(_jitter.uniform(0, JITTER))


class _Attempt:
    """One read-decide-commit round of ``deploy``."""

    def __init__(self, be: Backend, targets: Mapping[str, Target], *, force: bool, kind: str | None,
                 must_exist: bool, must_not_exist: bool, keep_version: bool, dry_run: bool,
                 announce: Announce | None) -> None:
        self.be, self.targets, self.force, self.kind = be, targets, force, kind
        self.must_exist, self.must_not_exist = must_exist, must_not_exist
        self.keep_version, self.dry_run, self.announce = keep_version, dry_run, announce
        self.port_range = current_app.config["SERVICE_PORTS"]
        self.target: dict[str, dict] = {}
        self.deleted: list[str] = []
        self.blockers: list[str] = []

    def run(self) -> dict | None:
        """The plan once committed (or decided, for a dry run); None when a compare-and-set was lost."""
        now = time.time()
        fresh = self._read()
        self._check_existence(fresh.apps)
        original = {app_id: current[0] for app_id, current in fresh.apps.items() if current is not None}
        target, changes = self._desired(fresh.apps, now)
        written = [change.app for change in changes if change.app is not None]
        deleted = [change.app_id for change in changes if change.app is None]
        lease = self._assign_ports(written, original)
        plan = self._plan(original, target, now)
        blockers = conflicts(plan, fresh.deployments)
        if blockers and not self.force:
            raise errors.locked(blockers)
        if self.dry_run:
            return plan
        if not self.be.service_ports.valid(lease):
            log.info("write of %s: its service ports' lease ended before the commit; retrying", ", ".join(self.targets))
            return None
        events = _post_events(written) + (self.announce(plan) if self.announce else [])
        if not self._commit(changes, plan, blockers, events):
            return None
        self.target, self.deleted, self.blockers = target, deleted, blockers
        return plan

    def _read(self) -> fresh_state.Fresh:
        """The apps to write as they are now, the running deployments and the service-port record, read
        from ZooKeeper. Raises ApiError 503."""
        try:
            return fresh_state.read(self.be.store, self.targets, self.be.snapshot().deployments)
        except StoreError as error:
            log.warning("write of %s could not read the current state: %s", ", ".join(self.targets), error)
            raise ApiError(503, f"Could not read from ZooKeeper: {error}") from None

    def _check_existence(self, found: Mapping[str, tuple[dict, int] | None]) -> None:
        """Raises ApiError 404 (``must_exist`` and an app missing) or 409 (``must_not_exist`` and one there)."""
        for app_id, current in found.items():
            if self.must_exist and current is None:
                raise ApiError(404, f"App '{app_id}' does not exist")
            if self.must_not_exist and current is not None:
                raise ApiError(409, f"An app with id [{app_id}] already exists.")

    def _desired(self, found: Mapping[str, tuple[dict, int] | None],
                 now: float) -> tuple[dict[str, dict], list[AppChange]]:
        """The new definitions by app id (copies, their existing service ports kept, version-stamped) and
        every app change to commit, deletions included, each over the znode version read."""
        target: dict[str, dict] = {}
        changes: list[AppChange] = []
        for app_id, wanted in self.targets.items():
            current = found[app_id]
            app = wanted(current[0] if current else None) if callable(wanted) else wanted
            if app is None:
                if current is not None:
                    changes.append(AppChange(app_id, None, current[1]))
                continue
            new = copy.deepcopy(app)  # port assignment fills nested entries: never in the caller's dict
            serviceports.keep_existing(new, current[0] if current else None)
            if not (self.keep_version and new.get("version")):
                new = stamped(new, current[0] if current else None, now, restart=self.kind == "restart")
            target[app_id] = new
            changes.append(AppChange(app_id, new, current[1] if current else None))
        return target, changes

    def _assign_ports(self, written: list[dict], original: Mapping[str, dict]) -> float | None:
        """Fills the 0 service ports of ``written`` (in place) from this worker's reserved block, and reserves
        the explicit ports an app did not have yet; returns the lease (``PortPool.assign``). Raises ApiError
        422 (ports exhausted), 409 (the reservation kept losing), 503 (ZooKeeper unavailable)."""
        explicit = {port for app in written for port in service_ports(app) if port} - {
            port for app in written if app["id"] in original for port in service_ports(original[app["id"]])}
        try:
            return self.be.service_ports.assign(written, explicit, lambda: self.be.snapshot().apps,
                                                self.be.store.nodes, port_range=self.port_range)
        except serviceports.PortsExhausted as error:
            raise ApiError(422, "Object is not valid", details=[{"path": "/portDefinitions",
                                                                  "errors": [str(error)]}]) from None
        except Conflict:
            raise ApiError(409, "Service ports were reserved concurrently; please retry") from None
        except StoreError as error:
            log.warning("write of %s could not reserve service ports: %s", ", ".join(self.targets), error)
            raise ApiError(503, f"Could not reserve service ports in ZooKeeper: {error}") from None

    def _plan(self, original: dict[str, dict], target: dict[str, dict], now: float) -> dict:
        """The deployment plan from ``original`` to ``target``. Raises ApiError 422 (dependency cycle)."""
        try:
            return make_plan(original, target, deployment_id=str(uuid.uuid4()), now=now, kind=self.kind)
        except DependencyCycleError as error:
            raise ApiError(422, "Object is not valid",
                           details=[{"path": "/dependencies", "errors": [str(error)]}]) from None

    def _commit(self, changes: list[AppChange], plan: dict, blockers: list[str], events: list[dict]) -> bool:
        """Commits the changes, the plan (if it has steps), the cancelled ``blockers`` and ``events`` in one
        transaction; False when a compare-and-set was lost. Raises ApiError 503."""
        store = self.be.store
        try:
            store.apps.commit(changes, deployment=plan if plan["steps"] else None, cancel=blockers,
                              events=store.events.create_ops(events))
        except (Conflict, NotFound) as error:
            log.info("write of %s lost a compare-and-set (%s); retrying", ", ".join(self.targets), error)
            return False
        except TooLarge as error:  # the definition's fault: nothing was written
            raise errors.not_valid([{"path": "/", "errors": [str(error)]}]) from None
        except StoreError as error:
            log.warning("write of %s failed: %s", ", ".join(self.targets), error)
            raise ApiError(503, f"Could not write to ZooKeeper: {error}") from None
        return True

    def after_commit(self, plan: dict) -> None:
        """Logs and waits until this worker's mirror shows the write."""
        log.info("deployment %s: %s (%s)", plan["id"], ", ".join(plan["affectedApps"]) or "no change",
                 self.kind or "deploy")
        _wait_visible(self.be, self.target, self.deleted, plan["id"] if plan["steps"] else None, self.blockers)


def _post_events(apps: list[dict]) -> list[dict]:
    """Marathon's api_post_event for each definition written by a request."""
    if not has_request_context():
        return []
    return [{"eventType": "api_post_event", "timestamp": app["version"], "clientIp": request.remote_addr,
             "uri": request.path, "appDefinition": marathon_view(app)} for app in apps]


def _wait_visible(be: Backend, target: Mapping[str, dict], deleted: list[str], deployment_id: str | None,
                  cancelled: list[str]) -> None:
    """Read-your-writes: the next GET on this worker shows what was just written.

    The plan is awaited in the mirror only while it still exists: the leader may finish (and delete) a
    plan with nothing to do before this worker's mirror ever lists it, and waiting for it then cost every
    such write the whole visibility timeout (a 0-instance app: 2 s). The mirror shows a write's apps only
    once it has read the plans committed with them, so a plan missing then is most likely gone already:
    ZooKeeper is asked at once, not after a pause."""

    def changes_shown(snap: Snapshot) -> bool:
        apps = snap.apps
        return (all(app_id in apps and apps[app_id].get("version") == app["version"]
                    for app_id, app in target.items())
                and all(app_id not in apps for app_id in deleted)
                and not any(old in snap.deployments for old in cancelled))

    deadline = time.monotonic() + be.visible_timeout
    if not be.wait_visible(changes_shown) or deployment_id is None:
        return
    while deployment_id not in be.snapshot().deployments:
        if time.monotonic() >= deadline or not _plan_stored(be, deployment_id):
            return
        be.wait_visible(lambda snap: deployment_id in snap.deployments, timeout=PLAN_RECHECK)


def _plan_stored(be: Backend, deployment_id: str) -> bool:
    """Whether the plan is still in ZooKeeper; False when it cannot be asked: the write is committed, and an
    outage now must not turn its answer into a 503 (reading one's own write is best effort)."""
    try:
        return be.store.deployments.exists(deployment_id)
    except (StoreError, ApiError):
        return False
