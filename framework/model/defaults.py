"""Marathon's defaults and enumerations for app definitions (its REST API's RAML types, Marathon 1.10).

Kept in one place so that a reader can compare them with Marathon's documentation at a glance.
"""

from __future__ import annotations

import re

CPUS = 1
MEM = 128
DISK = 0
GPUS = 0
INSTANCES = 1
BACKOFF_SECONDS = 1
BACKOFF_FACTOR = 1.15
# Marathon's documented default since 1.x; the 2015-era examples show 3600, the value of older releases.
MAX_LAUNCH_DELAY_SECONDS = 300
EXECUTOR = ""
KILL_SELECTION = "YOUNGEST_FIRST"
KILL_SELECTIONS = ("YOUNGEST_FIRST", "OLDEST_FIRST")
# Marathon's default --mesos_role; the role a group enforces is the API's business.
ROLE = "*"

UPGRADE_STRATEGY = {"minimumHealthCapacity": 1, "maximumOverCapacity": 1}
# Apps with persistent volumes are pinned to their reservations, so an upgrade must stop before it starts.
RESIDENT_UPGRADE_STRATEGY = {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0}
UNREACHABLE_STRATEGY = {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}
UNREACHABLE_DISABLED = "disabled"
RESIDENCY = {"relaunchEscalationTimeoutSeconds": 3600, "taskLostBehavior": "WAIT_FOREVER"}

NETWORKS = [{"mode": "host"}]
NETWORK_MODES = ("container", "container/bridge", "host")
# Legacy container.docker.network values and the network mode each one means.
DOCKER_NETWORKS = {"HOST": "host", "BRIDGE": "container/bridge", "USER": "container"}
DOCKER_NETWORK_CHOICES = ("BRIDGE", "HOST", "NONE", "USER")
CONTAINER_TYPES = ("DOCKER", "MESOS")
PORT_PROTOCOL = "tcp"
PORT_PROTOCOLS = ("tcp", "udp", "udp,tcp")
PORT_DEFINITIONS = [{"port": 0, "protocol": PORT_PROTOCOL, "name": "default"}]
PORT_MAPPING_NAME = "default"
MAX_PORT = 65535

HEALTH_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
MARATHON_HEALTH_PROTOCOLS = ("HTTP", "HTTPS", "TCP")
MESOS_HEALTH_PROTOCOLS = ("COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
HTTP_HEALTH_PROTOCOLS = ("HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS")
IP_PROTOCOLS = ("IPv4", "IPv6")
HEALTH_CHECK = {
    "gracePeriodSeconds": 300,
    "intervalSeconds": 60,
    "timeoutSeconds": 20,
    "maxConsecutiveFailures": 3,
    "delaySeconds": 15,
}

READINESS_CHECK = {
    "name": "readinessCheck",
    "protocol": "HTTP",
    "path": "/",
    "portName": "http-api",
    "intervalSeconds": 30,
    "timeoutSeconds": 10,
    "httpStatusCodesForReady": [200],
    "preserveLastResponse": False,
}

CONSTRAINT_OPERATORS = ("UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS")

# Marathon sets `extract` for legacy `uris` by file extension.
EXTRACTABLE = (".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip")

# Names: ports, networks, labels of the legacy kind (no length limit on port names, for old apps).
PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
NETWORK_NAME = re.compile(r"[a-z0-9]([-a-z0-9_]*[a-z0-9])?")
EXECUTOR_PATTERN = re.compile(r"(//cmd)|(/?[^/]+(/[^/]+)*)|")

SINGLE_INSTANCE_LABEL = "MARATHON_SINGLE_INSTANCE_APP"

# Top-level collections that Marathon's responses leave out when empty (its RAML `omitEmpty`).
OMIT_WHEN_EMPTY = ("args", "constraints", "dependencies", "env", "fetch", "healthChecks",
                   "readinessChecks", "secrets")
