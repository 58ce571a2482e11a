"""The state of one explicit reconciliation (pure; the loop asks the master and applies the answers).

At 50,000 tasks one RECONCILE of every task on a loaded 2-core machine brought its first answers to the loop
only after the 15 s deadline (the master builds all the answers, pymesos parses the stream in Python): the
leader declared 10,000 running tasks lost and replaced them. So tasks are asked about in batches
(`BATCH`, the next once the previous is answered), and the deadline counts from the batch's request and then
from its latest answer: a master still answering is never cut off, one that went quiet is given up on
`grace` seconds after its last answer, and only that batch's unanswered tasks count as lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

BATCH = 2000


@dataclass
class Reconciliation:
    awaiting: set[str] = field(default_factory=set)  # asked about, not answered yet
    queued: list[str] = field(default_factory=list)  # not asked about yet
    deadline: float = 0.0
    done: bool = False
    asked: bool = False  # this subscription's explicit reconciliation has begun
    grace: float = 0.0
    batch: int = BATCH

    @classmethod
    def asking(cls, task_ids: Iterable[str], grace: float, batch: int = BATCH) -> Reconciliation:
        return cls(queued=list(task_ids), asked=True, grace=grace, batch=batch)

    def answered(self, task_id: str, now: float) -> None:
        """Any status of an awaited task answers it, and moves the deadline to `grace` after now."""
        if task_id in self.awaiting:
            self.awaiting.discard(task_id)
            self.deadline = max(self.deadline, now + self.grace)

    def waiting(self, now: float) -> bool:
        """Whether the current batch still has unanswered tasks within its deadline (nothing to do yet)."""
        return bool(self.awaiting) and now < self.deadline

    def give_up(self) -> list[str]:
        """The current batch's unanswered tasks, once it is past its deadline: they are lost."""
        lost = sorted(self.awaiting)
        self.awaiting.clear()
        return lost

    def next_batch(self, now: float) -> list[str]:
        """The next tasks to ask about ([] when every batch was asked); they are awaited from now on."""
        batch, self.queued = self.queued[:self.batch], self.queued[self.batch:]
        self.awaiting.update(batch)
        self.deadline = now + self.grace
        return batch

    def in_progress(self) -> bool:
        """Begun and not finished: the loop steps it on answers and ticks. Before the subscription (connected,
        not yet subscribed) there is nothing to step."""
        return self.asked and not self.done
