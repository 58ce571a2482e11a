"""Building the v1 TaskInfo for one launch, the way Marathon builds it (pure: no I/O, no clock).

Field names and shapes are Mesos's v1 JSON (see ../shared/docs/mesos-v1-notes.md, D1 and D4).
Marathon's choices followed here:

* ``name`` is the app id's path reversed and dot-joined (``/shop/web`` -> ``web.shop``), a valid
  hostname for Mesos-DNS; ``discovery`` carries the same name, visibility FRAMEWORK and one port per
  protocol of each port that got a host port.
* Environment: task context (MESOS_TASK_ID, MARATHON_APP_*, label variables), then the port variables
  and HOST, then the app's own ``env`` last, so the app's values win. Secret references in ``env``
  (``{"secret": ...}``) are not resolved and are left out.
* Command: ``cmd`` runs in a shell; ``args`` run without one (``value`` = args[0] only when there is
  no container, because Docker would otherwise receive args[0] twice); a Docker app with neither
  keeps the image's entrypoint (shell false, no value).
  (``value`` is left out with args whenever a Docker image runs them.)
* Health: Mesos runs at most one check per task, so the first check that can be expressed as a
  Mesos-native one is sent (HTTP/HTTPS/TCP/COMMAND and their MESOS_ forms). Inside Docker BRIDGE or a
  USER network the check runs in the task's namespace, so it targets the container port.

Not handled: persistent and external volumes, secrets, IP-per-task ``ipAddress`` (legacy),
``--env_vars_prefix``, Marathon's random container port for a USER mapping with containerPort 0
and no host port (its PORT<n> variable is left out).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

from framework.matching.match import Launch
from framework.model import appfields, defaults
from framework.model.ports import (
    BRIDGE,
    HOST,
    USER,
    PortSpec,
    declared_ports,
    network_mode,
    network_name,
    port_specs,
)

_LABEL_KEY_LIMIT = 512 - len("MARATHON_APP_LABEL_")  # Marathon drops longer keys and values
_LABEL_VALUE_LIMIT = 512
_HEALTH_TYPES = {
    "HTTP": "HTTP", "HTTPS": "HTTP", "MESOS_HTTP": "HTTP", "MESOS_HTTPS": "HTTP",
    "TCP": "TCP", "MESOS_TCP": "TCP", "COMMAND": "COMMAND",
}


def task_name(app_id: str) -> str:
    """Marathon's task name: the path segments reversed, joined by dots (``/a/b`` -> ``b.a``)."""
    return ".".join(reversed([s for s in app_id.split("/") if s]))


def _java_double(value: float) -> str:
    """Marathon prints resources with Scala's Double.toString: 1.0, 0.5, 128.0."""
    return repr(float(value))


def _label_env(labels: Mapping[str, Any]) -> dict[str, str]:
    valid = {
        re.sub(r"[^a-zA-Z0-9_]+", "_", key).upper(): str(value)
        for key, value in labels.items()
        if len(key) < _LABEL_KEY_LIMIT and len(str(value)) < _LABEL_VALUE_LIMIT
    }
    env = {"MARATHON_APP_LABELS": " ".join(valid)}
    env.update({f"MARATHON_APP_LABEL_{key}": value for key, value in valid.items()})
    return env


def _host_ports(specs: tuple[PortSpec, ...], launch: Launch) -> list[int | None]:
    """The host port of each port spec (None for specs without one), from the launch's ports."""
    assigned = iter(launch.ports)
    return [None if s.host_port is None else next(assigned, None) for s in specs]


def _host_ports_by_protocol(app: Mapping[str, Any], launch: Launch) -> list[tuple[PortSpec, int, str]]:
    """(spec, host port, protocol) for each port with a host port, one entry per protocol ("udp,tcp")."""
    specs = port_specs(app)
    return [
        (spec, host, protocol.strip())
        for spec, host in zip(specs, _host_ports(specs, launch), strict=True)
        if host is not None
        for protocol in spec.protocol.split(",")
    ]


def _ports_env(app: Mapping[str, Any], specs: tuple[PortSpec, ...], hosts: list[int | None]) -> dict:
    if not specs:
        return {}
    env: dict[str, str] = {}
    declared = declared_ports(app)
    for spec, host in zip(specs, hosts, strict=True):
        if host is not None:
            env[f"PORT{spec.index}"] = str(host)
        elif spec.container_port:
            env[f"PORT{spec.index}"] = str(spec.container_port)
    for spec, host in zip(specs, hosts, strict=True):
        wanted = declared[spec.index] if spec.index < len(declared) else 0
        if host is not None:
            env[f"PORT_{wanted or host}"] = str(host)
        elif wanted:
            env[f"PORT_{wanted}"] = str(wanted)
    for spec, host in zip(specs, hosts, strict=True):
        if spec.name and host is not None:
            env[f"PORT_{spec.name.upper()}"] = str(host)
    effective = [h for h in hosts if h is not None]
    if effective:
        env["PORT"] = str(effective[0])
    env["PORTS"] = ",".join(str(p) for p in effective)
    return env


