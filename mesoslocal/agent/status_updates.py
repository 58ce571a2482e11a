"""The agent's status-update manager (notes C6 steps 2–3): one queue per task, only the head is forwarded, and it
is re-sent (10 s, 20 s, ... up to 10 min) until the scheduler acknowledges it; the next update waits for that ack.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

Key = tuple[str, str]  # (framework id, task id)


class StatusUpdateManager:
    def __init__(self, forward: Callable[[str, dict, str], None], *, retry_initial: float = 10.0,
                 retry_max: float = 600.0) -> None:
        self._forward = forward  # (framework_id, status, latest_state)
        self._queues: dict[Key, deque[dict]] = {}
        self._latest: dict[Key, str] = {}
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self.retry_initial, self.retry_max = retry_initial, retry_max

    def add(self, framework_id: str, status: dict) -> None:
        key = (framework_id, status["task_id"]["value"])
        queue = self._queues.setdefault(key, deque())
        queue.append(status)
        self._latest[key] = status["state"]
        if len(queue) == 1:
            self._send_head(key, self.retry_initial)

    def _send_head(self, key: Key, retry_in: float) -> None:
        queue = self._queues.get(key)
        if not queue:
            return
        self._forward(key[0], queue[0], self._latest[key])
        timer = self._timers.pop(key, None)
        if timer:
            timer.cancel()
        self._timers[key] = asyncio.get_running_loop().call_later(
            retry_in, self._send_head, key, min(retry_in * 2, self.retry_max))

    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> dict | None:
        """Pop the head if `uuid` is its uuid and forward the next update; returns the acknowledged status."""
        key = (framework_id, task_id)
        queue = self._queues.get(key)
        if not queue or queue[0].get("uuid") != uuid:
            return None
        acked = queue.popleft()
        timer = self._timers.pop(key, None)
        if timer:
            timer.cancel()
        if queue:
            self._send_head(key, self.retry_initial)
        else:
            del self._queues[key]
        return acked

    def pending(self, framework_id: str, task_id: str) -> bool:
        return bool(self._queues.get((framework_id, task_id)))

    def latest_state(self, framework_id: str, task_id: str) -> str | None:
        return self._latest.get((framework_id, task_id))

    def resend(self, framework_id: str) -> None:
        """The framework re-subscribed: forward every unacknowledged head at once (C2)."""
        for key in [k for k in self._queues if k[0] == framework_id]:
            self._send_head(key, self.retry_initial)

    def forget(self, framework_id: str, task_id: str | None = None) -> None:
        for key in [k for k in self._queues if k[0] == framework_id and task_id in (None, k[1])]:
            del self._queues[key]
            timer = self._timers.pop(key, None)
            if timer:
                timer.cancel()
        for key in [k for k in self._latest if k[0] == framework_id and task_id in (None, k[1])]:
            del self._latest[key]

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
