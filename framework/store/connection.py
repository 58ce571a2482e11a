"""Opening a kazoo client the way Balalaika wants it: retry as a value, optional digest ACLs."""

from __future__ import annotations

from kazoo.client import KazooClient
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.retry import KazooRetry
from kazoo.security import ACL, make_digest_acl

from framework.store.errors import StoreError


def connection_retry() -> KazooRetry:
    """Reconnect forever with capped backoff: a scheduler or api replica outlives a ZooKeeper outage."""
    return KazooRetry(max_tries=-1, delay=0.1, backoff=2, max_delay=5, ignore_expire=False)


def command_retry() -> KazooRetry:
    """Retry idempotent commands (reads, create-or-set) across short connection losses, not forever."""
    return KazooRetry(max_tries=5, delay=0.1, backoff=2, max_delay=2, deadline=15)


def digest_acl(auth: tuple[str, str]) -> list[ACL]:
    """All permissions to the digest identity, nothing to anyone else.

    Nobody else may read either: app definitions carry `env` (often secrets) and task records name hosts
    and ports, so api replicas and schedulers read with the same credentials.
    """
    user, password = auth
    return [make_digest_acl(user, password, all=True)]


def connect(hosts: str, *, timeout: float = 10.0, auth: tuple[str, str] | None = None) -> KazooClient:
    """A started KazooClient on `hosts` ("h1:2181,h2:2181/optional/chroot").

    `timeout` is both the session timeout asked of ZooKeeper and how long to wait for the first
    connection. With `auth=(user, password)` the client authenticates with digest and every node it
    creates carries `digest_acl(auth)`. Raises StoreError when no server answers in time.
    """
    client = KazooClient(
        hosts=hosts,
        timeout=timeout,
        connection_retry=connection_retry(),
        command_retry=command_retry(),
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
