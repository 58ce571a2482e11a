"""Marathon's app model: validation with JSON-pathed errors, defaults, ids, and the rules that read an app.

Pure functions over plain JSON-shaped dicts; stdlib only, no I/O, no clock. ``normalize_app`` defines
the canonical app dict that the store, matching, deployment and API all consume, and ``ports`` (network
mode, host ports, service ports) and ``appfields`` (resources with their defaults, container, roles)
answer the questions every one of them asks about it, once.
"""

from framework.model.app import marathon_view, normalize_app
from framework.model.drain import DRAIN_LABEL, drain_seconds
from framework.model.errors import ValidationError
from framework.model.group import normalize_group
from framework.model.ports import (
    app_ports_count,
    host_port_requests,
    is_docker,
    network_mode,
    port_names,
    service_ports,
    task_host_ports,
)
from framework.model.tasks import app_id_of_task, new_task_id, task_id_prefix

__all__ = [
    "DRAIN_LABEL",
    "ValidationError",
    "app_id_of_task",
    "app_ports_count",
    "drain_seconds",
    "host_port_requests",
    "is_docker",
    "marathon_view",
    "network_mode",
    "new_task_id",
    "normalize_app",
    "normalize_group",
    "port_names",
    "service_ports",
    "task_host_ports",
    "task_id_prefix",
]
