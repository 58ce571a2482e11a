"""What every store component stands on: one kazoo client, the layout, and the ZooKeeper helpers.

`Nodes` is handed to each component of `Store` (framework.store.store), so that retry, pipelined reads,
create-or-set and commit-error reporting are written once. It owns no state of its own beyond the client,
the layout and the timeout for waits. `translated` wraps every public method that waits for ZooKeeper so
that callers only ever see StoreError (or its Conflict / NotFound).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    ConnectionLoss,
    KazooException,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    SessionExpiredError,
)
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.interfaces import IAsyncResult
from kazoo.protocol.serialization import Transaction
from kazoo.protocol.states import ZnodeStat

from framework.store.codec import MAX_REQUEST_BYTES, decode
from framework.store.errors import Conflict, NotFound, StoreError, TooLarge
from framework.store.layout import Layout

P = ParamSpec("P")
R = TypeVar("R")


def translated(func: Callable[P, R]) -> Callable[P, R]:
    """Turns kazoo's errors that escape a public method into StoreError with the method named."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except StoreError:
            raise
        except NoAuthError as error:
            raise StoreError(f"{func.__qualname__}: not authorized by the node's ACL (wrong or missing "
                             "ZooKeeper credentials)") from error
        except (ConnectionLoss, SessionExpiredError, KazooTimeoutError) as error:
            raise StoreError(f"{func.__qualname__}: ZooKeeper unavailable ({type(error).__name__})") from error
        except KazooException as error:
            raise StoreError(f"{func.__qualname__}: {type(error).__name__}: {error}") from error

    return wrapper


def error_for(error: Exception, what: str) -> StoreError:
    """The StoreError that explains one failed operation on `what`."""
    if isinstance(error, BadVersionError):
        return Conflict(f"{what}: changed since it was read (version mismatch)")
    if isinstance(error, NodeExistsError):
        return Conflict(f"{what}: already exists")
    if isinstance(error, NoNodeError):
        return NotFound(f"{what}: does not exist")
    if isinstance(error, NotEmptyError):
        return Conflict(f"{what}: has children that appeared concurrently")
    if isinstance(error, NoAuthError):
        return StoreError(f"{what}: not authorized by the node's ACL")
    return StoreError(f"{what}: {type(error).__name__}: {error}")


@dataclass(frozen=True)
class Op:
    """One operation of a multi-op request, described for error messages (`what`). kind: create, set,
    delete or check; `version` -1 means any; a `sequence` create appends a sequence number to the path."""

    kind: str
    path: str
    what: str
    data: bytes = b""
    version: int = -1
    ephemeral: bool = False
    sequence: bool = False

    @property
    def cost(self) -> int:
        """An upper bound of its bytes in a request (path, data, headers)."""
        return len(self.path.encode()) + len(self.data) + 48


def request_bytes(transaction: Any) -> int:
    """The exact size of a kazoo transaction's request body, as it goes on the wire."""
    return len(Transaction(transaction.operations).serialize())


def wait_all(results: Iterable[IAsyncResult], timeout: float = 30.0) -> None:
    """Waits for futures returned by `TaskStore.put_many` / `EventStore.append`; raises the first failure."""
    for result in results:
        result.get(timeout=timeout)


