"""Waiting on conditions with a deadline (for starting services and for tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not hold before the deadline."""


class GiveUp(Exception):
    """Raised by a predicate when waiting longer is pointless (e.g. the awaited process has exited)."""


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, message: str = "condition",
             interval: float = 0.02) -> T:
    """Polls `predicate` until it returns a truthy value, and returns that value.

    Exceptions from the predicate count as "not yet" so that services still starting can be polled;
    the last one is chained to the timeout error to say why the wait failed. GiveUp ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except GiveUp:
            raise
        except Exception as error:
            last_error = error
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {message}") from last_error
        time.sleep(interval)
