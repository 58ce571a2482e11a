"""Noticing at once that an event-stream client hung up, with one thread per worker process for all streams.

A stream's thread waits on its inbox and would learn of a hang-up only when its next heartbeat fails to be
written (15 s). Until then the client's stream quota stays taken, so a balancer that reconnects could be
refused. An SSE client sends nothing after its request: its socket turning readable means EOF or a reset.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class HangupWatcher:
    """Calls `on_hangup()` when a watched socket's peer closes it; one selector thread, started on first use."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, on_hangup: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="events-hangups", daemon=True)
                self._thread.start()
            self._selector.register(sock, selectors.EVENT_READ, on_hangup)
        os.write(self._wake_w, b"x")

    def forget(self, sock: socket.socket) -> None:
        """Stops watching `sock` (its stream ended); before the server closes or reuses it."""
        with self._lock, contextlib.suppress(KeyError, ValueError):  # it hung up and was dropped already
            self._selector.unregister(sock)

    def _run(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data is None:
                    while _drained(self._wake_r):
                        pass
                    continue
                sock = key.fileobj
                try:
                    hung_up = not sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError:  # reset by the peer
                    hung_up = True
                # watched no more either way: after a hang-up there is nothing left to see, and a client that
                # sends data after its request is not an SSE client (the heartbeat's write will tell)
                self.forget(sock)
                if hung_up:
                    try:
                        key.data()
                    except Exception:
                        log.exception("ending a stream whose client hung up failed")


def _drained(fd: int) -> bool:
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


_watchers: dict[int, HangupWatcher] = {}
_watchers_lock = threading.Lock()


def watcher() -> HangupWatcher:
    """This process's watcher (a gunicorn worker gets its own after the fork)."""
    pid = os.getpid()
    with _watchers_lock:
        if pid not in _watchers:
            _watchers.clear()
            _watchers[pid] = HangupWatcher()
        return _watchers[pid]
