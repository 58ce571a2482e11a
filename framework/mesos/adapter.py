"""A pymesos MesosSchedulerDriver behind typed events and non-raising calls."""

from __future__ import annotations

import json
import logging
import queue
import signal
import threading
from collections.abc import Callable
from http.client import HTTPConnection, HTTPException
from typing import Any

import pymesos.process
from pymesos import MesosSchedulerDriver, Scheduler

from framework.mesos import events

log = logging.getLogger(__name__)

Sink = Callable[[object], None]


class _Callbacks(Scheduler):
    """Runs on pymesos's IO thread: translate and enqueue only. Raising here would abort the driver.

    pymesos re-subscribes at once whenever its stream closes. A process that no longer leads must not: a
    leader that wakes from a stall to find its stream closed by its successor's SUBSCRIBE ("Framework failed
    over") would take the framework back. So a stream closed while `may_act` is False stops the driver.
    """

    def __init__(self, sink: Sink, may_act: Callable[[], bool]) -> None:
        self._sink = sink
        self._may_act = may_act

    def _put(self, event: object) -> None:
        try:
            self._sink(event)
        except Exception:
            log.exception("dropping Mesos event %r", event)

    def registered(self, driver: Any, framework_id: dict, master_info: dict) -> None:
        self._put(events.Subscribed(framework_id["value"], str((master_info or {}).get("hostname") or "")))

    def reregistered(self, driver: Any, master_info: dict) -> None:
        self._put(events.Subscribed(driver.framework_id, str((master_info or {}).get("hostname") or "")))

    def disconnected(self, driver: Any) -> None:
        if not self._may_act():
            log.warning("Mesos stream closed while not leading: not re-subscribing")
            driver.stop(failover=True)
        self._put(events.Disconnected())

    def resourceOffers(self, driver: Any, offers: list[dict]) -> None:
        self._put(events.Offers(tuple(offers)))

    def offerRescinded(self, driver: Any, offer_id: dict) -> None:
        self._put(events.OfferRescinded(offer_id["value"]))

    def statusUpdate(self, driver: Any, status: dict) -> None:
        self._put(events.StatusUpdate(status))

    def slaveLost(self, driver: Any, agent_id: dict) -> None:
        self._put(events.AgentLost(agent_id["value"]))

    def executorLost(self, driver: Any, executor_id: dict, agent_id: dict, status: int) -> None:
        self._put(events.ExecutorLost(executor_id["value"], agent_id["value"], status))

    def error(self, driver: Any, message: str) -> None:
        self._put(events.MesosError(message))


def _stream(driver: MesosSchedulerDriver) -> tuple[str | None, str | None]:
    """The driver's (stream id, master address), read without its lock: pymesos's `connected`, `stream_id`
    and `master` properties take the lock that its synchronous `_send` holds for a whole HTTP round trip,
    so reading them through the properties waited for every in-flight ACCEPT. A plain attribute read is
    atomic; the IO thread replaces both values as a whole."""
    return driver._stream_id, driver._master


