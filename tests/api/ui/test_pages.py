"""The dashboard's pages and actions through the Flask test client on a real ZooKeeper (no browser): every page
renders from /v2, a bad edit comes back with the error at its line, destructive actions ask first, and a
cross-site form post is refused."""

from __future__ import annotations

from tests.api.test_apps import SLEEP


def test_pages_render_from_the_api(client):
    assert client.post("/v2/apps", json={**SLEEP, "id": "/g/web"}).status_code == 201
    for path in ("/ui/", "/ui/?group=/g", "/ui/?q=we", "/ui/apps/g/web", "/ui/apps/g/web/edit",
                 "/ui/deployments", "/ui/cluster", "/ui/static/ui.js"):
        assert client.get(path).status_code == 200, path
    services = client.get("/ui/").get_data(as_text=True)
    assert 'data-id="/g"' in services and "g/</a>" in services
    assert "/g/web" in client.get("/ui/?q=WE").get_data(as_text=True)
    missing = client.get("/ui/apps/nope")
    assert missing.status_code == 404 and "does not exist" in missing.get_data(as_text=True)
    assert "Not configured" in client.get("/ui/cluster").get_data(as_text=True)


def test_edit_errors_and_confirmations(client):
    client.post("/v2/apps", json={**SLEEP, "id": "/web"})
    text = '{\n  "id": "/web",\n  "cmd": "sleep 1",\n  "cpus": -1\n}'
    refused = client.post("/ui/apps/web/edit", data={"definition": text})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-path="/cpus" data-line="4"' in page
    broken = client.post("/ui/apps/web/edit", data={"definition": '{\n  "id": '})
    assert broken.status_code == 400 and "not JSON" in broken.get_data(as_text=True)
    asked = client.post("/ui/apps/web/destroy", data={})
    assert asked.status_code == 200 and "Please confirm" in asked.get_data(as_text=True)
    assert client.get("/v2/apps/web").status_code == 200  # not destroyed without the confirmation
    done = client.post("/ui/apps/web/destroy", data={"confirmed": "yes", "force": "yes"})
    assert done.status_code == 303 and "notice=Destroying" in done.headers["Location"]
    forged = client.post("/ui/apps/web/restart", data={"confirmed": "yes"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403
