"""How long a leader may act on its last proof of leadership. Pure: times (monotonic seconds) are inputs.

ZooKeeper expires a session no earlier than its timeout after the last request it received from that
session, and only then can another contender be elected. So once a request sent at `sent` has shown that
our leader-info node is still ours, nobody else can lead before `sent + session_timeout`. The leader acts
only until `sent + SHARE * session_timeout`, keeping the rest for a call already on its way.

Why on top of kazoo's SUSPENDED: kazoo notices a silent server after two thirds of the timeout only if its
connection thread runs. A process stopped or starved for longer than the timeout (SIGSTOP, a paused VM, a
GIL convoy) wakes with its threads in any order, and its loop could send a call before the connection
thread learns that the session is gone. With the lease, the check made right before each call fails
after such a stall until ZooKeeper confirms the leadership again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SHARE = 0.9  # of the session timeout: the last tenth is left for a call in flight
RENEWALS = 5  # confirmations asked per session timeout, so that a stall of 0.7 x the timeout is tolerated


@dataclass(frozen=True)
class Lease:
    """The leadership proven by the request sent at `confirmed_at` (None: never proven, never valid)."""

    session_timeout: float
    confirmed_at: float | None = None

    def renewed(self, sent: float) -> Lease:
        """The lease after a request sent at `sent` proved the leadership (an older proof changes nothing)."""
        if self.confirmed_at is not None and sent <= self.confirmed_at:
            return self
        return replace(self, confirmed_at=sent)

    def valid(self, now: float) -> bool:
        return self.confirmed_at is not None and now < self.confirmed_at + SHARE * self.session_timeout

    @property
    def renew_every(self) -> float:
        return self.session_timeout / RENEWALS
