"""Explicitly created groups (`/v2/groups`): one node per group with what its apps do not say.

A group's apps are separate nodes under `apps/` (`AppStore`); a group node carries only its dependencies,
`enforceRole` and version, so the api writes it on its own, after the apps' transaction.
"""

from __future__ import annotations

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError

from framework.store.codec import encode
from framework.store.nodes import Nodes, error_for, translated


class GroupStore:
    """Owns `groups/<group>`."""

    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes
        self._layout = nodes.layout

    @translated
    def get(self, group_id: str) -> tuple[dict, int] | None:
        """The group and its znode version (pass it back as `expected_version`), or None."""
        return self._nodes.versioned(self._layout.group(group_id))

    @translated
    def all(self) -> dict[str, dict]:
        found = self._nodes.get_children(self._layout.groups_dir, "groups directory")
        return {group["id"]: group for group, _ in found}

    @translated
    def put(self, group: dict, *, expected_version: int | None = None) -> int:
        """Creates (`expected_version=None`) or compare-and-sets an explicit group; returns its znode version.
        Raises Conflict, NotFound."""
        group_id = group["id"]
        path, data = self._layout.group(group_id), encode(group, what=f"group {group_id}")
        try:
            if expected_version is None:
                self._nodes.client.create(path, data)
                return 0
            return self._nodes.client.set(path, data, version=expected_version).version
        except (NodeExistsError, NoNodeError, BadVersionError) as error:
            raise error_for(error, f"group {group_id}") from error

    @translated
    def delete(self, group_id: str, *, expected_version: int | None = None) -> None:
        """Removes an explicit group (its apps are separate nodes, deleted by the caller). Raises NotFound,
        Conflict."""
        try:
            self._nodes.client.delete(self._layout.group(group_id),
                                      version=-1 if expected_version is None else expected_version)
        except (NoNodeError, BadVersionError) as error:
            raise error_for(error, f"group {group_id}") from error
