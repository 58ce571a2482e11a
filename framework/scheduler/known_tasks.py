"""The tasks this leader knows: their records, the records' decision views, and the writes to ZooKeeper.

Every record is written before its task is launched (`write_new`), so a new leader knows every task it may
find. Status updates change records in memory (`update`); `flush` writes the changed ones in pipelined
batches at the end of each drain and acknowledges each update to Mesos only once its record is stored
(else Mesos resends it). A task's writes never overlap (`_settle`): a batch that fails falls back to
record-by-record writes, which must not land after a newer write of the same record.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterable
from typing import Any

from framework.mesos import events as mesos
from framework.scheduler import records
from framework.store import TaskStore

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 15.0


def _acknowledge_when_written(connection: Any, statuses: list[dict], result: Any) -> None:
    """Completion of a task record's write (on kazoo's thread): acknowledges the updates it persisted."""
    try:
        result.get()
    except Exception as error:
        log.error("could not persist task %s: %s", statuses[0]["task_id"]["value"], error)
        return
    for status in statuses:
        connection.acknowledge(status)


class KnownTasks:
    """Owns the task records (by task id), their views in seconds (`records.decision_view`), the updates
    waiting for their record's write, and the writes in flight. Used on the loop's thread only.

    Handed the task store, where the records are written."""

    def __init__(self, store: TaskStore) -> None:
        self._store = store
        self._records: dict[str, dict] = {}
        self._views: dict[str, dict] = {}
        # app id -> task id -> view: the loop asks for one app's tasks once per app per tick; scanning every
        # view for each (10,000 apps x 100,000 tasks) took ~85 % of the loop at 10,000 tasks
        self._views_by_app: dict[str, dict[str, dict]] = {}
        self._unwritten: dict[str, list[dict]] = {}  # task id -> statuses to acknowledge once it is written
        self._writing: dict[str, Any] = {}  # task id -> future of its record's write, possibly still in flight
        self._acks: list[dict] = []  # statuses to acknowledge at the next flush (their record is deleted)
        self._changes = 0  # numbers each change of a task, for `revision_of`
        self._revisions: dict[str, int] = {}  # app id -> the number of its tasks' latest change
        self._touched: set[str] = set()  # apps whose tasks changed since `take_touched` last asked

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._records

    def __len__(self) -> int:
        return len(self._records)

    def get(self, task_id: str) -> dict | None:
        return self._records.get(task_id)

    def ids(self) -> set[str]:
        return set(self._records)

    def records(self) -> Iterable[dict]:
        return self._records.values()

    def views(self) -> Iterable[dict]:
        return self._views.values()

    def views_of(self, app_id: str) -> list[dict]:
        return list(self._views_by_app.get(app_id, {}).values())

    def views_by_app(self) -> dict[str, list[dict]]:
        return {app_id: list(views.values()) for app_id, views in self._views_by_app.items()}

    def app_ids(self) -> set[str]:
        return set(self._views_by_app)

    def revision_of(self, app_id: str) -> int:
        """Changes whenever a task of the app is remembered or ends; 0 exactly while the app has none."""
        return self._revisions.get(app_id, 0)

    def take_touched(self) -> set[str]:
        """The apps whose tasks changed since the last call."""
        touched, self._touched = self._touched, set()
        return touched

    def _changed(self, app_id: str) -> None:
        self._changes += 1
        self._revisions[app_id] = self._changes
        self._touched.add(app_id)

    def remember(self, record: dict) -> None:
        """Takes a record as it is stored already (a predecessor's, at the start of leadership)."""
        view = records.decision_view(record)
        self._records[record["id"]] = record
        self._views[record["id"]] = view
        self._views_by_app.setdefault(record["appId"], {})[record["id"]] = view
        self._changed(record["appId"])

    def update(self, record: dict, ack: mesos.StatusUpdate | None = None) -> None:
        """Takes a changed record and marks it for writing at the next `flush`: one batch of transactions
        for all the updates handled, instead of one round trip each (which paced a 1,000-task launch).
        ``ack``: the update to acknowledge once the record is written."""
        self.remember(record)
        statuses = self._unwritten.setdefault(record["id"], [])
        if ack is not None and ack.needs_ack:
            statuses.append(ack.status)

    def write_now(self, record: dict) -> None:
        """Takes the record and writes it at once rather than at the next flush, after any earlier write of it."""
        self.remember(record)
        self._settle([record["id"]])
        self._writing[record["id"]] = self._store.put_many([record])[0]

    def write_new(self, new_records: list[dict]) -> set[str]:
        """Creates the records of tasks about to launch, waiting for ZooKeeper; returns the ids written."""
        written = set()
        futures = self._store.put_many(new_records, new=True)
        for record, future in zip(new_records, futures, strict=True):
            try:
                future.get(timeout=WRITE_TIMEOUT)
            except Exception as error:
                log.error("not launching %s: its record could not be written (%s)", record["id"], error)
                continue
            written.add(record["id"])
            self.remember(record)
            log.info("launching task %s of %s on %s", record["id"], record["appId"], record["host"])
        return written

    def end(self, task_id: str, ack: mesos.StatusUpdate | None = None) -> dict:
        """Forgets a task that ended and deletes its record (waiting for ZooKeeper); returns the record. Its
        updates still waiting for a write, and ``ack``, are acknowledged at the next flush. Raises KeyError
        for an unknown task."""
        record = self._records.pop(task_id)
        self._views.pop(task_id, None)
        of_app = self._views_by_app.get(record["appId"], {})
        of_app.pop(task_id, None)
        if of_app:
            self._changed(record["appId"])
        else:  # 0 again: "no tasks", as before its first
            self._views_by_app.pop(record["appId"], None)
            self._revisions.pop(record["appId"], None)
            self._touched.add(record["appId"])
        self._settle([task_id])
        self._store.delete(record["appId"], task_id)
        self._acks += self._unwritten.pop(task_id, [])
        if ack is not None:
            self._acks.append(ack.status)
        return record

    def flush(self, connection: Any) -> None:
        """Writes the records `update` marked (their latest state) and acknowledges each update through
        ``connection`` once its record is in ZooKeeper, and the updates of ended tasks at once.

        The loop does not wait for the writes: the acknowledgements go from the writes' completion (kazoo's
        thread), so the loop handles the next updates meanwhile; waiting here paced a 1,000-task launch."""
        unwritten, self._unwritten = self._unwritten, {}
        task_ids = [task_id for task_id in unwritten if task_id in self._records]
        self._writing = {task_id: future for task_id, future in self._writing.items() if not future.ready()}
        self._settle(task_ids)
        futures = self._store.put_many([self._records[task_id] for task_id in task_ids]) if task_ids else []
        for task_id, future in zip(task_ids, futures, strict=True):
            self._writing[task_id] = future
            if unwritten[task_id]:
                future.rawlink(functools.partial(_acknowledge_when_written, connection, unwritten[task_id]))
        acks, self._acks = self._acks, []
        for status in acks:
            if "uuid" in status and "agent_id" in status:
                connection.acknowledge(status)

    def _settle(self, task_ids: Iterable[str]) -> None:
        """Waits for writes of these tasks still in flight (rarely any: a task's next update comes only once
        the previous one is acknowledged)."""
        for task_id in task_ids:
            future = self._writing.pop(task_id, None)
            if future is not None:
                with contextlib.suppress(Exception):  # its failure is reported by its own callback
                    future.get(timeout=WRITE_TIMEOUT)

