"""The only module that imports pymesos: driver callbacks in, status updates out.

Two pymesos quirks are handled here. Its driver never records the updates it sends, so after a lost
connection it would re-subscribe with none of them unacknowledged; `AgentLink.send` records each one in
the driver's `updates` (keyed as its `on_acknowledged` expects) so a re-subscription carries them again.
And it does not tell the executor about acknowledgements; `_Driver` does.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from typing import Any

from pymesos import Executor as _Callbacks
from pymesos import MesosExecutorDriver, encode_data

from executor.loop import Acknowledged, Disconnected, Kill, Launch, Registered, Reregistered, Shutdown

log = logging.getLogger(__name__)


class Callbacks(_Callbacks):
    """Turns each driver callback into an event for the loop (pymesos's thread never touches tasks)."""

    def __init__(self, events: queue.Queue, shutdown_grace: float) -> None:
        self.events = events
        self.shutdown_grace = shutdown_grace

    def registered(self, driver: Any, executor_info: dict, framework_info: dict, agent_info: dict) -> None:
        capabilities = {c.get("type") for c in framework_info.get("capabilities") or []}
        log.info("registered with agent %s", (agent_info.get("id") or {}).get("value"))
        self.events.put(Registered(killing_state="TASK_KILLING_STATE" in capabilities))

    def reregistered(self, driver: Any, agent_info: dict) -> None:
        self.events.put(Reregistered())

    def disconnected(self, driver: Any) -> None:
        log.warning("disconnected from the agent")
        self.events.put(Disconnected())

    def launchTask(self, driver: Any, task: dict) -> None:
        self.events.put(Launch(task))

    def killTask(self, driver: Any, task_id: dict) -> None:
        self.events.put(Kill(str(task_id.get("value"))))

    def shutdown(self, driver: Any) -> None:
        """Blocks until the tasks are killed: pymesos aborts the driver as soon as this returns."""
        event = Shutdown(self.shutdown_grace)
        self.events.put(event)
        event.done.wait(self.shutdown_grace)

    def frameworkMessage(self, driver: Any, message: str) -> None:
        log.info("ignoring a framework message")

    def error(self, driver: Any, message: str) -> None:
        log.error("agent error: %s", message)


class _Driver(MesosExecutorDriver):
    def __init__(self, callbacks: Callbacks, events: queue.Queue) -> None:
        super().__init__(callbacks)
        self.loop_events = events

    def on_acknowledged(self, event: dict) -> None:
        super().on_acknowledged(event)
        self.loop_events.put(Acknowledged(str(event["task_id"]["value"])))


class AgentLink:
    """The running driver, and `send` for the loop's status updates."""

    def __init__(self, events: queue.Queue, shutdown_grace: float) -> None:
        self.driver = _Driver(Callbacks(events, shutdown_grace), events)

    @property
    def shutdown_grace(self) -> float:
        return float(self.driver.grace_shutdown_period or 0.0)

    def start(self) -> None:
        self.driver.start()

    def stop(self) -> None:
        self.driver.stop()

    def send(self, status: dict) -> None:
        """Sends a TaskStatus; one that cannot be sent now stays recorded and goes with the next SUBSCRIBE."""
        raw = uuid.uuid4().bytes
        status = {**status, "uuid": encode_data(raw), "timestamp": time.time(), "source": "SOURCE_EXECUTOR"}
        self.driver.updates[uuid.UUID(bytes=raw)] = {"status": status}
        try:
            self.driver.sendStatusUpdate(status)
        except Exception as error:
            log.warning("could not send %s of %s now (%s); it goes with the next subscription", status["state"],
                        status["task_id"]["value"], error)
