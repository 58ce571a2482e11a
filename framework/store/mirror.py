"""A watch-fed, read-only, in-memory copy of Balalaika's state, for the api replicas and the scheduler.

Why not kazoo's TreeCache: it took 6.1 s to initialise over 11,100 nodes (infra-recipes.md section 1).
Here the load lists each directory and then reads every node (pipelined, task records in bulk).

How it follows changes: one persistent recursive watch per mirrored directory and single node
(framework.store.watches, ZooKeeper 3.6+), armed before the load, reports each node created, changed or
deleted with its path, and the mirror reads just that node. Children watches did this before and made every
change of a directory cost every mirror a listing of the whole directory: with 1,000 apps each new app cost
each mirror (every api worker and the leader) a listing of 1,000 names, O(apps) per write.

Threads and order: the notifications and the answers of the mirror's reads are both handled on kazoo's
completion thread, in the order ZooKeeper sent them (its reads link their callback before they are sent),
and only there is the copy mutated, under a lock that `snapshot()` also takes. So a notification is seen
before any answer that shows its change: the plans created with an app are marked pending before the read
of the app is applied (see `snapshot`). When the connection drops the server forgets the watches; after
reconnecting (same or new session) the mirror arms them again, reloads everything and reports only what
differs.

Events are watched and read only while somebody subscribes to them (an api worker with open /v2/events
streams): they are Marathon's event bus, not state. Reading each of them on every api worker was a third of
the ZooKeeper requests of a write (the write's api_post_event and group_change_success, the leader's
deployment events), and being notified of them, even unread, five of the eight notifications a write cost
each api worker. The first subscriber arms the watch and lists the events to know where "from now on"
starts; the last one removes the watch from the server. A subscriber also gets, across a reconnection, the
events created while the connection was down.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, KazooException, NoNodeError, NoWatcherError, SessionExpiredError
from kazoo.interfaces import IAsyncResult
from kazoo.protocol.serialization import GetChildren, GetData
from kazoo.protocol.states import EventType, KazooState, WatchedEvent

from framework.store import planparts
from framework.store.bulk_read import Batch, answers, read_batches
from framework.store.codec import decode
from framework.store.deployments import APPLYING, STAGING
from framework.store.errors import StoreError
from framework.store.layout import DEFAULT_ROOT, EVENT_PREFIX, Layout, decode_id, sequence_of
from framework.store.store import Store
from framework.store.watches import add_recursive_watch, forget_recursive_watch, remove_recursive_watch

log = logging.getLogger(__name__)

# Directories of one JSON node per entry: directory name -> (change kind, node name -> id).
_FLAT: dict[str, tuple[str, Callable[[str], str]]] = {
    "apps": ("app", decode_id),
    "groups": ("group", decode_id),
    "deployments": ("deployment", str),
    "queue": ("queue", decode_id),
    "failures": ("failure", decode_id),
}
_SINGLES = {"leader-info": "leader", "framework-id": "framework-id"}
_PARTS = ("apps", "groups", "tasks", "deployments", "queue", "failures")  # copied into a Snapshot
# From this many task directories or tasks to read at once (a load, a reload), one request per 500 reads
# (bulk_read) instead of one each: 110,000 nodes took ~30 s one by one.
BULK_FROM = 20


def _raise_unless_gone(error: KazooException) -> None:
    """A read in a bulk batch failed: a node deleted meanwhile reads as None (its watch fired NodeDeleted)."""
    if isinstance(error, NoNodeError):
        return None
    raise error


def _armed(result: IAsyncResult) -> None:
    result.get()  # raises if ZooKeeper refused the watch (logged by _complete)


def _unarmed(result: IAsyncResult) -> None:
    with contextlib.suppress(NoWatcherError):  # a reconnection dropped it already
        result.get()


def _with_applying(apps: Mapping[str, dict], plans: Mapping[str, dict]) -> dict[str, dict]:
    """The apps as readers see them: a committed plan still `applying` (framework.store.staged) stands for
    the app nodes its writer is still bringing to its targets."""
    shown = dict(apps)
    for plan in plans.values():
        if plan.get(APPLYING):
            for app_id in plan["affectedApps"]:
                target = plan["target"].get(app_id)
                if target is None:
                    shown.pop(app_id, None)
                else:
                    shown[app_id] = target
    return shown


@dataclass(frozen=True)
class Change:
    """What changed: kind is app, group, task, deployment, queue, failure, leader or framework-id; id is the
    app/group/task/deployment id (the app id for queue and failure, "" for leader and framework-id); app_id
    is set for tasks."""

    kind: str
    id: str
    deleted: bool
    app_id: str | None = None


class PlanNode(NamedTuple):
    """How a plan the mirror shows is stored: its head's znode version when read (the leader's compare-and-set
    over what it saw) and whether it has parts to delete after it."""

    version: int
    split: bool


@dataclass(frozen=True)
class Snapshot:
    """A consistent, immutable view; the dicts inside are shared with the mirror: never mutate them."""

    apps: Mapping[str, dict]
    groups: Mapping[str, dict]
    tasks: Mapping[str, Mapping[str, dict]]
    deployments: Mapping[str, dict]
    queue: Mapping[str, dict]
    leader: dict | None
    framework_id: str | None
    revision: int
    # app id -> its last task failure in Marathon's lastTaskFailure shape (framework.scheduler.records)
    failures: Mapping[str, dict]
    plan_nodes: Mapping[str, PlanNode]  # deployment id -> how it is stored


class Mirror:
    """Read-only copy of apps, groups, tasks, deployments, queue, last task failures, leader-info and
    framework-id, and a feed of the events created while subscribed.

    `tasks=False` / `events=False` leave those directories out (no reads, no watches; the snapshot's
    `tasks` stays empty and no events are delivered, even to subscribers): the leading scheduler keeps its
    tasks in memory and writes them and the events itself, and re-reading every node it wrote doubled its
    ZooKeeper traffic.
    """

    def __init__(self, client: KazooClient, root: str = DEFAULT_ROOT, *,
                 tasks: bool = True, events: bool = True) -> None:
        self.client = client
        self._dirs = (*_FLAT, *(["tasks"] if tasks else []))
        self._events = events
        self.layout = Layout(root)
        self._prefix = self.layout.root.rstrip("/") + "/"
        self._lock = threading.Lock()
        self._flat: dict[str, dict[str, Any]] = {name: {} for name in _FLAT}
        self._tasks: dict[str, dict[str, dict]] = {}
        self._task_views: dict[str, Mapping[str, dict]] = {}
        self._singles: dict[str, Any] = dict.fromkeys(_SINGLES)
        self._event_requested = -1  # the newest event read or passed over, -1 before the first listing
        self._event_delivered = -1
        # events notified while a (re)load's listing of events/ is on its way: read with the listed ones
        self._events_unlisted: set[int] | None = None
        self._revision = 0
        self._snapshot: Snapshot | None = None
        self._subscribers: list[Callable[[Change], None]] = []
        self._event_subscribers: list[Callable[[int, dict], None]] = []
        self._pending = 0
        self._idle = threading.Event()
        self._idle.set()
        self._started = False
        self._stopped = False
        self._resync_needed = False
        self._heads: dict[str, tuple[dict, int]] = {}  # plan id -> newest head of a split plan, its version
        self._plan_nodes: dict[str, PlanNode] = {}  # plan id -> how the plan shown is stored
        self._plans_pending: set[str] = set()  # new plans listed and not yet read
        self._published: Snapshot | None = None
        self._built: Snapshot | None = None  # the last snapshot built, whose unchanged parts the next one shares
        self._stale: set[str] = set()  # the parts changed since it was built
        self._parts: dict[str, list[dict]] = {}  # plan id -> its parts, once all are read

    # ---- public -------------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Ensures the layout, loads everything and arms the watches; returns once loaded.
        Raises StoreError if the load does not finish within `timeout`."""
        Store(self.client, self.layout.root).ensure_layout()
        self.client.add_listener(self._on_state)
        self._started = True
        self._load()
        if not self._idle.wait(timeout):
            raise StoreError(f"mirror of {self.layout.root} not loaded within {timeout}s")
        self.snapshot()  # published, so that a plan being read holds this one rather than none

    def stop(self) -> None:
        """Stops applying changes and calling subscribers (the server keeps the watches until the connection
        closes; their notifications are dropped)."""
        self._stopped = True
        self.client.remove_listener(self._on_state)
        for name in (*self._watched, "events"):
            forget_recursive_watch(self.client, self._prefix + name, self._on_watch)
        self._subscribers.clear()
        self._event_subscribers.clear()

    @property
    def synced(self) -> bool:
        """False between a connection loss and the end of the reload that follows it."""
        return self._started and not self._resync_needed and self._idle.is_set() and self.client.connected

    def snapshot(self) -> Snapshot:
        """The current state; cheap when nothing changed since the last call (it is cached).

        While a new plan is being read (its head, then a big plan's parts: a few round trips), the last
        snapshot is returned: the app nodes a plan's writer writes after committing it may arrive first,
        and a reader must not see them without their plan."""
        with self._lock:
            if self._plans_pending and self._published is not None:
                return self._published
            if self._snapshot is None:
                self._snapshot = self._build()
            self._published = self._snapshot
            return self._snapshot

    def _build(self) -> Snapshot:
        """Under the lock: a new snapshot that copies only the parts changed since the last one was built: a
        write changes the apps once and the plans twice, and each of those copied all 10,000 apps."""
        last, stale, self._stale = self._built, self._stale, set()
        if last is None:
            stale = set(_PARTS)

        def copied(part: str, current: Mapping) -> Mapping:
            return MappingProxyType(dict(current)) if part in stale else getattr(last, part)

        deployments = copied("deployments", self._flat["deployments"])
        applying = any(plan.get(APPLYING) for plan in deployments.values())
        was_applying = last is not None and any(plan.get(APPLYING) for plan in last.deployments.values())
        if "apps" in stale or ("deployments" in stale and (applying or was_applying)):
            apps = MappingProxyType(_with_applying(self._flat["apps"], deployments))
        else:
            apps = last.apps
        if "tasks" in stale:
            for app_id in self._tasks.keys() - self._task_views.keys():
                self._task_views[app_id] = MappingProxyType(dict(self._tasks[app_id]))
            tasks = MappingProxyType({app_id: self._task_views[app_id] for app_id in self._tasks})
        else:
            tasks = last.tasks
        self._built = Snapshot(
            apps=apps, groups=copied("groups", self._flat["groups"]), tasks=tasks, deployments=deployments,
            queue=copied("queue", self._flat["queue"]), leader=self._singles["leader-info"],
            framework_id=self._singles["framework-id"], revision=self._revision,
            failures=copied("failures", self._flat["failures"]),
            plan_nodes=MappingProxyType(dict(self._plan_nodes)) if "deployments" in stale else last.plan_nodes)
        return self._built

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Calls `callback(change)` after every applied change, on kazoo's completion thread: it must
        return quickly and not block (enqueue, wake a loop). Returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def subscribe_events(self, callback: Callable[[int, dict], None], timeout: float = 5.0) -> Callable[[], None]:
        """Calls `callback(seq, event)` for each event created from now on, in order, on kazoo's completion
        thread. Returns a function that unsubscribes. The first subscriber waits until the events are watched
        and the newest one is known, for up to `timeout` seconds (without ZooKeeper, the reload that follows
        the reconnection does it)."""
        with self._lock:
            first = not self._event_subscribers
            self._event_subscribers.append(callback)
        if first and self._events and self._started and not self._stopped:
            listed = threading.Event()
            self._events_unlisted = set()
            self._issue(add_recursive_watch(self.client, self._events_dir, self._on_watch), _armed)
            self._send(GetChildren(self._path("events"), None), self._got_event_names_anew, listed)
            listed.wait(timeout)
        return functools.partial(self._unsubscribe_events, callback)

    def _unsubscribe_events(self, callback: Callable[[int, dict], None]) -> None:
        with self._lock:
            self._event_subscribers.remove(callback)
            last = not self._event_subscribers
        if last and self._events and self._started and not self._stopped:
            self._issue(remove_recursive_watch(self.client, self._events_dir, self._on_watch), _unarmed)

    # ---- issuing reads ------------------------------------------------------------------------------

    def _issue(self, result: IAsyncResult, handler: Callable[..., None], *args: Any) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        result.rawlink(functools.partial(self._complete, handler, args))

    def _send(self, request: Any, handler: Callable[..., None], *args: Any) -> None:
        """Sends a kazoo request with `handler` linked first: its answer then takes its place in the order
        ZooKeeper sent it among the notifications even when sent from another thread (a late link would
        queue it behind notifications that came after it)."""
        result = self.client.handler.async_result()
        self._issue(result, handler, *args)
        self.client._call(request, result)  # what get_async does, once the callback is linked

    def _path(self, relative: str) -> str:
        """The path on the wire (with the client's chroot), as kazoo's requests take it."""
        return (self.client.chroot or "") + self._prefix + relative

    def _complete(self, handler: Callable[..., None], args: tuple, result: IAsyncResult) -> None:
        try:
            if not self._stopped:
                handler(*args, result)
        except (ConnectionLoss, SessionExpiredError):
            self._resync_needed = True  # the reload after reconnecting covers it
        except Exception:
            log.exception("mirror: applying %s%s failed", handler.__name__, args)
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()

    @property
    def _watched(self) -> tuple[str, ...]:
        return (*self._dirs, *_SINGLES)

    @property
    def _events_dir(self) -> str:
        return self._prefix + "events"

    def _load(self) -> None:
        """Arms the watches, then reads everything (a change in between is both notified and read); events
        only for subscribers."""
        for name in self._watched:
            self._issue(add_recursive_watch(self.client, self._prefix + name, self._on_watch), _armed)
        if self._events and self._event_subscribers:
            self._events_unlisted = set()
            self._issue(add_recursive_watch(self.client, self._events_dir, self._on_watch), _armed)
            self._fetch_children("events")
        for name in self._dirs:
            self._fetch_children(name)
        for name in _SINGLES:
            self._fetch_single(name)

    def _fetch_children(self, dirname: str) -> None:
        self._send(GetChildren(self._path(dirname), None), self._got_children, dirname)

    def _fetch_data(self, dirname: str, name: str) -> None:
        self._send(GetData(self._path(f"{dirname}/{name}"), None), self._got_data, dirname, name)

    def _fetch_task_dir(self, app_name: str) -> None:
        self._send(GetChildren(self._path(f"tasks/{app_name}"), None), self._got_task_dir, app_name)

    def _fetch_task(self, app_name: str, task_id: str) -> None:
        self._send(GetData(self._path(f"tasks/{app_name}/{task_id}"), None), self._got_task, app_name, task_id)

    def _fetch_single(self, name: str) -> None:
        self._send(GetData(self._path(name), None), self._got_single, name)

    def _fetch_event(self, seq: int) -> None:
        self._send(GetData(self._path(f"events/{EVENT_PREFIX}{seq:010d}"), None), self._got_event, seq)

    # ---- applying answers (completion thread) -------------------------------------------------------

    def _changed(self, changes: list[Change]) -> None:
        """Bookkeeping under the lock is done by the caller; this notifies outside it."""
        for change in changes:
            for callback in list(self._subscribers):
                try:
                    callback(change)
                except Exception:
                    log.exception("mirror subscriber failed on %s", change)

    def _bump(self, *parts: str) -> None:
        """Under the lock: the snapshot `parts` (_PARTS; none for leader-info and framework-id, which are not
        copied) changed."""
        self._revision += 1
        self._stale.update(parts)
        self._snapshot = None

    @staticmethod
    def _names(result: IAsyncResult) -> set[str]:
        try:
            return set(result.get())
        except NoNodeError:
            return set()

    def _got_children(self, dirname: str, result: IAsyncResult) -> None:
        """A directory listed by a (re)load: what is no longer listed is gone, everything listed is read."""
        names = self._names(result)
        if dirname == "events":
            self._got_event_names(names)
            return
        if dirname == "tasks":
            self._got_task_dirs(names)
            return
        kind, to_id = _FLAT[dirname]
        entries = self._flat[dirname]
        ids = {to_id(name) for name in names}
        with self._lock:
            if dirname == "deployments":  # hold the snapshot until the plans are read (see `snapshot`)
                self._plans_pending = set(names)  # any other was deleted before this listing
            gone = [entry_id for entry_id in entries if entry_id not in ids]
            for entry_id in gone:
                del entries[entry_id]
                self._plan_nodes.pop(entry_id, None)
            if gone:
                self._bump(dirname)
        self._changed([Change(kind, entry_id, True) for entry_id in gone])
        for name in names:
            self._fetch_data(dirname, name)

    def _got_data(self, dirname: str, name: str, result: IAsyncResult) -> None:
        try:
            data, stat = result.get()
            value, version = decode(data), stat.version
        except NoNodeError:
            value, version = None, -1
        self._apply_data(dirname, name, value, version)

    def _apply_data(self, dirname: str, name: str, value: Any, version: int = -1) -> None:
        """A node of a flat directory read (None: absent) at znode `version`."""
        if dirname == "deployments":
            self._got_plan_head(name, value, version)
            return
        self._set_entry(dirname, _FLAT[dirname][1](name), value)

    def _set_entry(self, dirname: str, entry_id: str, value: Any, plan_node: PlanNode | None = None) -> None:
        """`plan_node`: how a plan (dirname deployments) is stored, None when it is gone."""
        kind, entries = _FLAT[dirname][0], self._flat[dirname]
        with self._lock:
            thawed = dirname == "deployments" and entry_id in self._plans_pending
            if thawed:  # the snapshot held for this plan moves on (it may show changes made meanwhile)
                self._plans_pending.discard(entry_id)
                self._snapshot = None
            renumbered = dirname == "deployments" and self._plan_nodes.get(entry_id) != plan_node
            if renumbered:
                if plan_node is None:
                    self._plan_nodes.pop(entry_id, None)
                else:
                    self._plan_nodes[entry_id] = plan_node
            if entries.get(entry_id) == value and not thawed:
                if renumbered:  # a head rewritten unchanged: its new version is what a compare-and-set needs
                    self._bump("deployments")
                return
            if value is None:
                entries.pop(entry_id, None)
            else:
                entries[entry_id] = value
            self._bump(dirname)
        self._changed([Change(kind, entry_id, value is None)])

    def _got_plan_head(self, plan_id: str, head: dict | None, version: int) -> None:
        """A plan's head (at znode `version`): staged ones stay hidden; a split plan is shown once its parts
        are read (they are immutable, so they are read once per plan and joined with every later head)."""
        if head is None or head.get(STAGING):
            self._heads.pop(plan_id, None)
            self._parts.pop(plan_id, None)
            self._set_entry("deployments", plan_id, None)
            return
        if not planparts.is_split(head):
            self._set_entry("deployments", plan_id, head, PlanNode(version, split=False))
            return
        self._heads[plan_id] = (head, version)
        if plan_id in self._parts:
            self._set_entry("deployments", plan_id, planparts.join(head, self._parts[plan_id]),
                            PlanNode(version, split=True))
            return
        self._issue(self.client.get_children_async(self.layout.plan_parts(plan_id)), self._got_part_names, plan_id)

    def _got_part_names(self, plan_id: str, result: IAsyncResult) -> None:
        names = sorted(self._names(result))
        directory = self.layout.plan_parts(plan_id)
        pending = [self.client.get_async(f"{directory}/{name}") for name in names]
        collected: list[dict] = []
        for future in pending:
            self._issue(future, self._got_part, plan_id, collected, len(pending))

    def _got_part(self, plan_id: str, collected: list[dict], count: int, result: IAsyncResult) -> None:
        try:
            collected.append(decode(result.get()[0]))
        except NoNodeError:
            return  # the plan is being deleted; its head's deletion follows
        head, version = self._heads.get(plan_id, (None, -1))
        if len(collected) < count or head is None or len(collected) != head["parts"]:
            return
        self._parts[plan_id] = list(collected)
        self._set_entry("deployments", plan_id, planparts.join(head, collected), PlanNode(version, split=True))

    def _got_task_dirs(self, names: set[str]) -> None:
        """The task directories listed by a (re)load: the tasks of apps no longer listed are gone; every
        listed directory is read, in bulk from BULK_FROM on."""
        listed = {decode_id(name) for name in names}
        changes = []
        with self._lock:
            for app_id in self._tasks.keys() - listed:
                changes += [Change("task", task_id, True, app_id) for task_id in self._tasks.pop(app_id)]
                self._task_views.pop(app_id, None)
            if changes:
                self._bump("tasks")
        self._changed(changes)
        if len(names) < BULK_FROM:
            for name in names:
                self._fetch_task_dir(name)
            return
        dirs = [f"{self._prefix}tasks/{name}" for name in names]
        for batch in read_batches(self.client, dirs, True):
            self._issue(batch.read, self._got_task_dirs_batch, batch)

    def _got_task_dirs_batch(self, batch: Batch, _result: IAsyncResult) -> None:
        """Listings of many task directories at once; their tasks are then read in bulk too."""
        wanted = []
        for path, names in answers(batch):
            app_name = path.rsplit("/", 1)[1]
            if isinstance(names, KazooException):
                names = _raise_unless_gone(names) or []  # a directory deleted meanwhile: its tasks are gone
            wanted += [f"{path}/{task_id}" for task_id in self._task_dir_listed(app_name, set(names))]
        if len(wanted) < BULK_FROM:
            for path in wanted:
                app_name, task_id = path.rsplit("/", 2)[1:]
                self._fetch_task(app_name, task_id)
            return
        for tasks in read_batches(self.client, wanted, False):
            self._issue(tasks.read, self._got_tasks_batch, tasks)

    def _got_tasks_batch(self, batch: Batch, _result: IAsyncResult) -> None:
        for path, data in answers(batch):
            app_name, task_id = path.rsplit("/", 2)[1:]
            if isinstance(data, KazooException):
                data = _raise_unless_gone(data)
            self._task_read(app_name, task_id, None if data is None else decode(data))

    def _got_task_dir(self, app_name: str, result: IAsyncResult) -> None:
        for task_id in self._task_dir_listed(app_name, self._names(result)):
            self._fetch_task(app_name, task_id)

    def _task_dir_listed(self, app_name: str, names: set[str]) -> set[str]:
        """Applies a task directory's listing: tasks not listed are gone; returns the task ids to read (all)."""
        app_id = decode_id(app_name)
        with self._lock:
            tasks = self._tasks.get(app_id, {})
            gone = [task_id for task_id in tasks if task_id not in names]
            for task_id in gone:
                del tasks[task_id]
            if gone:
                self._forget_task_view(app_id)
        self._changed([Change("task", task_id, True, app_id) for task_id in gone])
        return names

    def _forget_task_view(self, app_id: str) -> None:
        """Under the lock: the app's tasks changed."""
        self._task_views.pop(app_id, None)
        if not self._tasks.get(app_id, True):
            del self._tasks[app_id]
        self._bump("tasks")

    def _got_task(self, app_name: str, task_id: str, result: IAsyncResult) -> None:
        try:
            value = decode(result.get()[0])
        except NoNodeError:
            value = None
        self._task_read(app_name, task_id, value)

    def _task_read(self, app_name: str, task_id: str, value: dict | None) -> None:
        app_id = decode_id(app_name)
        with self._lock:
            tasks = self._tasks.get(app_id, {})
            if tasks.get(task_id) == value:
                return
            if value is None:
                del tasks[task_id]
            else:
                self._tasks[app_id] = tasks
                tasks[task_id] = value
            self._forget_task_view(app_id)
        self._changed([Change("task", task_id, value is None, app_id)])

    def _got_single(self, name: str, result: IAsyncResult) -> None:
        try:
            data = result.get()[0]
            value = decode(data) if name == "leader-info" else data.decode()
        except NoNodeError:
            value = None  # its watch reports its creation
        self._set_single(name, value)

    def _set_single(self, name: str, value: Any) -> None:
        with self._lock:
            if self._singles[name] == value:
                return
            self._singles[name] = value
            self._bump()
        self._changed([Change(_SINGLES[name], "", value is None)])

    def _got_event_names(self, names: set[str]) -> None:
        """The events listed by a (re)load, with those notified meanwhile: on a reload, those created since the
        last one read are read in order (once each) for the subscribers; the first load only notes the newest."""
        notified, self._events_unlisted = self._events_unlisted or set(), None
        seqs = sorted({sequence_of(name) for name in names if name.startswith(EVENT_PREFIX)} | notified)
        fresh = [seq for seq in seqs if seq > self._event_requested]
        if self._event_requested >= 0:
            for seq in fresh:
                self._pass_event(seq)
        if fresh:
            self._event_requested = fresh[-1]

    def _got_event_names_anew(self, listed: threading.Event, result: IAsyncResult) -> None:
        """The listing made for a first subscriber: what is listed is past; what is created after, theirs."""
        try:
            self._event_requested = -1
            self._got_event_names(self._names(result))
        finally:
            listed.set()

    def _event_created(self, name: str) -> None:
        """A new event: read it, or, while the listing of a (re)load is on its way, with the listed ones."""
        if not name.startswith(EVENT_PREFIX):
            return
        seq = sequence_of(name)
        if self._events_unlisted is not None:
            self._events_unlisted.add(seq)
        elif seq > self._event_requested:
            self._pass_event(seq)
            self._event_requested = seq

    def _pass_event(self, seq: int) -> None:
        """Reads an event for the subscribers; with none, nobody would see it: it is not read."""
        if self._event_subscribers:
            self._fetch_event(seq)

    def _got_event(self, seq: int, result: IAsyncResult) -> None:
        try:
            event = decode(result.get()[0])
        except NoNodeError:
            return  # trimmed before we read it
        with self._lock:
            if seq <= self._event_delivered:
                return
            self._event_delivered = seq
        for callback in list(self._event_subscribers):
            try:
                callback(seq, event)
            except Exception:
                log.exception("mirror event subscriber failed on event %d", seq)

    # ---- watches and connection state ---------------------------------------------------------------

    def _on_watch(self, event: WatchedEvent) -> None:
        """kazoo's completion thread, in stream order: a node below a watched path was created or changed
        (read it), or deleted (applied at once, without a read: every answer sent before the deletion was
        applied already, and a later creation is notified in turn). Directories themselves, version nodes
        and task directories need nothing: what a reader sees is in the nodes below them."""
        if self._stopped:
            return
        parts = event.path.removeprefix(self._prefix).split("/")
        top = parts[0]
        deleted = event.type == EventType.DELETED
        if len(parts) == 1 and top in _SINGLES:
            if deleted:
                self._set_single(top, None)
            else:
                self._fetch_single(top)
        elif len(parts) == 3 and top == "tasks":
            if deleted:
                self._task_read(parts[1], parts[2], None)
            else:
                self._fetch_task(parts[1], parts[2])
        elif len(parts) == 2 and top == "events" and event.type == EventType.CREATED:
            self._event_created(parts[1])
        elif len(parts) == 2 and top in _FLAT:
            self._flat_notified(top, parts[1], event.type)

    def _flat_notified(self, dirname: str, name: str, kind: EventType) -> None:
        if kind == EventType.DELETED:
            self._apply_data(dirname, name, None)
            return
        if dirname == "deployments" and kind == EventType.CREATED:
            with self._lock:  # hold the snapshot until it is read: its apps' reads may answer first
                self._plans_pending.add(name)
        self._fetch_data(dirname, name)

    def _on_state(self, state: str) -> None:
        """kazoo's connection thread: must not block, so the reload only issues async reads."""
        if state != KazooState.CONNECTED:
            self._resync_needed = True
        elif self._resync_needed and not self._stopped:
            self._resync_needed = False
            log.info("mirror of %s: reconnected, reloading", self.layout.root)
            self.client.handler.spawn(self._load)
