"""A task's life as an explicit state machine, and the status each step reports. Pure.

    starting ──▶ running ──▶ killing ──▶ killed / failed / finished
        │           │  ▲
        │           └──┘ (a health verdict is a RUNNING update)
        └───────────┴──────▶ finished / failed / killed

Every transition is checked, so a late event (a check result after the kill, an exit after a failure to
start) cannot move a task backwards; `Update` is what goes to the agent, with Mesos's reason codes.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

STARTING, RUNNING, KILLING = "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"
FINISHED, FAILED, KILLED = "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED"
TERMINAL = frozenset({FINISHED, FAILED, KILLED})
_NEXT = {
    None: {STARTING, FAILED},
    STARTING: {RUNNING, KILLING, *TERMINAL},
    RUNNING: {RUNNING, KILLING, *TERMINAL},  # RUNNING again: a health verdict
    KILLING: TERMINAL,
}
HEALTH_REASON = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"


class IllegalTransition(RuntimeError):
    pass


@dataclass(frozen=True)
class Update:
    """One TaskStatus to send: state, and what Mesos would say about it."""

    state: str
    message: str = ""
    reason: str | None = None
    healthy: bool | None = None


class Lifecycle:
    def __init__(self) -> None:
        self.state: str | None = None
        self.healthy: bool | None = None  # the last health verdict sent

    def can(self, state: str) -> bool:
        return state in _NEXT.get(self.state, set())

    def move(self, update: Update) -> Update:
        if not self.can(update.state):
            raise IllegalTransition(f"{self.state} -> {update.state}")
        self.state = update.state
        if update.healthy is not None:
            self.healthy = update.healthy
        return update

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


def exit_update(returncode: int, *, kill_requested: bool, health_killed: bool = False) -> Update:
    """The terminal status for a process that ended with `returncode` (negative: killed by a signal)."""
    if returncode < 0:
        how = f"Command terminated with signal {_signal_name(-returncode)}"
    else:
        how = f"Command exited with status {returncode}"
    if health_killed:
        return Update(KILLED, f"{how} (killed after failing its health checks)", HEALTH_REASON, healthy=False)
    if kill_requested:
        return Update(KILLED, how)
    if returncode == 0:
        return Update(FINISHED, how)
    return Update(FAILED, how, "REASON_COMMAND_EXECUTOR_FAILED")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
