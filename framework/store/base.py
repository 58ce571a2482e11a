"""What every part of `Store` stands on: error translation and the low-level ZooKeeper helpers.

`Store` (framework.store.store) is composed of one mixin per concern (apps.py, tasks.py, deployments.py,
messages.py); they all read and write through the helpers of `StoreBase` here, so that retry, pipelining,
create-or-set and commit-error reporting are written once. `_translated` wraps every public method that
waits for ZooKeeper so that callers only ever see StoreError (or its Conflict / NotFound).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
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
from kazoo.protocol.states import ZnodeStat

from framework.store.codec import decode
from framework.store.errors import Conflict, NotFound, StoreError
from framework.store.layout import Layout

P = ParamSpec("P")
R = TypeVar("R")


def _translated(func: Callable[P, R]) -> Callable[P, R]:
    """Turns kazoo's errors that escape a public method into StoreError with the method named."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except StoreError:
            raise
        except NoAuthError as error:
            raise StoreError(f"{func.__name__}: not authorized by the node's ACL (wrong or missing "
                             "ZooKeeper credentials)") from error
        except (ConnectionLoss, SessionExpiredError, KazooTimeoutError) as error:
            raise StoreError(f"{func.__name__}: ZooKeeper unavailable ({type(error).__name__})") from error
        except KazooException as error:
            raise StoreError(f"{func.__name__}: {type(error).__name__}: {error}") from error

    return wrapper


def _failure(error: Exception, what: str) -> StoreError:
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


def wait_all(results: Iterable[IAsyncResult], timeout: float = 30.0) -> None:
    """Waits for futures returned by put_tasks / append_event; raises the first failure."""
    for result in results:
        result.get(timeout=timeout)



class StoreBase:
    """The state and helpers shared by the Store mixins; `Store.__init__` sets the attributes."""

    client: KazooClient
    layout: Layout
    timeout: float

    def _get(self, path: str) -> tuple[Any, ZnodeStat] | None:
        try:
            data, stat = self.client.retry(self.client.get, path)
        except NoNodeError:
            return None
        return decode(data), stat

    def _children(self, path: str, what: str) -> list[str]:
        try:
            return self.client.retry(self.client.get_children, path)
        except NoNodeError as error:
            raise NotFound(f"{what}: does not exist") from error

    def _get_many(self, paths: Sequence[str]) -> dict[str, tuple[Any, ZnodeStat]]:
        """Pipelined reads: all requests go out before the first answer is awaited."""
        pending = [(path, self.client.get_async(path)) for path in paths]
        found = {}
        for path, result in pending:
            try:
                data, stat = result.get(timeout=self.timeout)
            except NoNodeError:
                continue
            found[path] = (decode(data), stat)
        return found

    def _upsert(self, path: str, data: bytes) -> None:
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

    def _delete_quietly(self, path: str) -> bool:
        """Deletes if present; returns whether it was."""
        try:
            self.client.retry(self.client.delete, path)
        except NoNodeError:
            return False
        return True

    def _commit(self, transaction: Any, described: list[str]) -> list[Any]:
        """Commits a multi-op; raises Conflict / NotFound / StoreError naming the operation that failed."""
        try:
            results = transaction.commit()
        except (ConnectionLoss, SessionExpiredError) as error:
            raise StoreError(f"{described[0]}: connection lost during commit, outcome unknown; "
                             "re-read before retrying") from error
        for result, what in zip(results, described, strict=True):
            if isinstance(result, Exception) and not isinstance(result, RolledBackError):
                raise _failure(result, what)
        return results

    def _upsert_async(self, path: str, data: bytes, future: IAsyncResult) -> None:
        """set, else create, else set again (a concurrent create), completing `future`."""

        def finish(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(None)
            except Exception as error:
                future.set_exception(error)

        def after_create(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(None)
            except NodeExistsError:
                self.client.set_async(path, data).rawlink(finish)
            except Exception as error:
                future.set_exception(error)

        def after_set(result: IAsyncResult) -> None:
            try:
                result.get()
                future.set(None)
            except NoNodeError:
                self.client.create_async(path, data).rawlink(after_create)
            except Exception as error:
                future.set_exception(error)

        self.client.set_async(path, data).rawlink(after_set)