class _Acknowledger:
    """Sends ACKNOWLEDGE calls from a few threads, each on its own HTTP connection to the current master.

    pymesos sends every call synchronously on one connection under a lock; acknowledging the 2,000 updates
    of a 1,000-task launch one round trip at a time on the scheduler's loop paced the whole launch
    (bench/RESULTS.md). Acknowledgements of different tasks are independent, and an agent sends a task's
    next update only once the previous one is acknowledged, so sending them in parallel reorders nothing.
    """

    def __init__(self, driver: MesosSchedulerDriver, threads: int, timeout: float) -> None:
        self._driver = driver
        self._timeout = timeout
        self._queue: queue.Queue[dict | None] = queue.Queue()
        self._threads = [threading.Thread(target=self._run, name=f"mesos-ack-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    def put(self, status: dict) -> None:
        self._queue.put(status)

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)

    def _run(self) -> None:
        connection: HTTPConnection | None = None
        address = None
        while (status := self._queue.get()) is not None:
            driver = self._driver
            stream_id, master = _stream(driver)
            if stream_id is None or master is None or not driver.framework_id or "uuid" not in status:
                continue
            body = json.dumps({"type": "ACKNOWLEDGE", "framework_id": {"value": driver.framework_id},
                               "acknowledge": {key: status[key] for key in ("agent_id", "task_id", "uuid")}})
            headers = {"Content-Type": "application/json", "Mesos-Stream-Id": stream_id}
            if driver._basic_credential:
                headers["Authorization"] = driver._basic_credential
            for attempt in (1, 2):  # a kept-alive connection the master closed fails once: retry on a new one
                if connection is None or address != master:
                    address = master
                    host, _, port = address.rpartition(":")
                    connection = HTTPConnection(host, int(port), timeout=self._timeout)
                try:
                    connection.request("POST", "/api/v1/scheduler", body.encode(), headers)
                    response = connection.getresponse()
                    response.read()
                    if response.status >= 300:
                        log.warning("acknowledging %s: HTTP %s", status["task_id"]["value"], response.status)
                    break
                except (OSError, HTTPException) as error:
                    connection.close()
                    connection = None
                    if attempt == 2:
                        log.warning("acknowledging %s failed: %s", status["task_id"]["value"], error)


class _Caller:
    """Sends the driver's calls (ACCEPT, DECLINE, KILL, RECONCILE, REVIVE, SUPPRESS) from one thread, in the
    order they were made.

    pymesos sends each call synchronously; on the loop, the 20 ACCEPTs of a 1,000-task launch (~130 ms each
    while the master starts the previous tasks) held back every status update behind them for ~2.5 s, so
    the agents' RUNNING updates, which wait for the acknowledgement of STARTING, stalled. One thread keeps
    the calls' order (an ACCEPT still precedes a KILL of its task); the loop only enqueues.

    `may_act` is asked right before each call is sent: a leader whose ZooKeeper connection was suspended
    (or that resigned) sends nothing more, even what its loop queued in the same batch.
    """

    def __init__(self, driver: MesosSchedulerDriver, may_act: Callable[[], bool]) -> None:
        self._driver = driver
        self._may_act = may_act
        self._queue: queue.Queue[tuple[str, tuple] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="mesos-calls", daemon=True)
        self._thread.start()

    def put(self, name: str, args: tuple) -> None:
        self._queue.put((name, args))

    def stop(self, timeout: float) -> None:
        """Sends what is queued (within `timeout`), then ends the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (call := self._queue.get()) is not None:
            name, args = call
            if not self._may_act():
                log.warning("Mesos call %s not sent: no longer leading", name)
                continue
            try:
                getattr(self._driver, name)(*args)
            except Exception as error:
                log.warning("Mesos call %s failed: %s", name, error)


class MesosConnection:
    """One framework subscription to a Mesos master (`host:port` or `zk://.../mesos`).

    The driver is built with failover=True so that nothing but an explicit `stop(teardown=True)` ever
    sends TEARDOWN: an aborted IO thread must not kill the framework's tasks. Acknowledgements are
    explicit, so the scheduler acknowledges an update only after it has persisted it. Calls return at once:
    they are sent in order from a thread (_Caller), acknowledgements from a few (_Acknowledger).
    `may_act` (the daemon passes its leadership) is asked before each call and when the stream closes: a
    process that no longer leads sends nothing more and does not re-subscribe.
    """

    def __init__(self, master: str, framework_info: dict, sink: Sink, *, principal: str | None = None,
                 secret: str | None = None, call_timeout: float = 30.0,
                 may_act: Callable[[], bool] = lambda: True) -> None:
        # pymesos uses one timeout for the HTTP calls and for the connect deadline of its IO thread
        self._driver = MesosSchedulerDriver(_Callbacks(sink, may_act), dict(framework_info), master,
                                            implicit_acknowledgements=False, principal=principal,
                                            secret=secret, failover=True, timeout=call_timeout)
        self._acknowledger = _Acknowledger(self._driver, threads=4, timeout=call_timeout)
        self._caller = _Caller(self._driver, may_act)

    @property
    def framework_id(self) -> str | None:
        return self._driver.framework_id

    @property
    def connected(self) -> bool:
        return _stream(self._driver)[0] is not None

    def start(self) -> None:
        self._driver.start()

    def stop(self, *, teardown: bool = False, timeout: float = 10.0) -> None:
        """Closes the subscription; the framework (and its tasks) survive unless `teardown`."""
        self._acknowledger.stop()
        self._caller.stop(timeout)
        self._driver.stop(failover=not teardown)
        thread = self._driver._io_thread
        if thread is not None:
            thread.join(timeout)

    def _call(self, name: str, *args: Any) -> bool:
        """Queued, not sent at once (see _Caller); a failure is logged there."""
        self._caller.put(name, args)
        return True

    def accept(self, offer_id: str, task_infos: list[dict], refuse_seconds: float) -> bool:
        return self._call("launchTasks", [{"value": offer_id}], task_infos, {"refuse_seconds": refuse_seconds})

    def decline(self, offer_ids: list[str], refuse_seconds: float) -> bool:
        return self._call("declineOffer", [{"value": o} for o in offer_ids], {"refuse_seconds": refuse_seconds})

    def revive(self) -> bool:
        return self._call("reviveOffers")

    def suppress(self) -> bool:
        return self._call("suppressOffers")

    def kill(self, task_id: str) -> bool:
        return self._call("killTask", {"value": task_id})

    def reconcile(self, task_ids: list[str]) -> bool:
        """Explicit reconciliation of `task_ids`; an empty list asks for every task (implicit)."""
        return self._call("reconcileTasks", [{"task_id": {"value": t}} for t in task_ids])

    def acknowledge(self, status: dict) -> bool:
        """Queued, not sent at once (see _Acknowledger); a lost acknowledgement makes the agent resend."""
        self._acknowledger.put(status)
        return True


def install_signal_handlers(on_abort: Callable[[str], None], on_stop: Callable[[], None]) -> None:
    """Main-thread signal handling for a daemon that owns a MesosConnection.

    pymesos reports a dead IO thread by storing the exception and interrupting the main thread
    (SIGINT). We take that exception and report it through `on_abort` instead of letting it unwind
    the scheduler loop at a random point; a real SIGINT or SIGTERM calls `on_stop`.
    """
    def on_sigint(signum: int, frame: object) -> None:
        aborted = pymesos.process._exc_info
        if aborted is not None:
            pymesos.process._exc_info = None
            on_abort(repr(aborted[1]))
        else:
            on_stop()

    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, lambda signum, frame: on_stop())


__all__ = ["MesosConnection", "install_signal_handlers"]
