"""A pymesos MesosSchedulerDriver behind typed events and non-raising calls."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

import pymesos.process
from pymesos import MesosSchedulerDriver, Scheduler

from framework.mesos import events

log = logging.getLogger(__name__)

Sink = Callable[[object], None]


class _Callbacks(Scheduler):
    """Runs on pymesos's IO thread: translate and enqueue only. Raising here would abort the driver."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def _put(self, event: object) -> None:
        try:
            self._sink(event)
        except Exception:
            log.exception("dropping Mesos event %r", event)

    def registered(self, driver: Any, framework_id: dict, master_info: dict) -> None:
        self._put(events.Subscribed(framework_id["value"]))

    def reregistered(self, driver: Any, master_info: dict) -> None:
        self._put(events.Subscribed(driver.framework_id))

    def disconnected(self, driver: Any) -> None:
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


class MesosConnection:
    """One framework subscription to a Mesos master (`host:port` or `zk://.../mesos`).

    The driver is built with failover=True so that nothing but an explicit `stop(teardown=True)` ever
    sends TEARDOWN: an aborted IO thread must not kill the framework's tasks. Acknowledgements are
    explicit, so the scheduler acknowledges an update only after it has persisted it.
    """

    def __init__(self, master: str, framework_info: dict, sink: Sink, *, principal: str | None = None,
                 secret: str | None = None, call_timeout: float = 30.0) -> None:
        # pymesos uses one timeout for the HTTP calls and for the connect deadline of its IO thread
        self._driver = MesosSchedulerDriver(_Callbacks(sink), dict(framework_info), master,
                                            implicit_acknowledgements=False, principal=principal,
                                            secret=secret, failover=True, timeout=call_timeout)

    @property
    def framework_id(self) -> str | None:
        return self._driver.framework_id

    @property
    def connected(self) -> bool:
        return self._driver.connected

    def start(self) -> None:
        self._driver.start()

    def stop(self, *, teardown: bool = False, timeout: float = 10.0) -> None:
        """Closes the subscription; the framework (and its tasks) survive unless `teardown`."""
        self._driver.stop(failover=not teardown)
        thread = self._driver._io_thread
        if thread is not None:
            thread.join(timeout)

    def _call(self, name: str, *args: Any) -> bool:
        try:
            getattr(self._driver, name)(*args)
        except Exception as error:
            log.warning("Mesos call %s failed: %s", name, error)
            return False
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
        return self._call("acknowledgeStatusUpdate", status)


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
