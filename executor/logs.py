"""A task's stdout and stderr, written to its sandbox with size-based rotation.

One pump thread reads every task's pipes (a selector over all of them, not two threads per task) and
appends to `stdout` / `stderr`; when a file passes `max_bytes` it becomes `stdout.1` (the older ones
shift, and only `keep` are kept), so a chatty task cannot fill the disk.
"""

from __future__ import annotations

import logging
import os
import selectors
import threading
from pathlib import Path

log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_KEEP = 2


class RotatingFile:
    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES, keep: int = DEFAULT_KEEP) -> None:
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        self.file = open(path, "ab")  # noqa: SIM115 - kept open while the task runs
        self.size = self.file.tell()

    def write(self, data: bytes) -> None:
        while data:
            room = max(self.max_bytes - self.size, 0)
            if room == 0:
                self._rotate()
                room = self.max_bytes
            chunk, data = data[:room], data[room:]
            self.file.write(chunk)
            self.size += len(chunk)
        self.file.flush()

    def _rotate(self) -> None:
        self.file.close()
        for index in range(self.keep, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            newer = self.path.with_name(f"{self.path.name}.{index - 1}") if index > 1 else self.path
            if index == self.keep:
                older.unlink(missing_ok=True)
            if newer.exists():
                newer.rename(older)
        if self.keep == 0:
            self.path.unlink(missing_ok=True)
        self.file = open(self.path, "ab")  # noqa: SIM115
        self.size = 0

    def close(self) -> None:
        self.file.close()


class LogPump:
    """Copies pipes into RotatingFiles until each pipe's writer closes it."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.wake_read, self.wake_write = os.pipe()
        self.selector.register(self.wake_read, selectors.EVENT_READ, None)
        self.lock = threading.Lock()
        self.pending: list[tuple[int, RotatingFile]] = []
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name="log-pump", daemon=True)
        self.thread.start()

    def add(self, fd: int, sink: RotatingFile) -> None:
        os.set_blocking(fd, False)
        with self.lock:
            self.pending.append((fd, sink))
        os.write(self.wake_write, b"x")

    def stop(self) -> None:
        self.stopped = True
        os.write(self.wake_write, b"x")
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stopped:
            for key, _ in self.selector.select(timeout=1.0):
                if key.data is None:
                    os.read(self.wake_read, 4096)
                    self._register_pending()
                else:
                    self._copy(key.fd, key.data)

    def _register_pending(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, []
        for fd, sink in pending:
            self.selector.register(fd, selectors.EVENT_READ, sink)

    def _copy(self, fd: int, sink: RotatingFile) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError as error:
            log.warning("reading a task's output: %s", error)
            data = b""
        if data:
            sink.write(data)
            return
        self.selector.unregister(fd)
        os.close(fd)
        sink.close()
