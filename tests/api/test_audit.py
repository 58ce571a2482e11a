"""The audit log (api/audit.py, framework/store/audit.py): accepted writes are recorded in ZooKeeper with the
user, route and resulting version / deployment id, readable by admins at /v2/audit; refused writes are not;
the log stays bounded."""

from __future__ import annotations

import base64

from api import create_app
from framework.store import AuditStore, wait_all
from framework.store.audit import AUDIT_TRIM_EVERY
from tests.api.conftest import ROOT
from tests.api.test_apps import SLEEP
from tests.waiting import wait_for

USERS = {
    "users": [{"name": "ops", "password": "pw", "permissions": [{"prefix": "/", "level": "admin"}]},
              {"name": "team", "password": "t", "permissions": [{"prefix": "/team", "level": "admin"}]}],
}


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


OPS, TEAM = basic("ops", "pw"), basic("team", "t")


def test_deploy_scale_delete_are_recorded_with_user_and_deployment_ids(zk_hosts):
    app = create_app({"ZK_HOSTS": zk_hosts, "ZK_ROOT": ROOT, "AUTH": USERS})
    client = app.test_client()
    try:
        created = client.post("/v2/apps", json={**SLEEP, "id": "/team/a"}, headers=TEAM)
        scaled = client.put("/v2/apps/team/a?force=true", json={"instances": 3}, headers=TEAM)
        deleted = client.delete("/v2/apps/team/a?force=true", headers=OPS)
        assert [r.status_code for r in (created, scaled, deleted)] == [201, 200, 200]
        # refused: forbidden, invalid, unauthenticated, not found
        assert client.post("/v2/apps", json={**SLEEP, "id": "/other"}, headers=TEAM).status_code == 403
        assert client.post("/v2/apps", data="{", content_type="application/json", headers=OPS).status_code == 400
        assert client.post("/v2/apps", json=SLEEP).status_code == 401
        assert client.delete("/v2/apps/nothing", headers=OPS).status_code == 404

        assert client.get("/v2/audit", headers=TEAM).status_code == 403  # admin of /team only, not of /
        entries = client.get("/v2/audit", headers=OPS).get_json()["entries"]
        assert [(e["user"], e["method"], e["route"], e["status"]) for e in entries] == [
            ("ops", "DELETE", "/v2/apps/team/a?force=true", 200),
            ("team", "PUT", "/v2/apps/team/a?force=true", 200),
            ("team", "POST", "/v2/apps", 201)]
        answers = [deleted.get_json(), scaled.get_json()]
        assert [(e["deploymentId"], e["version"]) for e in entries[:2]] == [
            (a["deploymentId"], a["version"]) for a in answers]
        assert entries[2]["deploymentId"] == created.headers["Marathon-Deployment-Id"]
        assert entries[2]["version"] == created.get_json()["version"]
        assert all(e["client"] == "127.0.0.1" and e["time"].endswith("Z") for e in entries)
        assert client.get("/v2/audit?limit=1", headers=OPS).get_json()["entries"] == entries[:1]
        assert client.get("/v2/audit?limit=x", headers=OPS).status_code == 400

        # the dashboard: asking for confirmation changes nothing; the confirmed destroy is its DELETE, once
        client.post("/v2/apps", json={**SLEEP, "id": "/team/b"}, headers=OPS)
        assert client.post("/ui/apps/team/b/destroy", headers=OPS).status_code == 200  # the question
        confirmed = client.post("/ui/apps/team/b/destroy", data={"confirmed": "yes", "force": "yes"},
                                headers=OPS)
        assert confirmed.status_code == 303
        latest = client.get("/v2/audit?limit=3", headers=OPS).get_json()["entries"]
        assert [(e["method"], e["route"]) for e in latest] == [
            ("DELETE", "/v2/apps/team/b?force=true"), ("POST", "/v2/apps"), ("DELETE", "/v2/apps/team/a?force=true")]
    finally:
        app.extensions["balalaika.backend"].close()


def test_without_auth_the_user_is_anonymous(client):
    assert client.post("/v2/apps", json=SLEEP).status_code == 201
    [entry] = client.get("/v2/audit").get_json()["entries"]
    assert entry["user"] == "anonymous" and entry["method"] == "POST" and entry["deploymentId"]


def test_the_log_keeps_only_the_newest_records(store):
    audit = AuditStore(store.nodes, keep=10)
    wait_all([audit.append({"n": n}) for n in range(2 * AUDIT_TRIM_EVERY + 5)])
    directory = store.nodes.layout.audit_dir

    def stored() -> int:
        return len(store.nodes.client.get_children(directory))

    # a trim started at the 100th append; only the 5 appended since may remain beyond the 10 kept
    wait_for(lambda: stored() <= 10 + 5, 10, "the audit log trimmed")
    assert [entry["n"] for entry in audit.recent()] == list(range(2 * AUDIT_TRIM_EVERY + 4, 2 * AUDIT_TRIM_EVERY - 6,
                                                                  -1))
    assert len(audit.recent(limit=3)) == 3
