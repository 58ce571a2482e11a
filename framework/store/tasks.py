"""Task records: one node per task under `tasks/<app>/`, written on the leader's hot path.

Status updates arrive by the thousand, so `TaskStore.put_many` pipelines them as multi-op transactions of
TASK_BATCH writes without waiting, falling back to create-or-set per record for a batch that fails.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable
from typing import Any

from kazoo.exceptions import NoNodeError, NotEmptyError
from kazoo.interfaces import IAsyncResult

from framework.store.bulk_read import read_all
from framework.store.codec import decode, encode
from framework.store.nodes import Nodes, translated

# Task updates go out as multi-op transactions of this many set_data: ~29,000/s measured, against
# ~6,200/s for single set_async (infra-recipes.md section 1).
TASK_BATCH = 50


class TaskStore:
    """Owns `tasks/<app>/<task-id>`, written singly (before a launch) or in pipelined batches (status
    updates), and the task directories known to exist, so that a batch does not ensure them again.

    Handed `app_exists`: a task directory goes with the app's last task once the app is gone."""

    def __init__(self, nodes: Nodes, app_exists: Callable[[str], bool]) -> None:
        self._nodes = nodes
        self._layout = nodes.layout
        self._app_exists = app_exists
        self._dirs: set[str] = set()  # app ids whose task directory exists

    @translated
    def put(self, task: dict) -> None:
        """Create-or-set one task record, waiting for ZooKeeper: use it before a launch."""
        self._nodes.upsert(self._layout.task(task["appId"], task["id"]), encode(task, what=f"task {task['id']}"))
        self._dirs.add(task["appId"])

    @translated
    def put_many(self, tasks: Iterable[dict], *, new: bool = False) -> list[IAsyncResult]:
        """Create-or-set many task records without waiting; one future per task, in order.

        Updates go as pipelined multi-op transactions of TASK_BATCH set_data (`new=True`: of creates, for
        records about to be launched); a batch that fails because a record does not exist yet (or already
        does) falls back to create-or-set per record. Futures fail with the kazoo error of their record.
        Callbacks run on kazoo's completion thread.
        """
        client = self._nodes.client
        tasks = list(tasks)
        items = [(self._layout.task(t["appId"], t["id"]), encode(t, what=f"task {t['id']}")) for t in tasks]
        for app_id in {t["appId"] for t in tasks} - self._dirs:
            client.retry(client.ensure_path, self._layout.task_dir(app_id))
            self._dirs.add(app_id)
        futures: list[IAsyncResult] = []
        for start in range(0, len(items), TASK_BATCH):
            chunk = items[start:start + TASK_BATCH]
            chunk_futures = [client.handler.async_result() for _ in chunk]
            tx = client.transaction()
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
            self._nodes.upsert_async(path, data, future)

    @translated
    def get(self, app_id: str, task_id: str) -> dict | None:
        return self._nodes.value(self._layout.task(app_id, task_id))

    @translated
    def delete(self, app_id: str, task_id: str) -> None:
        """Forgets a task record (idempotent). Once the app is gone too, its empty task directory goes."""
        self._nodes.delete_quietly(self._layout.task(app_id, task_id))
        if not self._app_exists(app_id):
            self._dirs.discard(app_id)
            with contextlib.suppress(NoNodeError, NotEmptyError):
                self._nodes.client.retry(self._nodes.client.delete, self._layout.task_dir(app_id))

    @translated
    def all(self, app_id: str | None = None) -> list[dict]:
        """Every task record (of one app, or of all), read in batches of a few hundred per request
        (bulk_read: a new leader loads 100,000 records in seconds, not a minute)."""
        client, tasks_dir, timeout = self._nodes.client, self._layout.tasks_dir, self._nodes.timeout
        if app_id is None:
            dirs = [f"{tasks_dir}/{name}" for name in self._nodes.children(tasks_dir, "tasks directory")]
        else:
            dirs = [self._layout.task_dir(app_id)]
        paths = [f"{directory}/{name}" for directory, names in read_all(client, dirs, True, timeout)
                 for name in _unless_gone(names, [])]
        return [decode(data) for _, data in read_all(client, paths, False, timeout)
                if _unless_gone(data, None) is not None]


def _unless_gone(answer: Any, gone: Any) -> Any:
    """A bulk answer: `gone` for a node deleted meanwhile; raises any other error."""
    if isinstance(answer, NoNodeError):
        return gone
    if isinstance(answer, Exception):
        raise answer
    return answer
