"""Tests wait on conditions with a deadline, never on bare sleeps."""

from launchers.waiting import WaitTimeout, wait_for

__all__ = ["WaitTimeout", "wait_for"]
