"""connect(): a server that swallows connection attempts (its host down or cut off: the SYN gets no answer)
must not cost a client its session when healthy servers are listed beside it."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator

import pytest
from kazoo.handlers.threading import KazooTimeoutError

from framework.store import connect
from framework.store.connection import BufferedSocket, poll_ready
from launchers.zookeeper import ZooKeeperServer
from tests.waiting import wait_for


@contextlib.contextmanager
def swallowing_server() -> Iterator[str]:
    """`host:port` of a listener whose accept queue is full: the kernel drops further SYNs, so a connect
    hangs until its own timeout, as it does towards a host that is down."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = f"127.0.0.1:{listener.getsockname()[1]}"
    filler = socket.create_connection(listener.getsockname(), timeout=1)  # the one place in the queue
    try:
        yield address
    finally:
        filler.close()
        listener.close()


@pytest.mark.parametrize("attempt", range(3))
def test_a_server_that_never_answers_does_not_use_up_the_session(zk_server: ZooKeeperServer, attempt: int) -> None:
    """kazoo tries the listed servers in random order (so a few attempts) and gave each TCP connect the whole
    session timeout: a silent server tried first made connect() fail (StoreError) after waiting there for all
    of it. Each connect now gets a third of it, and the healthy server is reached in time."""
    with swallowing_server() as first, swallowing_server() as second:
        client = connect(f"{first},{second},{zk_server.hosts}", timeout=3.0)
        try:
            assert client.connected
        finally:
            client.stop()
            client.close()


class Relay:
    """A TCP relay to `target` that can go silent: frozen, it keeps every connection open but passes nothing
    more either way, as towards a server whose host was cut off (this side's kernel still takes the bytes)."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.frozen = threading.Event()
        self.carried = 0  # connections relayed so far
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # closed
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target, timeout=5)
                self.sockets += [client, upstream]
                self.carried += 1
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while (data := source.recv(65536)) and not self.frozen.is_set():
                sink.sendall(data)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def relays(zk_server: ZooKeeperServer) -> Iterator[tuple[Relay, Relay]]:
    pair = (Relay(zk_server.hosts), Relay(zk_server.hosts))
    try:
        yield pair
    finally:
        for relay in pair:
            relay.close()


def test_a_busy_client_leaves_a_server_that_went_silent_and_keeps_its_session(relays: tuple[Relay, Relay]) -> None:
    """kazoo counts each request as a ping, so a client that keeps asking (an api retrying a write) never
    pinged and never noticed its server had gone silent: it stayed on the dead connection as long as the
    socket lived. It now leaves after two thirds of the session timeout without an answer, reconnects
    through the other server and keeps its session."""
    client = connect(",".join(relay.address for relay in relays), timeout=3.0, wait_timeout=0.2)
    try:
        session = client.client_id[0]
        used = next(relay for relay in relays if relay.carried)
        used.frozen.set()

        def answered() -> bool:
            try:
                return client.exists("/") is not None
            except KazooTimeoutError:
                return False

        wait_for(answered, 10, "an answer through the other server", interval=0.05)
        assert client.client_id[0] == session, "the session expired on the way"
    finally:
        client.stop()
        client.close()


def test_poll_ready_answers_as_select_does_for_any_descriptor_number() -> None:
    """kazoo's waits go through poll_ready: readable once data or the peer's close arrives, writable while
    the buffer has room, and descriptors above select's limit of 1,024 work."""
    ours, theirs = socket.socketpair()
    high = os.dup2(ours.fileno(), 2000)
    try:
        assert poll_ready([ours, high], [], 0) == ([], [], [])
        assert poll_ready([], [ours], 0) == ([], [ours], [])
        theirs.sendall(b"x")
        assert poll_ready([ours, high], [], 1) == ([ours, high], [], [])
        ours.recv(1)
        theirs.close()
        assert poll_ready([ours], [], 1) == ([ours], [], [])  # end of stream: a read would return at once
        with pytest.raises(ValueError):
            poll_ready([theirs], [], 0)  # closed here: refused, as kazoo's own select refuses it
    finally:
        os.close(high)
        ours.close()


def test_a_buffered_socket_hands_out_what_one_read_took_in_order_and_says_what_it_holds() -> None:
    """kazoo reads a packet as its length, then its body: two packets sent at once are one recv here."""
    writer, reader = socket.socketpair()
    with contextlib.closing(writer), contextlib.closing(reader):
        reader.setblocking(False)
        buffered = BufferedSocket(reader)
        writer.sendall(b"\x00\x00\x00\x03abc\x00\x00\x00\x02de")
        assert poll_ready([buffered], [], 5)[0] == [buffered]
        assert buffered.recv(4) == b"\x00\x00\x00\x03" and buffered.pending() == 9
        assert buffered.recv(3) == b"abc" and buffered.recv(4) == b"\x00\x00\x00\x02"
        assert buffered.recv(5) == b"de" and buffered.pending() == 0  # a short read, as a socket's
        writer.close()
        assert buffered.recv(4) == b""  # the peer closed: kazoo drops the connection
