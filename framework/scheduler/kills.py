"""Kills: the one way every kill goes (scale-down, deployments, API requests, health, overdue launches,
orphans), with drain before kill.

A task an edge may be routing to drains first (ARCHITECTURE.md "Drain before kill", `records.drain_time`):
it turns TASK_KILLING at once with ``drainUntil``, written and announced with a status_update_event (the
edges act on Marathon's event; a new event type would break Marathon clients), so it no longer counts and
its replacement may start; the kill reaches Mesos when the drain ends (`end_drains`). Any other task is
marked TASK_KILLING and killed at once. A kill sent is asked again every ``retry_seconds`` until Mesos
reports the task's end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from framework.scheduler import records
from framework.scheduler.known_tasks import KnownTasks
from framework.timeutil import format_ts

log = logging.getLogger(__name__)


class TaskKiller:
    """Owns which kills were sent (and when) and which tasks drain (until when). Loop thread only.

    Handed: the known tasks (records are read and written through them), ``apps`` (the current app
    definitions by id, for the drain time), ``record_event`` (the event log's), ``send`` (asks Mesos to
    kill a task id) and ``retry_seconds``."""

    def __init__(self, tasks: KnownTasks, apps: Callable[[], Mapping[str, Mapping[str, Any]]],
                 record_event: Callable[[dict, float], None], send: Callable[[str], None],
                 retry_seconds: float) -> None:
        self._tasks = tasks
        self._apps = apps
        self._record_event = record_event
        self._send = send
        self._retry_seconds = retry_seconds
        self._sent: dict[str, float] = {}  # task id -> when its kill was (last) sent to Mesos
        self._draining: dict[str, float] = {}  # task id -> when its drain ends and the kill is sent

    def kill(self, task_id: str, now: float) -> None:
        """Drains the task or kills it at once (see the module). Idempotent; unknown tasks are ignored."""
        record = self._tasks.get(task_id)
        if record is None or self.requested(task_id):
            return
        seconds = records.drain_time(record, self._apps().get(record["appId"]))
        if seconds > 0:
            self._start_drain(record, now + seconds, now)
            return
        log.info("killing task %s of %s", task_id, record["appId"])
        self._tasks.write_now(records.killing(record, now=now))
        self._send_kill(task_id, now)

    def requested(self, task_id: str) -> bool:
        """True once `kill` took the task: its kill was sent, or it drains toward it."""
        return task_id in self._sent or task_id in self._draining

    def resume(self, record: Mapping[str, Any], now: float) -> None:
        """A predecessor asked for this kill: the drain it started goes on until its end; otherwise the
        kill is asked again (at once, through the retry timer), since it may never have reached Mesos."""
        until = records.drain_deadline(record)
        if until is not None and until > now:
            log.info("task %s of %s drains until %s", record["id"], record["appId"], record["drainUntil"])
            self._draining[record["id"]] = until
        else:
            self._sent[record["id"]] = 0.0

    def forget(self, task_id: str) -> bool:
        """Forgets an ended task; True when its end was asked for (a kill sent, or a drain under way)."""
        drained = self._draining.pop(task_id, None) is not None  # ended by itself while draining
        return self._sent.pop(task_id, None) is not None or drained

    def end_drains(self, now: float) -> None:
        """Sends the kills of the drains that are over; the records stay TASK_KILLING as written."""
        for task_id, until in list(self._draining.items()):
            if task_id not in self._tasks:
                del self._draining[task_id]
            elif now >= until:
                del self._draining[task_id]
                log.info("task %s drained: killing it", task_id)
                self._send_kill(task_id, now)

    def retry(self, now: float) -> None:
        """Asks again for the kills Mesos has not confirmed within ``retry_seconds``."""
        for task_id, sent in list(self._sent.items()):
            if task_id not in self._tasks:
                self._sent.pop(task_id)
            elif now - sent >= self._retry_seconds:
                self._sent[task_id] = now
                self._send(task_id)

    def _start_drain(self, record: dict, until: float, now: float) -> None:
        self._draining[record["id"]] = until
        updated = records.draining(record, now=now, until=until)
        log.info("task %s of %s drains until %s", record["id"], record["appId"], updated["drainUntil"])
        self._tasks.write_now(updated)
        status = {"state": records.KILLING, "message": updated["message"]}
        self._record_event(records.status_update_event(updated, status, format_ts(now)), now)

    def _send_kill(self, task_id: str, now: float) -> None:
        self._sent[task_id] = now  # `retry` asks again until Mesos reports the end
        self._send(task_id)
