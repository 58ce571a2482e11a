"""Pure parts: id encoding, paths, the node size guard (no server)."""

import pytest

from framework.store import Layout, StoreError, decode_id, encode_id
from framework.store.codec import MAX_NODE_BYTES, encode


def test_ids_flatten_reversibly() -> None:
    assert encode_id("/prod/web/api") == "prod_web_api"
    assert decode_id("prod_web_api") == "/prod/web/api"
    assert Layout("/x").task("/a/b", "a_b.123") == "/x/tasks/a_b/a_b.123"


@pytest.mark.parametrize("bad", ["", "/", "relative", "/a//b", "/a_b", "/a/../b", "/A"])
def test_bad_ids_are_refused(bad: str) -> None:
    with pytest.raises(StoreError, match="invalid id"):
        encode_id(bad)


def test_names_cannot_escape_their_directory() -> None:
    with pytest.raises(StoreError, match="task id"):
        Layout().task("/a", "../../framework-id")


def test_oversized_nodes_are_refused_clearly() -> None:
    with pytest.raises(StoreError, match="above the"):
        encode({"env": {"BIG": "x" * MAX_NODE_BYTES}}, what="app /big")
