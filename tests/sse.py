"""/v2/events connections on plain sockets, so that a test can hold hundreds of them without a thread each."""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Callable


class RawStream:
    """One `GET /v2/events` connection: the answer's status line and headers are read at once; the body as
    it comes (`received`)."""

    def __init__(self, port: int, query: str = "", timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.sendall(f"GET /v2/events{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Accept: text/event-stream\r\n\r\n".encode())
        self.received = b""
        while b"\r\n\r\n" not in self.received:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.received += chunk
        head, _, self.received = self.received.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.sock.setblocking(False)

    def read_available(self) -> bool:
        """Appends what has arrived to `received`; False once the server closed the connection."""
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return True
        self.received += chunk
        return bool(chunk)

    def wait_for(self, needle: bytes, timeout: float) -> bool:
        return not waiting_for([self], needle, timeout)

    def close(self) -> None:
        self.sock.close()


def waiting_for(streams: list[RawStream], needle: bytes, timeout: float) -> list[RawStream]:
    """Reads every stream until each has received `needle` or `timeout` passed; returns the ones without it."""
    _read_until(streams, lambda stream: needle in stream.received, timeout)
    return [stream for stream in streams if needle not in stream.received]


def read_for(streams: list[RawStream], seconds: float) -> None:
    """Reads what arrives on every stream for `seconds`, as a live subscriber does."""
    _read_until(streams, lambda stream: False, seconds)


def _read_until(streams: list[RawStream], done: Callable[[RawStream], bool], timeout: float) -> None:
    waiting = [stream for stream in streams if not done(stream)]
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        for stream in waiting:
            selector.register(stream.sock, selectors.EVENT_READ, stream)
        while waiting and time.monotonic() < deadline:
            for key, _ in selector.select(max(0.0, deadline - time.monotonic())):
                stream = key.data
                open_ = stream.read_available()
                if done(stream) or not open_:
                    selector.unregister(stream.sock)
                    waiting.remove(stream)
