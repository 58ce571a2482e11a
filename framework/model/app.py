"""``normalize_app``: one Marathon AppDefinition in, the canonical app with every default out.

The canonical app is what everything downstream reads (see CONTRIBUTING.md), so it is Marathon's own
response shape: legacy fields (``ports``, ``uris``, ``ipAddress``, ``container.docker.network``,
``container.docker.portMappings``) are translated and removed, and unknown top-level members are dropped.
Top-level collections are always present, even empty, so readers never need ``.get``; ``marathon_view``
leaves the empty ones out as Marathon's responses do. Optional members without a default (``cmd``,
``args``, ``container``, ``user``, ``taskKillGracePeriodSeconds``, ``tty``, ``version``...) are absent
when not given.
"""

from __future__ import annotations

import copy

from framework.model import defaults, paths
from framework.model.checks import read_health_checks, read_readiness_checks
from framework.model.command import (
    check_command_or_container,
    read_accepted_roles,
    read_command,
    read_env,
    read_fetch,
)
from framework.model.constraints import read_constraints
from framework.model.container import is_resident, read_container
from framework.model.drain import DRAIN_LABEL, drain_label_problem
from framework.model.errors import Errors, ValidationError, element, member
from framework.model.fields import Fields
from framework.model.networking import normalize_networking
from framework.model.ports import port_names
from framework.model.strategies import read_backoff, read_unreachable_strategy, read_upgrade_strategy

# Marathon's order of members in its responses; kept so that our JSON reads like Marathon's.
ORDER = ("id", "acceptedResourceRoles", "args", "backoffFactor", "backoffSeconds", "cmd", "constraints",
         "container", "cpus", "dependencies", "disk", "env", "executor", "fetch", "gpus", "healthChecks",
         "check", "instances", "labels", "maxLaunchDelaySeconds", "mem", "networks", "portDefinitions",
         "readinessChecks", "residency", "resourceLimits", "requirePorts", "secrets",
         "taskKillGracePeriodSeconds", "upgradeStrategy", "user", "version", "versionInfo",
         "unreachableStrategy", "killSelection", "tty", "executorResources", "role")
# Members kept as given (after a type check): their contents matter to agents or plugins, not to us.
PASSTHROUGH_OBJECTS = ("check", "resourceLimits", "executorResources", "secrets")


def normalize_app(raw: dict, *, base_path: str = "/") -> dict:
    """The canonical form of an app definition POSTed to /v2/apps; a relative id resolves against base_path.

    Raises ValidationError listing every violation, each at its JSON path, when Marathon would answer 422.
    """
    errors = Errors()
    if not isinstance(raw, dict):
        raise ValidationError([{"path": "/", "errors": ["expected a JSON object"]}])
    app = read_app(Fields(raw, "", errors), base_path)
    errors.raise_if_any()
    return app


def marathon_view(app: dict) -> dict:
    """A canonical app as Marathon's GET shows it: empty collections it omits are left out."""
    return {key: value for key, value in app.items()
            if not (key in defaults.OMIT_WHEN_EMPTY and not value)}


