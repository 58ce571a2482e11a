"""The edge toward Mesos: the only package that imports pymesos.

pymesos hands callbacks untyped dicts on its own IO thread and re-raises its thread's errors in the main
thread through SIGINT. Here those quirks stop: callbacks become typed events put on the scheduler's
queue, and calls become plain methods that never raise into the caller's decision logic.
"""

from framework.mesos.adapter import MesosConnection, install_signal_handlers
from framework.mesos.events import (
    AgentLost,
    Disconnected,
    DriverAborted,
    ExecutorLost,
    MesosError,
    OfferRescinded,
    Offers,
    StatusUpdate,
    Subscribed,
)

__all__ = [
    "AgentLost", "Disconnected", "DriverAborted", "ExecutorLost", "MesosConnection", "MesosError",
    "OfferRescinded", "Offers", "StatusUpdate", "Subscribed", "install_signal_handlers",
]
