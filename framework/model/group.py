"""``normalize_group``: a /v2/groups body (nested groups of apps) in canonical form.

Relative ids resolve against the enclosing group, and every app and subgroup must be a direct child of
the group that lists it, which is how Marathon keeps a group tree unambiguous.
"""

from __future__ import annotations

from framework.model import paths
from framework.model.app import read_app, read_dependencies
from framework.model.errors import Errors, ValidationError
from framework.model.fields import Fields


def normalize_group(raw: dict, base: str = "/") -> dict:
    """The canonical group tree of a POST/PUT /v2/groups body.

    A relative group id resolves against ``base``; a body without an id is the group ``base`` itself
    (PUT /v2/groups/{id}). Raises ValidationError with paths such as ``/groups(0)/apps(1)/cpus``.
    """
    if not isinstance(raw, dict):
        raise ValidationError([{"path": "/", "errors": ["expected a JSON object"]}])
    errors = Errors()
    group = read_group(Fields(raw, "", errors), base, parent_id=None)
    errors.raise_if_any()
    return group


def read_group(group: Fields, base: str, parent_id: str | None) -> dict:
    group_id = read_group_id(group, base, parent_id)
    apps = []
    for item in group.objects("apps"):
        app = read_app(item, group_id)
        if paths.parent(app["id"]) != group_id:
            item.error("id", f"Identifier is not child of '{group_id}'")
        apps.append(app)
    subgroups = [read_group(item, group_id, group_id) for item in group.objects("groups")]
    out = {
        "id": group_id,
        "apps": apps,
        "groups": subgroups,
        "dependencies": read_dependencies(group, group_id),
        "enforceRole": group.boolean("enforceRole", False),
    }
    version = group.string("version")
    if version is not None:
        out["version"] = version
    return out


def read_group_id(group: Fields, base: str, parent_id: str | None) -> str:
    raw_id = group.string("id", required=parent_id is not None)
    group_id = paths.resolve(raw_id, base) if raw_id else paths.resolve(base)
    for problem in paths.problems(group_id):
        group.error("id", problem)
    if parent_id is not None and paths.parent(group_id) != parent_id:
        group.error("id", f"Identifier is not child of '{parent_id}'")
    return group_id

