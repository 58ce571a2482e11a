"""Compare-and-set access to Balalaika's state in ZooKeeper, shared by the scheduler and the api.

Writes that must agree (an app and its deployment, an app and its version history) go in one
`client.transaction()`. Reads, create-or-set writes and deletes are idempotent and retried through the
client's command retry; compare-and-set transactions are not retried, because a connection lost during
commit leaves the outcome unknown (the caller re-reads and decides). Hot paths (task updates, events)
are asynchronous: they return kazoo IAsyncResult futures instead of waiting one round trip each.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    ConnectionLoss,
    KazooException,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    SessionExpiredError,
)
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.interfaces import IAsyncResult
from kazoo.protocol.states import ZnodeStat
from kazoo.recipe.watchers import ChildrenWatch

from framework.store.codec import decode, encode
from framework.store.errors import Conflict, NotFound, StoreError
from framework.store.layout import DEFAULT_ROOT, Layout, sequence_of

log = logging.getLogger(__name__)

DEFAULT_MAX_VERSIONS = 50
DEFAULT_EVENTS_KEPT = 1000
# Task updates go out as multi-op transactions of this many set_data: ~29,000/s measured, against
# ~6,200/s for single set_async (infra-recipes.md section 1).
TASK_BATCH = 50
# Events go out the same way (Store.append_events); the byte cap keeps a transaction well below
# ZooKeeper's ~1 MB jute.maxbuffer whatever the events hold (a deployment plan can be large).
EVENT_BATCH = 100
EVENT_BATCH_BYTES = 256 * 1024

P = ParamSpec("P")
R = TypeVar("R")


def _translated(func: Callable[P, R]) -> Callable[P, R]:
    """Turns kazoo's errors that escape a public method into StoreError with the method named."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except StoreError:
            raise
        except NoAuthError as error:
            raise StoreError(f"{func.__name__}: not authorized by the node's ACL (wrong or missing "
                             "ZooKeeper credentials)") from error
        except (ConnectionLoss, SessionExpiredError, KazooTimeoutError) as error:
            raise StoreError(f"{func.__name__}: ZooKeeper unavailable ({type(error).__name__})") from error
        except KazooException as error:
            raise StoreError(f"{func.__name__}: {type(error).__name__}: {error}") from error

    return wrapper


def _failure(error: Exception, what: str) -> StoreError:
    """The StoreError that explains one failed operation on `what`."""
    if isinstance(error, BadVersionError):
        return Conflict(f"{what}: changed since it was read (version mismatch)")
    if isinstance(error, NodeExistsError):
        return Conflict(f"{what}: already exists")
    if isinstance(error, NoNodeError):
        return NotFound(f"{what}: does not exist")
    if isinstance(error, NotEmptyError):
        return Conflict(f"{what}: has children that appeared concurrently")
    if isinstance(error, NoAuthError):
        return StoreError(f"{what}: not authorized by the node's ACL")
    return StoreError(f"{what}: {type(error).__name__}: {error}")


def wait_all(results: Iterable[IAsyncResult], timeout: float = 30.0) -> None:
    """Waits for futures returned by put_tasks / append_event; raises the first failure."""
    for result in results:
        result.get(timeout=timeout)


@dataclass(frozen=True)
class AppChange:
    """One app to create (`expected_version` None), compare-and-set (its znode version) or delete (`app` None;
    `expected_version` None then deletes whatever version is current)."""

    app_id: str
    app: dict | None
    expected_version: int | None


@dataclass(frozen=True)
class NodeWrite:
    """Another node written in the same transaction: created (`expected_version` None) or compare-and-set."""

    path: str
    data: bytes
    expected_version: int | None


