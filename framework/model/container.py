"""The ``container`` member without its ports: engine type, image and volumes.

Port mappings and the legacy ``docker.network`` belong to networking (see ``networking.py``), because
which of them survive depends on the app's networks.
"""

from __future__ import annotations

import copy

from framework.model import defaults
from framework.model.errors import member
from framework.model.fields import Fields

MUST_BE_EMPTY = "must be empty"


def read_container(app: Fields) -> dict | None:
    """The validated container in Marathon's canonical form, or None when the app has none."""
    raw = app.object("container")
    if raw is None:
        return None
    fields = Fields(raw, app.at("container"), app.errors)
    engine = fields.string("type", "DOCKER", choices=defaults.CONTAINER_TYPES)
    container: dict = {"type": engine}
    docker = read_docker(fields, engine)
    if docker is not None:
        container["docker"] = docker
    elif engine == "DOCKER":
        fields.error("docker", "not defined")
    container["volumes"] = read_volumes(fields)
    linux_info = fields.object("linuxInfo")
    if linux_info is not None:
        container["linuxInfo"] = copy.deepcopy(linux_info)
    return container


def read_docker(container: Fields, engine: str) -> dict | None:
    raw = container.object("docker")
    if raw is None:
        return None
    fields = Fields(raw, container.at("docker"), container.errors)
    docker: dict = {
        "image": fields.string("image", "", required=True, non_empty=True),
        "forcePullImage": fields.boolean("forcePullImage", False),
    }
    if fields.has("credential"):
        # Marathon dropped this way of passing registry credentials in 1.5 (pullConfig replaced it).
        fields.error("credential", MUST_BE_EMPTY)
    pull_config = fields.object("pullConfig")
    if engine == "DOCKER":
        docker["privileged"] = fields.boolean("privileged", False)
        docker["parameters"] = read_parameters(fields)
        if pull_config is not None:
            fields.error("pullConfig", "pullConfig is not supported with Docker containerizer")
    else:
        # The Mesos containerizer runs Docker images itself: Docker CLI parameters have no meaning there.
        for key in ("network", "parameters", "portMappings"):
            if raw.get(key):
                fields.error(key, MUST_BE_EMPTY)
        if pull_config is not None:
            docker["pullConfig"] = copy.deepcopy(pull_config)
    return docker


def read_parameters(docker: Fields) -> list[dict]:
    parameters = []
    for item in docker.objects("parameters"):
        key = item.string("key", "", required=True, non_empty=True)
        value = item.string("value", "", required=True)
        parameters.append({"key": key, "value": value})
    return parameters


def read_volumes(container: Fields) -> list[dict]:
    """Volumes are kept as given after basic checks: their many kinds are the agent's concern."""
    volumes = []
    for item in container.objects("volumes"):
        item.string("containerPath", required=True, non_empty=True)
        item.string("hostPath", non_empty=True)
        item.string("mode", choices=("RO", "RW"))
        item.string("secret", non_empty=True)
        persistent = item.object("persistent")
        if persistent is not None:
            Fields(persistent, item.at("persistent"), item.errors).integer("size", None, minimum=1)
            if persistent.get("size") is None:
                item.errors.add(member(item.at("persistent"), "size"), "is required")
        item.object("external")
        volumes.append(copy.deepcopy(item.obj))
    return volumes


def is_resident(container: dict | None) -> bool:
    """True when the app has local persistent volumes, which pin its tasks to agents."""
    return bool(container) and any(isinstance(v.get("persistent"), dict) for v in container["volumes"])
