"""Task records: one node per task under `tasks/<app>/`, written on the leader's hot path.

Status updates arrive by the thousand, so `put_tasks` pipelines them as multi-op transactions of
TASK_BATCH writes without waiting, falling back to create-or-set per record for a batch that fails.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable

from kazoo.exceptions import NoNodeError, NotEmptyError
from kazoo.interfaces import IAsyncResult

from framework.store.base import StoreBase, _translated
from framework.store.codec import encode

# Task updates go out as multi-op transactions of this many set_data: ~29,000/s measured, against
# ~6,200/s for single set_async (infra-recipes.md section 1).
TASK_BATCH = 50


class TasksMixin(StoreBase):
    """Task records, written singly (before a launch) or in pipelined batches (status updates)."""

    _task_dirs: set[str]  # task parents known to exist (see put_tasks)

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
