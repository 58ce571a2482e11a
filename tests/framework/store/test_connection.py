"""connect(): a server that swallows connection attempts (its host down or cut off: the SYN gets no answer)
must not cost a client its session when healthy servers are listed beside it."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest

from framework.store import connect
from launchers.zookeeper import ZooKeeperServer


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