@dataclass(frozen=True)
class Nodes:
    """The client, the layout of one root and how long to wait for pipelined answers, with the helpers
    the components read and write through. Thread-safe as far as kazoo is."""

    client: KazooClient
    layout: Layout
    timeout: float = 30.0

    def get(self, path: str) -> tuple[Any, ZnodeStat] | None:
        """The decoded node and its stat, or None when it does not exist."""
        try:
            data, stat = self.client.retry(self.client.get, path)
        except NoNodeError:
            return None
        return decode(data), stat

    def value(self, path: str) -> Any:
        """The decoded node, or None when it does not exist."""
        found = self.get(path)
        return None if found is None else found[0]

    def versioned(self, path: str) -> tuple[Any, int] | None:
        """The decoded node and its znode version (to pass back for a compare-and-set), or None."""
        found = self.get(path)
        return None if found is None else (found[0], found[1].version)

    def children(self, path: str, what: str) -> list[str]:
        """Names under `path`; raises NotFound naming `what` when `path` does not exist."""
        try:
            return self.client.retry(self.client.get_children, path)
        except NoNodeError as error:
            raise NotFound(f"{what}: does not exist") from error

    def get_many(self, paths: Sequence[str]) -> dict[str, tuple[Any, ZnodeStat]]:
        """Pipelined reads: all requests go out before the first answer is awaited; missing nodes are left out."""
        pending = [(path, self.client.get_async(path)) for path in paths]
        found = {}
        for path, result in pending:
            try:
                data, stat = result.get(timeout=self.timeout)
            except NoNodeError:
                continue
            found[path] = (decode(data), stat)
        return found

    def get_children(self, directory: str, what: str) -> list[tuple[Any, ZnodeStat]]:
        """Every node directly under `directory`, read pipelined (see `children` for what it raises)."""
        names = self.children(directory, what)
        return list(self.get_many([f"{directory}/{name}" for name in names]).values())

    def upsert(self, path: str, data: bytes) -> None:
        """Create-or-set, idempotent (so retried), creating missing parents."""

        def attempt() -> None:
            try:
                self.client.set(path, data)
            except NoNodeError:
                try:
                    self.client.create(path, data, makepath=True)
                except NodeExistsError:
                    self.client.set(path, data)

        self.client.retry(attempt)

    def delete_quietly(self, path: str) -> bool:
        """Deletes if present; returns whether it was."""
        try:
            self.client.retry(self.client.delete, path)
        except NoNodeError:
            return False
        return True

    def commit_ops(self, ops: Sequence[Op], timeout: float | None = None) -> list[Any]:
        """`commit` of `ops` as one transaction."""
        tx = self.client.transaction()
        for op in ops:
            if op.kind == "create":
                tx.create(op.path, op.data, ephemeral=op.ephemeral, sequence=op.sequence)
            elif op.kind == "set":
                tx.set_data(op.path, op.data, version=op.version)
            elif op.kind == "delete":
                tx.delete(op.path, version=op.version)
            else:
                tx.check(op.path, op.version)
        return self.commit(tx, [op.what for op in ops], timeout)

    def commit_batches(self, ops: Sequence[Op], budget: int, guard: Op | None = None,
                       timeout: float | None = None) -> int:
        """Commits `ops` in order in consecutive transactions of at most `budget` bytes, each starting with
        `guard` (a check that the write is still wanted); returns how many. Not atomic as a whole: a failure
        leaves the batches before it committed (the callers' protocols make that safe)."""
        batch: list[Op] = [guard] if guard else []
        used, count = sum(op.cost for op in batch), 0
        for op in ops:
            if used + op.cost > budget and len(batch) > (1 if guard else 0):
                self.commit_ops(batch, timeout)
                count += 1
                batch = [guard] if guard else []
                used = sum(op.cost for op in batch)
            batch.append(op)
            used += op.cost
        if len(batch) > (1 if guard else 0):
            self.commit_ops(batch, timeout)
            count += 1
        return count

    def commit(self, transaction: Any, described: list[str], timeout: float | None = None) -> list[Any]:
        """Commits a multi-op whose operations `described` names in order, waiting `timeout` (by default the
        store's) at most; raises
        Conflict / NotFound / StoreError naming the operation that failed, TooLarge (nothing sent) for a
        request above MAX_REQUEST_BYTES, which ZooKeeper would answer by dropping the connection. Not
        retried: a connection lost (or no answer) during commit leaves the outcome unknown."""
        size = request_bytes(transaction)
        if size > MAX_REQUEST_BYTES:
            raise TooLarge(f"{described[0]}: a transaction of {len(described)} operations is {size} bytes, "
                           f"above the {MAX_REQUEST_BYTES}-byte limit per request")
        try:
            results = transaction.commit_async().get(timeout=self.timeout if timeout is None else timeout)
        except (ConnectionLoss, SessionExpiredError, KazooTimeoutError) as error:
            raise StoreError(f"{described[0]}: connection lost or no answer during commit, outcome unknown; "
                             "re-read before retrying") from error
        for result, what in zip(results, described, strict=True):
            if isinstance(result, Exception) and not isinstance(result, RolledBackError):
                raise error_for(result, what)
        return results

    def upsert_async(self, path: str, data: bytes, future: IAsyncResult) -> None:
        """set, else create, else set again (a concurrent create), completing `future` (on kazoo's thread)."""
        client = self.client
        steps: list[tuple[Callable[[], IAsyncResult], type[Exception] | None]] = [
            (lambda: client.set_async(path, data), NoNodeError),
            (lambda: client.create_async(path, data), NodeExistsError),
            (lambda: client.set_async(path, data), None),
        ]

        def attempt(index: int) -> None:
            start, next_on = steps[index]

            def done(result: IAsyncResult) -> None:
                try:
                    result.get()
                except Exception as error:
                    if next_on is not None and isinstance(error, next_on):
                        attempt(index + 1)
                    else:
                        future.set_exception(error)
                    return
                future.set(None)

            start().rawlink(done)

        attempt(0)
