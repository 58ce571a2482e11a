"""The framework's one set of terminal task states (../shared/docs/mesos-v1-notes.md C6, C8)."""

from __future__ import annotations

from framework.deploy.taskstate import TERMINAL_STATES, is_terminal, is_terminal_state

MESOS_TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE",
                  "TASK_GONE_BY_OPERATOR", "TASK_LOST"}


def test_terminal_states_are_those_of_mesos_and_the_unknown_task_of_reconciliation() -> None:
    assert frozenset(MESOS_TERMINAL | {"TASK_UNKNOWN"}) == TERMINAL_STATES
    for state in ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE", None):
        assert not is_terminal_state(state)
        assert not is_terminal({"state": state})
    assert is_terminal({"state": "TASK_GONE_BY_OPERATOR"})