def environment(app: Mapping[str, Any], launch: Launch, task_id: str) -> dict[str, str]:
    """The variables Marathon gives a task, in Marathon's precedence order (later wins)."""
    env: dict[str, str] = {
        "MESOS_TASK_ID": task_id,
        "MARATHON_APP_ID": appfields.app_id(app),
        "MARATHON_APP_VERSION": str(app.get("version", "")),
    }
    image = appfields.docker_image(app)
    if image:
        env["MARATHON_APP_DOCKER_IMAGE"] = image
    env["MARATHON_APP_RESOURCE_CPUS"] = _java_double(appfields.resource(app, "cpus"))
    env["MARATHON_APP_RESOURCE_MEM"] = _java_double(appfields.resource(app, "mem"))
    env["MARATHON_APP_RESOURCE_DISK"] = _java_double(appfields.resource(app, "disk"))
    env["MARATHON_APP_RESOURCE_GPUS"] = str(int(appfields.resource(app, "gpus")))
    env.update(_label_env(app.get("labels") or {}))
    specs = port_specs(app)
    env.update(_ports_env(app, specs, _host_ports(specs, launch)))
    env["HOST"] = launch.hostname
    for key, value in (app.get("env") or {}).items():
        if isinstance(value, Mapping):
            continue  # a secret reference
        env[key] = value if isinstance(value, str) else json.dumps(value)
    return env


def fetch_uris(app: Mapping[str, Any]) -> list[dict]:
    out = []
    for item in app.get("fetch") or []:
        uri = {
            "value": item["uri"],
            "executable": bool(item.get("executable", False)),
            "extract": bool(item.get("extract", True)),
            "cache": bool(item.get("cache", False)),
        }
        if item.get("destPath"):
            uri["output_file"] = item["destPath"]
        out.append(uri)
    return out


def command_info(app: Mapping[str, Any], launch: Launch, task_id: str) -> dict:
    """The CommandInfo: shell for ``cmd``, execve for ``args``, the image's entrypoint otherwise."""
    command: dict[str, Any] = {}
    cmd = app.get("cmd")
    args = list(app.get("args") or [])
    if args:
        command["shell"] = False
        if not appfields.docker_image(app):
            command["value"] = args[0]
        command["arguments"] = args
    elif cmd:
        command["shell"] = True
        command["value"] = cmd
    else:
        command["shell"] = False
    env = environment(app, launch, task_id)
    command["environment"] = {"variables": [{"name": k, "value": v} for k, v in env.items()]}
    uris = fetch_uris(app)
    if uris:
        command["uris"] = uris
    if app.get("user"):
        command["user"] = app["user"]
    return command


def _volumes(app: Mapping[str, Any]) -> list[dict]:
    out = []
    for vol in appfields.container(app).get("volumes") or []:
        if vol.get("persistent") or vol.get("external") or not vol.get("containerPath"):
            continue  # persistent and external volumes are not supported
        v = {"container_path": vol["containerPath"], "mode": str(vol.get("mode") or "RW").upper()}
        if vol.get("hostPath"):
            v["host_path"] = vol["hostPath"]
        out.append(v)
    return out


