"""Digest credentials: Balalaika's nodes refuse anonymous clients."""

import pytest
from kazoo.exceptions import NoAuthError

from framework.store import Store, StoreError
from tests.framework.store.conftest import ROOT, app_def

CREDENTIALS = ("balalaika", "s3cret")


def test_anonymous_clients_cannot_write_or_read(clients, kazoo_client) -> None:
    owner = Store(clients(auth=CREDENTIALS), ROOT)
    owner.ensure_layout()
    owner.apps.put(app_def("/private"), expected_version=None)
    path = owner.nodes.layout.app("/private")

    with pytest.raises(NoAuthError):
        kazoo_client.create(owner.nodes.layout.apps_dir + "/intruder", b"{}")
    with pytest.raises(NoAuthError):
        kazoo_client.set(path, b"{}")
    with pytest.raises(NoAuthError):
        kazoo_client.get(path)  # reads are refused too: app env often carries secrets
    with pytest.raises(StoreError, match="not authorized"):
        Store(kazoo_client, ROOT).apps.put(app_def("/other"), expected_version=None)

    peer = Store(clients(auth=CREDENTIALS), ROOT)  # another replica with the same credentials
    peer.apps.put(app_def("/private", "2026-11-27T00:00:00.000Z"), expected_version=0)
    assert owner.apps.get("/private")[1] == 1
