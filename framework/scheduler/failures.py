"""Each app's last task failure (Marathon's lastTaskFailure, `records.task_failure`) in ZooKeeper.

Written without waiting (a crash loop must not pace the loop). `AppStore.commit` removes a deleted app's
failure with it; `forget_stale` catches a failure written while its app was being deleted.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from framework.store import FailureStore

log = logging.getLogger(__name__)

DELETE_RETRY = 5.0  # seconds before deleting a stale failure again if the mirror still shows it


class TaskFailures:
    """Owns when each stale failure was last deleted. Loop thread only. Handed the failure store."""

    def __init__(self, store: FailureStore) -> None:
        self._store = store
        self._deleted: dict[str, float] = {}  # app id -> when its stale failure was deleted

    def record(self, failure: dict) -> None:
        """Stores the app's lastTaskFailure without waiting; a failed write is logged."""

        def written(result: Any) -> None:
            try:
                result.get()
            except Exception as error:
                log.warning("could not record the last task failure of %s: %s", failure["appId"], error)

        try:
            self._store.put(failure).rawlink(written)
        except Exception as error:
            log.warning("could not record the last task failure of %s: %s", failure["appId"], error)

    def forget_stale(self, snapshot: Any, now: float) -> None:
        """Removes the last task failures of apps that no longer exist (as the mirror shows them)."""
        stale = snapshot.failures.keys() - snapshot.apps.keys()
        self._deleted = {app_id: at for app_id, at in self._deleted.items() if app_id in stale}
        for app_id in stale:
            if now - self._deleted.get(app_id, -math.inf) >= DELETE_RETRY:
                self._deleted[app_id] = now  # until the mirror shows the deletion
                self._store.delete(app_id)
