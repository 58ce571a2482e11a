"""Leader election among scheduler processes, over kazoo's Election recipe.

State semantics (kazoo.protocol.states): while the connection is SUSPENDED the lock may already be
another's, so `is_leader` turns False at once and the leader must stop issuing Mesos calls; it turns True
again if the same session reconnects (the lock node survived). On LOST the session and its lock are gone:
the leader steps down for good (`wait_stepped_down` returns) and `on_elected` must return. A StoreError
escaping `on_elected` (ZooKeeper unavailable mid-term) ends the term, not the process: `run` returns and
the caller contends again.

With a `session_timeout`, leadership is also a lease (framework.store.lease): `is_leader` turns False
once ZooKeeper has not confirmed it for nine tenths of the timeout, which bounds a process that stalled
longer than its session. A thread renews it while elected by reading our leader-info node.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, NodeExistsError, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KazooState

from framework.store.codec import decode, encode
from framework.store.errors import StoreError
from framework.store.layout import DEFAULT_ROOT, Layout
from framework.store.lease import Lease

log = logging.getLogger(__name__)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_leader(client: KazooClient, root: str = DEFAULT_ROOT) -> dict | None:
    """The leader-info the current leader wrote ({"id", "host", "port", "since"}), or None."""
    try:
        data, _ = client.retry(client.get, Layout(root).leader_info)
    except NoNodeError:
        return None
    return decode(data)


class Leadership:
    """One scheduler process's candidacy. `identity` is {"id", "host", "port"}; "since" is added.
    `session_timeout`: the client's, in seconds, to hold leadership as a lease (None: no lease)."""

    def __init__(self, client: KazooClient, root: str = DEFAULT_ROOT, identity: dict | None = None,
                 session_timeout: float | None = None) -> None:
        self.client = client
        self.layout = Layout(root)
        self.identity = dict(identity or {})
        self._election = client.Election(self.layout.leader_dir, json.dumps(self.identity))
        self._elected = False
        self._connected = client.connected
        self._stepped_down = threading.Event()
        self._resigned = threading.Event()
        self._epoch: int | None = None
        self._session_timeout = session_timeout
        self._lease = Lease(session_timeout or 0.0)
        client.add_listener(self._on_state)

    @property
    def is_leader(self) -> bool:
        """True only while elected, connected and not stepped down; read it before every action."""
        return (self._elected and self._connected and not self._stepped_down.is_set()
                and (self._session_timeout is None or self._lease.valid(time.monotonic())))

    @property
    def epoch(self) -> int | None:
        """The zxid that created our leader-info: grows with every election, for fencing stale plans."""
        return self._epoch if self._elected else None

    def _on_state(self, state: str) -> None:
        # kazoo's connection thread: flip flags only, never block.
        if state == KazooState.CONNECTED:
            self._connected = True
        elif state == KazooState.SUSPENDED:
            self._connected = False
            if self._elected:
                log.warning("zookeeper connection suspended: leadership paused")
        else:  # LOST: the session and its ephemeral lock node are gone
            self._connected = False
            if self._elected:
                log.warning("zookeeper session lost: stepping down")
                self._stepped_down.set()

    def run(self, on_elected: Callable[[], None]) -> None:
        """Blocks while contending; once elected writes leader-info and calls `on_elected()`, which should
        return when `wait_stepped_down()` fires (or on its own to resign). Returns after stepping down or
        after `resign()` while contending; call again to contend anew."""
        self._stepped_down.clear()
        self._resigned.clear()
        try:
            self._election.run(self._lead, on_elected)
        except KazooException as error:  # releasing the lock of a closed or expired session
            log.info("election left with %s", type(error).__name__)

    def _lead(self, on_elected: Callable[[], None]) -> None:
        if self._resigned.is_set():
            return
        self._write_leader_info()
        self._elected = True
        log.info("elected leader: %s", self.identity)
        if self._session_timeout is not None:
            threading.Thread(target=self._renew_lease, name="leader-lease", daemon=True).start()
        try:
            on_elected()
        except StoreError as error:
            # ZooKeeper unreachable (or refusing): a leader that cannot record what it does must not act.
            # Ending the term stops launches and kills but leaves the tasks running (on_elected tears nothing
            # down); whoever leads next, this process included once ZooKeeper answers, reads them back.
            log.warning("stepping down, ZooKeeper unavailable: %s", error)
        finally:
            self._elected = False
            self._stepped_down.set()
            self._remove_leader_info()
            log.info("stepped down: %s", self.identity)

    def _write_leader_info(self) -> None:
        """Creates the ephemeral leader-info; one left by a predecessor whose session is still closing is
        replaced, since we hold the lock now."""
        data = encode({**self.identity, "since": _now_iso()}, what="leader-info")
        path = self.layout.leader_info
        while True:
            try:
                sent = time.monotonic()
                created = self.client.create(path, data, ephemeral=True, include_data=True)
                self._epoch = created[1].czxid
                self._lease = self._lease.renewed(sent)
                return
            except NodeExistsError:
                with contextlib.suppress(NoNodeError):
                    self.client.delete(path)

    def _renew_lease(self) -> None:
        """While elected: each read that finds our leader-info node (made by this session, which keeps it
        only while alive) proves the leadership as of the moment the read was sent."""
        while not self._stepped_down.wait(self._lease.renew_every):
            sent = time.monotonic()
            try:
                stat = self.client.exists(self.layout.leader_info)
            except (KazooException, KazooTimeoutError):  # no answer, no proof: the lease runs out
                continue
            if stat is not None and stat.czxid == self._epoch:
                self._lease = self._lease.renewed(sent)

    def _remove_leader_info(self) -> None:
        try:
            stat = self.client.exists(self.layout.leader_info)
            if stat is not None and stat.czxid == self._epoch:
                self.client.delete(self.layout.leader_info, version=stat.version)
        except KazooException as error:  # the session may be gone, taking the node with it
            log.info("leader-info not removed (%s)", type(error).__name__)

    def wait_stepped_down(self, timeout: float | None = None) -> bool:
        """Blocks until leadership ends (session LOST or resign()); True if it did within `timeout`."""
        return self._stepped_down.wait(timeout)

    def resign(self) -> None:
        """Gives up leadership (on_elected is asked to return) or stops contending."""
        self._resigned.set()
        self._stepped_down.set()
        self._election.cancel()
