"""The state a write decides on, read from ZooKeeper (not the mirror) in one pipelined round trip.

A write needs, exactly: each target app with its znode version (the compare-and-set) and the running
deployments (the 409 answer). All requests go out before the first answer is awaited; ZooKeeper answers
one session's requests in order, so the deployment listing is at least as new as the app reads.

Deployments: the listing (names only) is authoritative; the content of a listed deployment is taken
from this worker's mirror when it has it and read only otherwise (one more pipelined round trip, for
deployments created a moment ago by another worker or replica, or staged by a big write in progress). That
is exact for the lock check,
because a plan's ``id`` and ``affectedApps`` never change after it is created (the leader only moves
``currentStep``), and deployment ids (uuid4) are never reused. A deployment created for an app after
its read here comes with a write of that app, which then fails this write's compare-and-set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kazoo.exceptions import KazooException, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from framework.store import Store, StoreError
from framework.store.codec import decode


@dataclass(frozen=True)
class Fresh:
    apps: dict[str, tuple[dict, int] | None]  # app id -> (app, znode version), None when absent
    deployments: list[Mapping]                # running plans (at least id and affectedApps)


def read(store: Store, app_ids: Iterable[str], known_deployments: Mapping[str, Mapping]) -> Fresh:
    """Reads the apps and the deployment listing together. ``known_deployments``: the
    mirror's deployments by id (read from ZooKeeper only for listed ids missing there).
    Raises StoreError (ZooKeeper unavailable, bad id)."""
    client, layout, timeout = store.nodes.client, store.nodes.layout, store.nodes.timeout
    try:
        app_reads = {app_id: client.get_async(layout.app(app_id)) for app_id in app_ids}
        listing = client.get_children_async(layout.deployments_dir)
        apps = {}
        for app_id, result in app_reads.items():
            try:
                data, stat = result.get(timeout=timeout)
            except NoNodeError:
                data = b""
            # b"": no app, or the placeholder of one a staged write is creating (framework.store.staged)
            apps[app_id] = (decode(data), stat.version) if data else None
        names = listing.get(timeout=timeout)
        deployments = [known_deployments[name] for name in names if name in known_deployments]
        # Staged ones too: a big write in progress holds its apps already (framework.store.staged).
        unknown = store.deployments.get_many([name for name in names if name not in known_deployments],
                                             staging=True)
        deployments += [plan for plan, _ in unknown.values()]  # those finished since the listing are left out
    except NoNodeError as error:
        raise StoreError(f"reading the state to write: {error}") from error
    except (KazooException, KazooTimeoutError) as error:
        raise StoreError(f"reading the state to write: ZooKeeper unavailable ({type(error).__name__})") from error
    return Fresh(apps, deployments)
