"""Opening a kazoo client the way Balalaika wants it: retry as a value, optional digest ACLs, and for a
client that answers people (the api) a bound on every wait for ZooKeeper.

Why the bound: kazoo's synchronous calls (and `transaction().commit()`) wait for the answer without a
timeout, and while the connection is down kazoo queues requests until it comes back. A frozen server
(SIGSTOP, a partition) is noticed only after two thirds of the session timeout. So an api write hung for
as long as ZooKeeper was away; with `wait_timeout` it fails with StoreError instead.

Why a connect timeout: kazoo gives each TCP connect to a server the whole session timeout. A server whose host
is down or cut off drops the SYN, so a client that tries it first while reconnecting waits out its session
there and loses it (a leader its leadership) although two healthy servers were a connect away. Each connect
gets a share of the session timeout instead, the share kazoo already gives the handshake after it.

Why an answer timeout: kazoo notices a silent server by its pings, but it counts every request it sends as a
ping and sends no ping while requests keep coming. A busy client of a server cut off (a partition, its host
unplugged) kept sending into the void and never moved to a healthy server: an api retrying writes was stuck
on a dead connection for as long as the kernel kept the socket (90 s and more in the lab's twin). The
handler now drops a connection whose server has sent nothing for two thirds of the session timeout (kazoo's
own limit for a ping) while a request waits: kazoo then reconnects elsewhere with the same session.

Why poll: kazoo waits on its socket before every send and read and in its loop, each time through a new
`selectors` object (an epoll instance made, filled and closed in Python): a fifth of the leading scheduler's
CPU under a stream of writes. One `select.poll` call does the same wait, for any descriptor number.

Why a read buffer: kazoo reads each packet as its 4-byte length and then its body, waiting on the socket
before each of the two reads and once more in its loop: three waits and two recv calls per answer or
notification, a third of the CPU of each process's ZooKeeper thread under a stream of writes. The socket it
gets reads whatever the server has sent in one recv and serves kazoo's reads from memory, saying so through
`pending()` (the hook kazoo has for TLS sockets, which buffer too) and to this handler's waits.
"""

from __future__ import annotations

import errno
import select
import socket
import time
from collections.abc import Sequence

from kazoo.client import KazooClient
from kazoo.handlers.threading import AsyncResult, KazooTimeoutError, SequentialThreadingHandler
from kazoo.protocol.states import KazooState
from kazoo.retry import KazooRetry
from kazoo.security import ACL, make_digest_acl

from framework.store.errors import StoreError


def connection_retry() -> KazooRetry:
    """Reconnect forever with capped backoff: a scheduler or api replica outlives a ZooKeeper outage."""
    return KazooRetry(max_tries=-1, delay=0.1, backoff=2, max_delay=5, ignore_expire=False)


def command_retry(deadline: float = 15.0) -> KazooRetry:
    """Retry idempotent commands (reads, create-or-set) across short connection losses, not forever."""
    return KazooRetry(max_tries=5, delay=0.1, backoff=2, max_delay=2, deadline=deadline)


class _BoundedResult(AsyncResult):
    """A kazoo future whose "wait forever" waits `bound` seconds, then raises KazooTimeoutError."""

    def __init__(self, handler: SequentialThreadingHandler, bound: float) -> None:
        super().__init__(handler)
        self.bound = bound

    def get(self, block: bool = True, timeout: float | None = None) -> object:
        return super().get(block, self.bound if timeout is None else timeout)

    def wait(self, timeout: float | None = None) -> bool:
        return super().wait(self.bound if timeout is None else timeout)


class _Handler(SequentialThreadingHandler):
    """kazoo's threading handler with a bound on each TCP connect, on each wait for the server's answer and,
    with `bound`, on every future."""

    def __init__(self, connect_timeout: float, answer_timeout: float, bound: float | None) -> None:
        super().__init__()
        self.connect_timeout, self.answer_timeout, self.bound = connect_timeout, answer_timeout, bound
        self._server: object = None  # the socket of the connection being watched
        self._waiting_since: float | None = None  # when a request was sent that nothing has answered since

    def async_result(self) -> AsyncResult:
        return _BoundedResult(self, self.bound) if self.bound is not None else super().async_result()

    def create_connection(self, *args: object, **kwargs: object) -> object:
        asked = kwargs.get("timeout")
        kwargs["timeout"] = self.connect_timeout if asked is None else min(asked, self.connect_timeout)
        sock = super().create_connection(*args, **kwargs)
        return sock if hasattr(sock, "pending") else BufferedSocket(sock)  # a TLS socket buffers already

    def select(self, rlist: Sequence[object], wlist: Sequence[object], xlist: Sequence[object],
               timeout: float | None = None) -> tuple[list, list, list]:
        """kazoo's connection loop waits here on [server socket, request pipe] (its only select of two
        readables); a socket error raised here makes it drop the connection and reconnect."""
        if xlist:  # kazoo asks for none
            return super().select(rlist, wlist, xlist, timeout)
        if len(rlist) != 2 or wlist:
            return poll_ready(rlist, wlist, timeout)
        server, requests = rlist
        if server is not self._server:
            self._server, self._waiting_since = server, None
        if getattr(server, "pending", lambda: 0)():  # read already, not yet handed to kazoo
            self._waiting_since = None
            return [server], [], []
        now = time.monotonic()
        if self._waiting_since is not None:
            silent = now - self._waiting_since
            if silent >= self.answer_timeout:
                raise OSError(errno.ETIMEDOUT, f"the server answered nothing for {silent:.1f} s")  # logged by kazoo
            timeout = self.answer_timeout - silent if timeout is None else min(timeout, self.answer_timeout - silent)
        ready = poll_ready(rlist, wlist, timeout)
        if server in ready[0]:
            self._waiting_since = None
        if requests in ready[0] and self._waiting_since is None:
            self._waiting_since = time.monotonic()
        return ready


