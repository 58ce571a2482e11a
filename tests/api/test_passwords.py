"""Stored API passwords: salted scrypt entries authenticate, legacy unsalted ones still do with a warning
naming the user, wrong passwords are refused (api/passwords.py, api/auth.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import subprocess
import sys

import pytest

from api import create_app
from api.auth import AuthConfig
from tests.api.conftest import ROOT

ADMIN = [{"prefix": "/", "level": "admin"}]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def helper_entry(name: str, password: str, *args: str) -> dict:
    """The entry `python -m api.passwords` prints for a password given on stdin."""
    out = subprocess.run([sys.executable, "-m", "api.passwords", name, *args], input=password + "\n",
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_the_helper_prints_a_salted_entry_that_authenticates_on_the_api(zk_hosts, tmp_path, caplog):
    entry = helper_entry("ops", "s3cret", "--level", "admin")
    other = helper_entry("ops2", "s3cret", "--level", "admin")
    assert entry["passwordHash"].startswith("scrypt:") and "s3cret" not in json.dumps(entry)
    assert entry["passwordHash"] != other["passwordHash"]  # salted: the same password hashes differently
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"users": [entry]}))
    with caplog.at_level(logging.WARNING, logger="api.auth"):
        app = create_app({"ZK_HOSTS": zk_hosts, "ZK_ROOT": ROOT, "AUTH_FILE": str(auth_file)})
    assert not [r for r in caplog.records if "rehash" in r.getMessage()]
    client = app.test_client()
    try:
        assert client.get("/v2/apps", headers={"Authorization": basic("ops", "s3cret")}).status_code == 200
        assert client.get("/v2/apps", headers={"Authorization": basic("ops", "s3cret")}).status_code == 200
        assert client.get("/v2/apps", headers={"Authorization": basic("ops", "wrong")}).status_code == 401
        assert client.get("/v2/apps", headers={"Authorization": basic("nobody", "s3cret")}).status_code == 401
    finally:
        app.extensions["balalaika.backend"].close()


@pytest.mark.parametrize("legacy", [
    {"passwordSha256": hashlib.sha256(b"old-pw").hexdigest().upper()},
    {"password": "old-pw"},
], ids=["sha256", "clear-text"])
def test_an_old_file_still_authenticates_and_names_the_user_to_rehash(tmp_path, caplog, legacy):
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"users": [
        {"name": "legacy-user", **legacy, "permissions": ADMIN},
        {"name": "new-user", "passwordHash": helper_entry("x", "new-pw")["passwordHash"], "permissions": ADMIN},
    ]}))
    with caplog.at_level(logging.WARNING, logger="api.auth"):
        config = AuthConfig.load(auth_file)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "legacy-user" in warnings[0] and "python -m api.passwords legacy-user" in warnings[0]
    assert config.authenticate(basic("legacy-user", "old-pw")).name == "legacy-user"
    assert config.authenticate(basic("legacy-user", "new-pw")) is None
    assert config.authenticate(basic("new-user", "new-pw")).name == "new-user"
    assert config.authenticate(basic("new-user", "old-pw")) is None


def test_a_remembered_password_does_not_let_another_through(tmp_path):
    """After one good login, the fast path must still refuse a different password for the same user."""
    config = AuthConfig({"users": [{"name": "ops", "passwordHash": helper_entry("ops", "right")["passwordHash"],
                                    "permissions": ADMIN}]})
    assert config.authenticate(basic("ops", "right")) is not None
    assert config.authenticate(basic("ops", "right-ish")) is None
    assert config.authenticate(basic("ops", "right")) is not None
