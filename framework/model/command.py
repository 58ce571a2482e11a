"""What runs: cmd or args, the environment, and the artifacts fetched into the sandbox."""

from __future__ import annotations

from urllib.parse import urlsplit

from framework.model import defaults
from framework.model.errors import element, member
from framework.model.fields import Fields

CMD_ARGS_OR_CONTAINER = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."


def read_command(app: Fields, out: dict) -> None:
    """Sets cmd and/or args on out; they are absent, not empty, when the app does not give them."""
    cmd = app.string("cmd", non_empty=True)
    args = app.strings("args")
    if cmd is not None:
        out["cmd"] = cmd
    if args:
        out["args"] = args
    if cmd and args:
        app.error(None, CMD_ARGS_OR_CONTAINER)


def check_command_or_container(app: Fields, out: dict) -> None:
    """Marathon needs something to run: a command, args for an image entrypoint, or a container."""
    container = out.get("container")
    has_container = container is not None and ("docker" in container or container["type"] == "MESOS")
    if not out.get("cmd") and not out.get("args") and not has_container:
        app.error(None, CMD_ARGS_OR_CONTAINER)


def read_env(app: Fields) -> dict:
    """Values are strings or secret references ``{"secret": "name"}``; Marathon rejects numbers."""
    raw = app.object("env")
    env: dict = {}
    for name, value in (raw or {}).items():
        path = member(app.at("env"), name)
        if isinstance(value, str):
            env[name] = value
        elif isinstance(value, dict) and set(value) == {"secret"} and isinstance(value["secret"], str):
            env[name] = {"secret": value["secret"]}
        else:
            app.errors.add(path, "expected a string or a secret reference {\"secret\": ...}")
    return env


def read_fetch(app: Fields) -> list[dict]:
    """``fetch`` artifacts, or the legacy ``uris`` turned into artifacts (extract set by file extension)."""
    uris = app.strings("uris")
    items = app.objects("fetch")
    if uris and items:
        app.error("uris", "may not be set in conjunction with fetch")
    if uris and not items:
        for index, uri in enumerate(uris):
            check_uri(app, element(app.at("uris"), index), uri)
        return [{"uri": uri, "extract": uri.endswith(defaults.EXTRACTABLE), "executable": False,
                 "cache": False} for uri in uris]
    return [read_artifact(item) for item in items]


def read_artifact(item: Fields) -> dict:
    uri = item.string("uri", "", required=True, non_empty=True, max_length=1024)
    if uri:
        check_uri(item, item.at("uri"), uri)
    artifact = {
        "uri": uri,
        "extract": item.boolean("extract", True),
        "executable": item.boolean("executable", False),
        "cache": item.boolean("cache", False),
    }
    dest_path = item.string("destPath", non_empty=True, max_length=1024)
    if dest_path is not None:
        artifact["destPath"] = dest_path
    return artifact


def check_uri(fields: Fields, path: str, uri: str) -> None:
    try:
        urlsplit(uri)
    except ValueError:
        fields.errors.add(path, "URI has invalid syntax.")
        return
    if any(c.isspace() for c in uri):
        fields.errors.add(path, "URI has invalid syntax.")


def read_accepted_roles(app: Fields, out: dict) -> None:
    roles = app.strings("acceptedResourceRoles", non_empty=True)
    if roles is None:
        return
    if app.obj["acceptedResourceRoles"] == []:
        app.error("acceptedResourceRoles", "must not be empty")
        return
    unique = list(dict.fromkeys(roles))
    if unique:
        out["acceptedResourceRoles"] = unique