class BufferedSocket:
    """A connected non-blocking socket whose `recv` reads up to `CHUNK` bytes at once and hands them out as
    asked; `pending()` is how many it holds. Everything else is the socket's."""

    CHUNK = 256 * 1024

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._data = b""
        self._offset = 0

    def pending(self) -> int:
        return len(self._data) - self._offset

    def recv(self, size: int) -> bytes:
        if self._offset >= len(self._data):
            self._data, self._offset = self._sock.recv(max(size, self.CHUNK)), 0
        chunk = self._data[self._offset:self._offset + size]
        self._offset += len(chunk)
        return chunk

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


READABLE = ~select.POLLOUT  # as `selectors` maps poll's bits: an error or hang-up wakes readers and writers
WRITABLE = ~select.POLLIN


def poll_ready(rlist: Sequence[object], wlist: Sequence[object],
               timeout: float | None) -> tuple[list, list, list]:
    """`select.select`'s answer for sockets (or descriptors) `rlist` and `wlist`, waiting at most `timeout`
    seconds (None: without limit), with one poll(2) and no limit on descriptor numbers."""
    readers, writers = [(obj, _fd(obj)) for obj in rlist], [(obj, _fd(obj)) for obj in wlist]
    wanted: dict[int, int] = {}
    for pairs, mask in ((readers, select.POLLIN), (writers, select.POLLOUT)):
        for _obj, fd in pairs:
            wanted[fd] = wanted.get(fd, 0) | mask
    poller = select.poll()
    for fd, mask in wanted.items():
        poller.register(fd, mask)
    happened = dict(poller.poll(None if timeout is None else max(timeout, 0) * 1000))
    return ([obj for obj, fd in readers if happened.get(fd, 0) & READABLE],
            [obj for obj, fd in writers if happened.get(fd, 0) & WRITABLE], [])


def _fd(obj: object) -> int:
    fd = obj if isinstance(obj, int) else obj.fileno()
    if fd < 0:  # closed: kazoo's own select refuses it too
        raise ValueError("Invalid event mask or fd")
    return fd


def server_count(hosts: str) -> int:
    """How many servers a kazoo hosts string names ("h1:2181,h2:2181/chroot" → 2)."""
    return len(hosts.split("/", 1)[0].split(","))


def is_connected(client: KazooClient) -> bool:
    """Whether the client has a live connection now (not SUSPENDED while reconnecting, nor LOST)."""
    return client.state == KazooState.CONNECTED


def digest_acl(auth: tuple[str, str]) -> list[ACL]:
    """All permissions to the digest identity, nothing to anyone else.

    Nobody else may read either: app definitions carry `env` (often secrets) and task records name hosts
    and ports, so api replicas and schedulers read with the same credentials.
    """
    user, password = auth
    return [make_digest_acl(user, password, all=True)]


def connect(hosts: str, *, timeout: float = 10.0, auth: tuple[str, str] | None = None,
            wait_timeout: float | None = None) -> KazooClient:
    """A started KazooClient on `hosts` ("h1:2181,h2:2181/optional/chroot").

    `timeout` is both the session timeout asked of ZooKeeper and how long to wait for the first
    connection. With `auth=(user, password)` the client authenticates with digest and every node it
    creates carries `digest_acl(auth)`. With `wait_timeout`, no call waits longer than that for an
    answer (KazooTimeoutError, which the store turns into StoreError) and retries stop after it.
    Raises StoreError when no server answers in time.
    """
    client = KazooClient(
        hosts=hosts,
        timeout=timeout,
        handler=_Handler(timeout / server_count(hosts), timeout * 2 / 3, wait_timeout),
        connection_retry=connection_retry(),
        command_retry=command_retry() if wait_timeout is None else command_retry(wait_timeout),
        auth_data=[("digest", f"{auth[0]}:{auth[1]}")] if auth else None,
        default_acl=digest_acl(auth) if auth else None,
    )
    try:
        client.start(timeout=timeout)
    except KazooTimeoutError as error:
        client.stop()
        client.close()
        raise StoreError(f"no ZooKeeper server at {hosts} answered within {timeout}s") from error
    return client
