"""Task ids in Marathon's form: ``<app id without the leading / and with / as _>.<uuid4>``.

The form is reversible because app ids cannot contain ``_``, and the uuid (after the last ``.``) has no
dot, while app id segments may (``/web/api.v2``).
"""

from __future__ import annotations

import uuid

from framework.model import paths

# Later Marathon versions name instances ``<prefix>.instance-<uuid>._app.<n>``; accept those too.
INSTANCE_MARKERS = (".instance-", ".marathon-")


def task_id_prefix(app_id: str) -> str:
    """``/group/app`` → ``group_app``: the part of a task id that names its app."""
    return "_".join(paths.segments(app_id))


def new_task_id(app_id: str) -> str:
    return f"{task_id_prefix(app_id)}.{uuid.uuid4()}"


def app_id_of_task(task_id: str) -> str:
    """The absolute app id a task id belongs to. Raises ValueError when task_id is not of Marathon's form."""
    for marker in INSTANCE_MARKERS:
        if marker in task_id:
            prefix = task_id.split(marker, 1)[0]
            break
    else:
        prefix, dot, _ = task_id.rpartition(".")
        if not dot:
            raise ValueError(f"not a Marathon task id: {task_id!r}")
    if not prefix:
        raise ValueError(f"not a Marathon task id: {task_id!r}")
    return "/" + prefix.replace("_", "/")
