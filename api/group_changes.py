"""Marathon's ``group_change_success`` / ``group_change_failed`` around every deployment-creating write.

Marathon announces each change of its group tree once it is accepted (the plan stored), and each change
that fails after the request was read (apps locked by a deployment, an app that is not there, an invalid
result, the store unavailable), naming the group the change was made in and the version it would give.
``deploy`` here is `api.writes.deploy` plus those events, so the blueprints need no other change; a success
is committed with the write itself, a failure recorded after it.

The group is the closest group holding every app written: an app's own group for the /v2/apps routes
(Marathon's choice), and for a group write the deepest group common to its apps. Recording is best-effort,
as for api_post_event: a failure to record is logged, never answered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from api import writes
from api.backend import Backend
from api.errors import ApiError
from framework.deploy.events import group_change_failed, group_change_success
from framework.model.paths import parent, segments
from framework.store import StoreError
from framework.timeutil import now_ts

log = logging.getLogger(__name__)


def changed_group(app_ids: Iterable[str]) -> str:
    """The deepest group that holds every one of ``app_ids`` ("/" for none)."""
    common: list[str] | None = None
    for app_id in app_ids:
        parts = segments(parent(app_id))
        if common is None:
            common = parts
        else:
            same = 0
            while same < min(len(common), len(parts)) and common[same] == parts[same]:
                same += 1
            common = common[:same]
    return "/" + "/".join(common or [])


def deploy(be: Backend, targets: Mapping[str, writes.Target], **options: object) -> dict:
    """`api.writes.deploy` (same arguments, answer and errors), recording the group change's outcome; a dry
    run records nothing."""
    if options.get("dry_run"):
        return writes.deploy(be, targets, **options)
    group_id = changed_group(targets)
    try:
        return writes.deploy(be, targets, announce=lambda plan: [group_change_success(group_id, plan["version"],
                                                                                      now_ts())], **options)
    except ApiError as error:
        _record(be, group_change_failed(group_id, now_ts(), error.message, now_ts()))
        raise


def _record(be: Backend, event: dict) -> None:
    try:
        be.store.events.append(event)
    except (StoreError, ApiError) as error:  # ApiError: 503 while ZooKeeper is unreachable
        log.warning("could not record %s for %s: %s", event["eventType"], event["groupId"], error)