def read_app(app: Fields, base_path: str) -> dict:
    """Reads and checks every section of one app; errors go to app.errors, the result is always complete."""
    out: dict = {"id": read_id(app, base_path)}
    read_command(app, out)
    container = read_container(app)
    networking = normalize_networking(app, container)
    if container is None and networking.needs_container:
        # Non-host networks need a container to be attached to: Marathon assumes an empty Mesos one.
        container = {"type": "MESOS", "volumes": []}
    if container is not None:
        if networking.port_mappings is not None:
            container["portMappings"] = networking.port_mappings
        out["container"] = container
    out["networks"] = networking.networks
    if networking.port_definitions is not None:
        out["portDefinitions"] = networking.port_definitions
    out["requirePorts"] = app.boolean("requirePorts", False) and networking.is_host
    check_command_or_container(app, out)

    read_resources(app, out)
    is_docker = container is not None and container["type"] == "DOCKER"
    names = port_names(out)
    out["healthChecks"] = read_health_checks(app, len(names), is_docker)
    out["readinessChecks"] = read_readiness_checks(app, names)
    out["constraints"] = read_constraints(app)
    out["env"] = read_env(app)
    out["labels"] = app.string_map("labels")
    drain_problem = drain_label_problem(out["labels"])
    if drain_problem:
        app.errors.add(member(app.at("labels"), DRAIN_LABEL), drain_problem)
    out["fetch"] = read_fetch(app)
    out["dependencies"] = read_dependencies(app, out["id"])
    read_accepted_roles(app, out)

    resident = is_resident(container)
    single = out["labels"].get(defaults.SINGLE_INSTANCE_LABEL) == "true"
    if single and out["instances"] > 1:
        app.error(None, "Single instance app may only have one instance")
    if out["gpus"] > 0 and is_docker:
        app.error(None, "GPU resources only work with the Mesos containerizer")
    out["upgradeStrategy"] = read_upgrade_strategy(app, resident, single)
    out["unreachableStrategy"] = read_unreachable_strategy(app, resident)
    if resident:
        residency = app.object("residency")
        out["residency"] = copy.deepcopy(residency) if residency is not None else dict(defaults.RESIDENCY)
    read_backoff(app, out)
    read_optional(app, out)
    return {key: out[key] for key in ORDER if key in out}


def read_id(app: Fields, base_path: str) -> str:
    raw_id = app.string("id", required=True, non_empty=True)
    if not raw_id:
        return "/"
    resolved = paths.resolve(raw_id, base_path)
    for problem in paths.problems(resolved):
        app.error("id", problem)
    if resolved == paths.ROOT:
        app.error("id", "Path must contain at least one path element")
    return resolved


def read_resources(app: Fields, out: dict) -> None:
    out["cpus"] = app.number("cpus", defaults.CPUS, minimum=0.001)
    out["mem"] = app.number("mem", defaults.MEM, minimum=0)
    out["disk"] = app.number("disk", defaults.DISK, minimum=0)
    out["gpus"] = app.integer("gpus", defaults.GPUS, minimum=0)
    out["instances"] = app.integer("instances", defaults.INSTANCES, minimum=0)


def read_dependencies(owner: Fields, owner_id: str) -> list[str]:
    """Absolute ids of an app's or group's dependencies; a relative one names a sibling of the owner."""
    result: list[str] = []
    for index, dependency in enumerate(owner.strings("dependencies", non_empty=True) or []):
        resolved = paths.resolve(dependency, paths.parent(owner_id))
        for problem in paths.problems(resolved):
            owner.errors.add(element(owner.at("dependencies"), index), problem)
        if resolved not in result:
            result.append(resolved)
    return result


def read_optional(app: Fields, out: dict) -> None:
    out["executor"] = app.string("executor", defaults.EXECUTOR, pattern=defaults.EXECUTOR_PATTERN)
    out["killSelection"] = app.string("killSelection", defaults.KILL_SELECTION,
                                      choices=defaults.KILL_SELECTIONS)
    out["role"] = app.string("role", defaults.ROLE, non_empty=True)
    out["secrets"] = {}
    for key in PASSTHROUGH_OBJECTS:
        value = app.object(key)
        if value is not None:
            out[key] = copy.deepcopy(value)
    for key in ("user", "version"):
        value = app.string(key)
        if value is not None:
            out[key] = value
    version_info = app.object("versionInfo")
    if version_info is not None:
        info = Fields(version_info, app.at("versionInfo"), app.errors)
        stamps = {key: info.string(key) for key in ("lastScalingAt", "lastConfigChangeAt")}
        out["versionInfo"] = {key: value for key, value in stamps.items() if value is not None}
    grace = app.integer("taskKillGracePeriodSeconds", None, minimum=0)
    if grace is not None:
        out["taskKillGracePeriodSeconds"] = grace
    tty = app.boolean("tty", None)
    if tty is not None:
        out["tty"] = tty