class Store:
    """Narrow, synchronous-by-default access to the layout in `framework.store.layout`.

    Thread-safe as far as kazoo is (one client shared by threads), except `take_requests` /
    `done_request`, which keep per-instance bookkeeping meant for the leader's single loop.
    """

    def __init__(self, client: KazooClient, root: str = DEFAULT_ROOT, *,
                 max_versions: int = DEFAULT_MAX_VERSIONS, timeout: float = 30.0) -> None:
        if max_versions < 1:
            raise ValueError("max_versions must be at least 1")
        self.client = client
        self.layout = Layout(root)
        self.max_versions = max_versions
        self.timeout = timeout
        self._task_dirs: set[str] = set()  # task parents known to exist (see put_tasks)
        self._taken: set[str] = set()      # request paths handed out and not done yet

    # ---- layout -------------------------------------------------------------------------------------

    @_translated
    def ensure_layout(self) -> None:
        """Creates the root and its directories if missing (idempotent; with the client's default ACL)."""
        for path in self.layout.dirs:
            self.client.retry(self.client.ensure_path, path)

    # ---- helpers ------------------------------------------------------------------------------------

    def _get(self, path: str) -> tuple[Any, ZnodeStat] | None:
        try:
            data, stat = self.client.retry(self.client.get, path)
        except NoNodeError:
            return None
        return decode(data), stat

    def _children(self, path: str, what: str) -> list[str]:
        try:
            return self.client.retry(self.client.get_children, path)
        except NoNodeError as error:
            raise NotFound(f"{what}: does not exist") from error

    def _get_many(self, paths: Sequence[str]) -> dict[str, tuple[Any, ZnodeStat]]:
        """Pipelined reads: all requests go out before the first answer is awaited."""
        pending = [(path, self.client.get_async(path)) for path in paths]
        found = {}
        for path, result in pending:
            try:
                data, stat = result.get(timeout=self.timeout)
            except NoNodeError:
                continue
            found[path] = (decode(data), stat)
        return found

    def _upsert(self, path: str, data: bytes) -> None:
        """Create-or-set, idempotent (so retried), creating missing parents."""

        def attempt() -> None:
            try:
                self.client.set(path, data)
            except NoNodeError:
                try:
                    self.client.create(path, data, makepath=True)
                except NodeExistsError:
                    self.client.set(path, data)

        self.client.retry(attempt)

    def _delete_quietly(self, path: str) -> bool:
        """Deletes if present; returns whether it was."""
        try:
            self.client.retry(self.client.delete, path)
        except NoNodeError:
            return False
        return True

    def _commit(self, transaction: Any, described: list[str]) -> list[Any]:
        """Commits a multi-op; raises Conflict / NotFound / StoreError naming the operation that failed."""
        try:
            results = transaction.commit()
        except (ConnectionLoss, SessionExpiredError) as error:
            raise StoreError(f"{described[0]}: connection lost during commit, outcome unknown; "
                             "re-read before retrying") from error
        for result, what in zip(results, described, strict=True):
            if isinstance(result, Exception) and not isinstance(result, RolledBackError):
                raise _failure(result, what)
        return results

    def _add_deployment(self, transaction: Any, described: list[str], deployment: dict | None) -> None:
        if deployment is not None:
            deployment_id = deployment["id"]
            transaction.create(self.layout.deployment(deployment_id),
                               encode(deployment, what=f"deployment {deployment_id}"))
            described.append(f"deployment {deployment_id}")

    # ---- apps ---------------------------------------------------------------------------------------

    @_translated
    def get_app(self, app_id: str) -> tuple[dict, int] | None:
        """The current app and its znode version (pass it back as `expected_version`), or None."""
        found = self._get(self.layout.app(app_id))
        return None if found is None else (found[0], found[1].version)

    @_translated
    def list_apps(self) -> dict[str, tuple[dict, int]]:
        """Every app with its znode version (pipelined; for a leader's start, the api uses the Mirror)."""
        names = self._children(self.layout.apps_dir, "apps directory")
        paths = {f"{self.layout.apps_dir}/{name}": name for name in names}
        return {found[0]["id"]: (found[0], found[1].version) for found in self._get_many(list(paths)).values()}

    def _add_app_change(self, tx: Any, described: list[str], change: AppChange) -> None:
        """The operations that create, compare-and-set or delete one app with its version history."""
        app_id = change.app_id
        path, versions = self.layout.app(app_id), self.layout.app_versions(app_id)
        if change.app is None:
            for version in self._children(versions, f"app {app_id}"):
                tx.delete(f"{versions}/{version}")
                described.append(f"app {app_id} version {version}")
            tx.delete(versions)
            described.append(f"versions of app {app_id} (a version was added concurrently)")
            tx.delete(path, version=-1 if change.expected_version is None else change.expected_version)
            described.append(f"app {app_id}" + ("" if change.expected_version is None
                                                 else f" (expected version {change.expected_version})"))
            return
        version = change.app["version"]
        data = encode(change.app, what=f"app {app_id}")
        version_path = self.layout.app_version(app_id, version)
        if change.expected_version is None:
            tx.create(path, data)
            tx.create(versions, b"")
            tx.create(version_path, data)
            described += [f"app {app_id}", f"versions of app {app_id}", f"app {app_id} version {version}"]
            return
        existing = self._children(versions, f"app {app_id}")
        tx.set_data(path, data, version=change.expected_version)
        described.append(f"app {app_id} (expected version {change.expected_version})")
        if version in existing:
            tx.set_data(version_path, data)
        else:
            tx.create(version_path, data)
        described.append(f"app {app_id} version {version}")
        older = sorted(v for v in existing if v != version)
        for old in older[:max(0, len(older) - (self.max_versions - 1))]:
            tx.delete(self.layout.app_version(app_id, old))
            described.append(f"app {app_id} version {old} (pruning)")

    @_translated
    def commit(self, changes: Sequence[AppChange], *, deployment: dict | None = None,
               cancel: Iterable[str] = (), writes: Sequence[NodeWrite] = ()) -> None:
        """Applies app changes, creates `deployment`, deletes the `cancel`led deployments and performs the
        compare-and-set `writes` in ONE transaction: everything is written or nothing. Then, without waiting,
        the last task failures of the deleted apps go (outside the transaction: that node may not exist).

        Raises Conflict (exists / changed since read / deployment id in use), NotFound (update or
        delete of a missing app, cancel of a missing deployment), StoreError (too big, bad id, outcome
        unknown after a lost connection).
        """
        tx = self.client.transaction()
        described: list[str] = []
        for change in changes:
            self._add_app_change(tx, described, change)
        self._add_deployment(tx, described, deployment)
        for deployment_id in cancel:
            tx.delete(self.layout.deployment(deployment_id))
            described.append(f"deployment {deployment_id} (cancelled)")
        for write in writes:
            if write.expected_version is None:
                tx.create(write.path, write.data)
            else:
                tx.set_data(write.path, write.data, version=write.expected_version)
            described.append(f"node {write.path}")
        self._commit(tx, described)
        for change in changes:
            if change.app is None:
                self.delete_failure(change.app_id)

    def put_app(self, app: dict, *, expected_version: int | None, deployment: dict | None = None) -> int:
        """Creates (`expected_version=None`) or compare-and-sets the app, records `app["version"]` in its
        history (pruning the oldest beyond `max_versions`) and creates `deployment` if given — all in one
        transaction. Returns the app node's new znode version. Raises as `commit` does.
        """
        self.commit([AppChange(app["id"], app, expected_version)], deployment=deployment)
        return 0 if expected_version is None else expected_version + 1

    def delete_app(self, app_id: str, *, expected_version: int | None = None,
                   deployment: dict | None = None) -> None:
        """Removes the app with its version history and creates `deployment`, atomically.

        Task nodes stay: the scheduler kills the tasks and deletes their records as they end. The app's last
        task failure is removed right after the transaction (see `delete_failure`).
        `expected_version=None` deletes whatever version is current. Raises as `commit` does.
        """
        self.commit([AppChange(app_id, None, expected_version)], deployment=deployment)

    @_translated
    def list_app_versions(self, app_id: str) -> list[str]:
        """Stored version timestamps, newest first (Marathon's order). Raises NotFound for an unknown app."""
        return sorted(self._children(self.layout.app_versions(app_id), f"app {app_id}"), reverse=True)

    @_translated
    def get_app_version(self, app_id: str, version: str) -> dict | None:
        """The app as it was at `version`, or None if the app or that version is not stored (also for a
        version string that cannot be a node name, e.g. one from a URL with a '/')."""
        self.layout.app(app_id)  # a bad app id is still an error
        try:
            path = self.layout.app_version(app_id, version)
        except StoreError:
            return None
        found = self._get(path)
        return None if found is None else found[0]

    # ---- groups -------------------------------------------------------------------------------------

    @_translated
    def get_group(self, group_id: str) -> tuple[dict, int] | None:
        found = self._get(self.layout.group(group_id))
        return None if found is None else (found[0], found[1].version)

    @_translated
    def list_groups(self) -> dict[str, dict]:
        names = self._children(self.layout.groups_dir, "groups directory")
        found = self._get_many([f"{self.layout.groups_dir}/{name}" for name in names])
        return {group["id"]: group for group, _ in found.values()}

    @_translated
    def put_group(self, group: dict, *, expected_version: int | None = None) -> int:
        """Creates (`expected_version=None`) or compare-and-sets an explicit group; returns its znode version.
        Raises Conflict, NotFound."""
        group_id = group["id"]
        path, data = self.layout.group(group_id), encode(group, what=f"group {group_id}")
        what = f"group {group_id}"
        try:
            if expected_version is None:
                self.client.create(path, data)
                return 0
            return self.client.set(path, data, version=expected_version).version
        except (NodeExistsError, NoNodeError, BadVersionError) as error:
            raise _failure(error, what) from error

    @_translated
    def delete_group(self, group_id: str, *, expected_version: int | None = None) -> None:
        """Removes an explicit group (its apps are separate nodes, deleted by the caller). Raises NotFound,
        Conflict."""
        try:
            self.client.delete(self.layout.group(group_id),
                               version=-1 if expected_version is None else expected_version)
        except (NoNodeError, BadVersionError) as error:
            raise _failure(error, f"group {group_id}") from error

    # ---- tasks --------------------------------------------------------------------------------------

    @_translated
    def put_task(self, task: dict) -> None:
        """Create-or-set one task record, waiting for ZooKeeper: use it before a launch."""
        self._upsert(self.layout.task(task["appId"], task["id"]), encode(task, what=f"task {task['id']}"))
        self._task_dirs.add(task["appId"])

    @_translated
    def put_tasks(self, tasks: Iterable[dict], *, new: bool = False) -> list[IAsyncResult]:
        """Create-or-set many task records without waiting; one future per task, in order.

        Updates go as pipelined multi-op transactions of TASK_BATCH set_data (`new=True`: of creates, for
        records about to be launched); a batch that fails because a record does not exist yet (or already
        does) falls back to create-or-set per record. Futures fail with the kazoo error of their record.
        Callbacks run on kazoo's completion thread.
        """
        tasks = list(tasks)
        items = [(self.layout.task(t["appId"], t["id"]), encode(t, what=f"task {t['id']}")) for t in tasks]
        for app_id in {t["appId"] for t in tasks} - self._task_dirs:
            self.client.retry(self.client.ensure_path, self.layout.task_dir(app_id))
            self._task_dirs.add(app_id)
        futures: list[IAsyncResult] = []
        for start in range(0, len(items), TASK_BATCH):
            chunk = items[start:start + TASK_BATCH]
            chunk_futures = [self.client.handler.async_result() for _ in chunk]
            tx = self.client.transaction()
            for path, data in chunk:
                if new:
                    tx.create(path, data)
                else:
                    tx.set_data(path, data)
            tx.commit_async().rawlink(functools.partial(self._after_batch, chunk, chunk_futures))
            futures += chunk_futures
        return futures

    def _after_batch(self, chunk: list[tuple[str, bytes]], futures: list[IAsyncResult],
                     result: IAsyncResult) -> None:
        try:
            outcomes = result.get()
        except Exception as error:
            for future in futures:
                future.set_exception(error)
            return
        if not any(isinstance(outcome, Exception) for outcome in outcomes):
            for future in futures:
                future.set(None)
            return
        for (path, data), future in zip(chunk, futures, strict=True):
            self._upsert_async(path, data, future)

    def _upsert_async(self, path: str, data: bytes, future: IAsyncResult) -> None:
        """set, else create, else set again (a concurrent create), completing `future`."""

        def finish(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(None)
            except Exception as error:
                future.set_exception(error)

        def after_create(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(None)
            except NodeExistsError:
                self.client.set_async(path, data).rawlink(finish)
            except Exception as error:
                future.set_exception(error)

        def after_set(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(None)
            except NoNodeError:
                self.client.create_async(path, data).rawlink(after_create)
            except Exception as error:
                future.set_exception(error)

        self.client.set_async(path, data).rawlink(after_set)

    @_translated
    def get_task(self, app_id: str, task_id: str) -> dict | None:
        found = self._get(self.layout.task(app_id, task_id))
        return None if found is None else found[0]

    @_translated
    def delete_task(self, app_id: str, task_id: str) -> None:
        """Forgets a task record (idempotent). Once the app is gone too, its empty task directory goes."""
        self._delete_quietly(self.layout.task(app_id, task_id))
        if self.client.retry(self.client.exists, self.layout.app(app_id)) is None:
            self._task_dirs.discard(app_id)
            with contextlib.suppress(NoNodeError, NotEmptyError):
                self.client.retry(self.client.delete, self.layout.task_dir(app_id))

    @_translated
    def list_tasks(self, app_id: str | None = None) -> list[dict]:
        """Every task record (of one app, or of all), read with pipelined requests."""
        tasks_dir = self.layout.tasks_dir
        if app_id is None:
            dirs = [f"{tasks_dir}/{name}" for name in self._children(tasks_dir, "tasks directory")]
        else:
            dirs = [self.layout.task_dir(app_id)]
        listings = [(d, self.client.get_children_async(d)) for d in dirs]
        paths = []
        for directory, listing in listings:
            try:
                paths += [f"{directory}/{name}" for name in listing.get(timeout=self.timeout)]
            except NoNodeError:
                continue
        return [task for task, _ in self._get_many(paths).values()]

    # ---- last task failures -------------------------------------------------------------------------

    def put_failure(self, failure: dict) -> IAsyncResult:
        """Create-or-set the last task failure of `failure["appId"]` without waiting (the leader's loop calls
        it when a task fails); the future fails with the kazoo error, on kazoo's completion thread."""
        app_id = failure["appId"]
        future = self.client.handler.async_result()
        self._upsert_async(self.layout.failure(app_id), encode(failure, what=f"failure of {app_id}"), future)
        return future

    @_translated
    def get_failure(self, app_id: str) -> dict | None:
        found = self._get(self.layout.failure(app_id))
        return None if found is None else found[0]

    def delete_failure(self, app_id: str) -> IAsyncResult:
        """Forgets the app's last task failure without waiting; idempotent (the future succeeds when there
        was none). `commit` calls it for every app it deletes, after the transaction: best-effort, because
        the app is already gone, so the leader also removes the failures of apps that no longer exist."""
        future = self.client.handler.async_result()

        def done(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(True)
            except NoNodeError:
                future.set(False)
            except Exception as error:
                log.warning("could not delete the last task failure of %s: %s", app_id, error)
                future.set_exception(error)

        self.client.delete_async(self.layout.failure(app_id)).rawlink(done)
        return future

    # ---- deployments --------------------------------------------------------------------------------

    @_translated
    def put_deployment(self, plan: dict, expected_version: int | None = None) -> int:
        """Writes a plan: unconditionally when `expected_version` is None (create or overwrite), else
        compare-and-set. Returns the new znode version. Raises Conflict, NotFound (CAS on a missing plan)."""
        deployment_id = plan["id"]
        path, data = self.layout.deployment(deployment_id), encode(plan, what=f"deployment {deployment_id}")
        if expected_version is None:
            self._upsert(path, data)
            return self.client.retry(self.client.exists, path).version
        try:
            return self.client.set(path, data, version=expected_version).version
        except (NoNodeError, BadVersionError) as error:
            raise _failure(error, f"deployment {deployment_id}") from error

    @_translated
    def get_deployment(self, deployment_id: str) -> tuple[dict, int] | None:
        found = self._get(self.layout.deployment(deployment_id))
        return None if found is None else (found[0], found[1].version)

    @_translated
    def delete_deployment(self, deployment_id: str) -> None:
        """Raises NotFound if there is no such deployment (the api answers 404)."""
        if not self._delete_quietly(self.layout.deployment(deployment_id)):
            raise NotFound(f"deployment {deployment_id}: does not exist")

    @_translated
    def list_deployments(self) -> dict[str, dict]:
        names = self._children(self.layout.deployments_dir, "deployments directory")
        found = self._get_many([self.layout.deployment(name) for name in names])
        return {plan["id"]: plan for plan, _ in found.values()}

    # ---- framework id -------------------------------------------------------------------------------

    @_translated
    def get_framework_id(self) -> str | None:
        try:
            data, _ = self.client.retry(self.client.get, self.layout.framework_id)
        except NoNodeError:
            return None
        return data.decode() or None

    @_translated
    def set_framework_id(self, framework_id: str) -> None:
        self._upsert(self.layout.framework_id, framework_id.encode())

    # ---- launch queue -------------------------------------------------------------------------------

    @_translated
    def put_queue_entry(self, app_id: str, entry: dict) -> None:
        self._upsert(self.layout.queue_entry(app_id), encode(entry, what=f"queue entry of {app_id}"))

    @_translated
    def delete_queue_entry(self, app_id: str) -> None:
        """Idempotent."""
        self._delete_quietly(self.layout.queue_entry(app_id))

    # ---- requests from api replicas to the leader ---------------------------------------------------

    @_translated
    def submit_request(self, request: dict) -> str:
        """Queues a request for the leader (kill tasks, reset a delay); returns its node path."""
        return self.client.create(self.layout.request_prefix, encode(request, what="request"), sequence=True)

    @_translated
    def take_requests(self) -> list[tuple[str, dict]]:
        """Pending requests in submission order, each handed out once by this Store until done_request.

        A new leader (a new Store) sees again those its predecessor took but never finished: at least once.
        """
        names = self._children(self.layout.requests_dir, "requests directory")
        paths = sorted((f"{self.layout.requests_dir}/{name}" for name in names), key=sequence_of)
        self._taken &= set(paths)
        fresh = [path for path in paths if path not in self._taken]
        found = self._get_many(fresh)
        taken = [(path, found[path][0]) for path in fresh if path in found]
        self._taken.update(path for path, _ in taken)
        return taken

    @_translated
    def done_request(self, path: str) -> None:
        """Deletes a handled request (idempotent)."""
        self._delete_quietly(path)
        self._taken.discard(path)

    def watch_requests(self, callback: Callable[[], None]) -> None:
        """Calls `callback()` (on kazoo's thread; keep it to a queue put) whenever requests/ changes."""

        def changed(_children: list[str]) -> None:
            callback()

        ChildrenWatch(self.client, self.layout.requests_dir, changed)

    # ---- events -------------------------------------------------------------------------------------

    def append_event(self, event: dict) -> IAsyncResult:
        """Appends an event without waiting (never blocks a hot path); the future yields the node path."""
        return self.client.create_async(self.layout.event_prefix, encode(event, what="event"), sequence=True)

    def append_events(self, events: Iterable[dict]) -> list[IAsyncResult]:
        """Appends events in order without waiting, as multi-op transactions of sequential creates (at most
        EVENT_BATCH events or EVENT_BATCH_BYTES each): one request per batch instead of one per event, which
        cost the leader's loop a kazoo round of its own per status update. Returns one future per
        transaction; each yields the list of per-create results (exceptions for failed creates).
        Raises StoreError, with nothing sent, if an event is too large for a node."""
        futures: list[IAsyncResult] = []
        tx, count, size = None, 0, 0
        for data in [encode(event, what="event") for event in events]:
            if tx is not None and (count == EVENT_BATCH or size + len(data) > EVENT_BATCH_BYTES):
                futures.append(tx.commit_async())
                tx = None
            if tx is None:
                tx, count, size = self.client.transaction(), 0, 0
            tx.create(self.layout.event_prefix, data, sequence=True)
            count, size = count + 1, size + len(data)
        if tx is not None:
            futures.append(tx.commit_async())
        return futures

    @_translated
    def trim_events(self, keep: int = DEFAULT_EVENTS_KEPT) -> int:
        """Deletes all but the newest `keep` events (pipelined); returns how many went."""
        names = sorted(self._children(self.layout.events_dir, "events directory"), key=sequence_of)
        doomed = names[:max(0, len(names) - keep)]
        results = [self.client.delete_async(f"{self.layout.events_dir}/{name}") for name in doomed]
        deleted = 0
        for result in results:
            try:
                result.get(timeout=self.timeout)
                deleted += 1
            except NoNodeError:
                pass
        return deleted


__all__ = ["DEFAULT_EVENTS_KEPT", "DEFAULT_MAX_VERSIONS", "Store", "wait_all"]