def container_info(app: Mapping[str, Any], launch: Launch) -> dict | None:
    """ContainerInfo for Docker apps (or Mesos containers with an image); None for plain commands."""
    c = appfields.container(app)
    image = appfields.docker_image(app)
    if not c or not image:
        return None
    mode = network_mode(app)
    out: dict[str, Any]
    if str(c.get("type", "DOCKER")).upper() == "MESOS":
        out = {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": image}}}}
    else:
        d = appfields.docker(app)
        docker: dict[str, Any] = {"image": image, "network": mode}
        if mode in (BRIDGE, USER):
            mappings = [
                # containerPort 0: the container listens on the host port it was given
                {"host_port": host, "container_port": spec.container_port or host, "protocol": protocol}
                for spec, host, protocol in _host_ports_by_protocol(app, launch)
            ]
            if mappings:
                docker["port_mappings"] = mappings
        docker["privileged"] = bool(d.get("privileged", False))
        params = [{"key": p["key"], "value": str(p["value"])} for p in d.get("parameters") or []]
        if params:
            docker["parameters"] = params
        docker["force_pull_image"] = bool(d.get("forcePullImage", False))
        out = {"type": "DOCKER", "docker": docker}
    volumes = _volumes(app)
    if volumes:
        out["volumes"] = volumes
    if mode == USER and network_name(app):
        out["network_infos"] = [{"name": network_name(app)}]
    return out


def _health_port(check: Mapping[str, Any], app: Mapping[str, Any], launch: Launch) -> int | None:
    if check.get("port"):
        return int(check["port"])
    specs = port_specs(app)
    index = check.get("portIndex")
    if check.get("portName"):
        index = next((s.index for s in specs if s.name == check["portName"]), None)
    index = 0 if index is None else int(index)
    if index >= len(specs):
        return None
    spec = specs[index]
    host = _host_ports(specs, launch)[index]
    if network_mode(app) != HOST and appfields.docker_image(app) and spec.container_port:
        return spec.container_port
    return host if host is not None else spec.container_port or None


def health_check(app: Mapping[str, Any], launch: Launch) -> dict | None:
    """The first of the app's checks that Mesos can run, as a v1 HealthCheck; None if there is none."""
    for check in app.get("healthChecks") or []:
        protocol = str(check.get("protocol", "HTTP")).upper()
        kind = _HEALTH_TYPES.get(protocol)
        if kind is None:
            continue
        out: dict[str, Any] = {"type": kind}
        if kind == "COMMAND":
            value = (check.get("command") or {}).get("value")
            if not value:
                continue
            out["command"] = {"shell": True, "value": value}
        else:
            port = _health_port(check, app, launch)
            if port is None:
                continue
            if kind == "HTTP":
                out["http"] = {"port": port, "path": check.get("path") or "/"}
                if protocol.endswith("HTTPS"):
                    out["http"]["scheme"] = "https"
            else:
                out["tcp"] = {"port": port}
        timing = {**defaults.HEALTH_CHECK, **check}  # Marathon's defaults for what the check leaves out
        out["delay_seconds"] = float(timing["delaySeconds"])
        out["interval_seconds"] = float(timing["intervalSeconds"])
        out["timeout_seconds"] = float(timing["timeoutSeconds"])
        out["consecutive_failures"] = int(timing["maxConsecutiveFailures"])
        out["grace_period_seconds"] = float(timing["gracePeriodSeconds"])
        return out
    return None


def discovery_info(app: Mapping[str, Any], launch: Launch) -> dict:
    """DiscoveryInfo as Marathon sets it for Mesos-DNS: one port per protocol of each host port."""
    ports = []
    for spec, host, protocol in _host_ports_by_protocol(app, launch):
        port: dict[str, Any] = {"number": host, "protocol": protocol}
        if spec.name:
            port["name"] = spec.name
        if spec.labels:
            port["labels"] = {"labels": [{"key": k, "value": str(v)} for k, v in spec.labels.items()]}
        ports.append(port)
    out: dict[str, Any] = {"visibility": "FRAMEWORK", "name": task_name(appfields.app_id(app))}
    if ports:
        out["ports"] = {"ports": ports}
    return out


def build_task_info(
    app: Mapping[str, Any],
    launch: Launch,
    task_id: str,
    *,
    framework_id: str | None = None,
    executor: Mapping[str, Any] | None = None,
) -> dict:
    """The v1 TaskInfo for ``launch`` of ``app`` with id ``task_id``, ready for a LAUNCH operation.

    With ``executor`` (a v1 ExecutorInfo for Balalaika's own executor) the task carries that executor
    instead of a command, and the CommandInfo travels in ``data`` as base64 JSON for the executor to
    run; ``framework_id`` is filled into the ExecutorInfo when it lacks one. No container is sent in
    that case: the executor is for command apps.
    """
    task: dict[str, Any] = {
        "name": task_name(appfields.app_id(app)),
        "task_id": {"value": task_id},
        "agent_id": {"value": launch.agent_id},
        "resources": launch.resources,
    }
    command = command_info(app, launch, task_id)
    if executor is None:
        task["command"] = command
        container = container_info(app, launch)
        if container is not None:
            task["container"] = container
    else:
        info = dict(executor)
        if framework_id is not None and "framework_id" not in info:
            info["framework_id"] = {"value": framework_id}
        task["executor"] = info
        task["data"] = base64.b64encode(json.dumps(command, sort_keys=True).encode()).decode("ascii")
    check = health_check(app, launch)
    if check is not None:
        task["health_check"] = check
    grace = app.get("taskKillGracePeriodSeconds")
    if grace is not None:
        task["kill_policy"] = {"grace_period": {"nanoseconds": int(round(float(grace) * 1e9))}}
    labels = app.get("labels") or {}
    if labels:
        task["labels"] = {"labels": [{"key": k, "value": str(v)} for k, v in labels.items()]}
    task["discovery"] = discovery_info(app, launch)
    return task
