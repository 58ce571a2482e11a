"""The dashboard in headless Chromium against the real stack (ZooKeeper, gunicorn api, schedulers on
mesoslocal): what an operator sees and does, and that the page follows the cluster live.

Screenshots of each main page go to the test's tmp dir (``screenshots/``), as artifacts to look at.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.fixtures.browser import VIEWPORT
from tests.fixtures.stack import BackendStack
from tests.waiting import wait_for

APP = {"id": "/shop/web", "cmd": "sleep 3600", "instances": 1, "cpus": 0.1, "mem": 16}
LIVE_TIMEOUT_MS = 30_000  # launches on a loaded 2-core machine; the page itself follows within a second


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def open_live(page: Page, url: str) -> None:
    """Opens a page and waits until it follows /v2/events (so nothing that happens next is missed)."""
    page.goto(url)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=10_000)


# Makes the page's next live refresh wait for `releaseFetch()` once fetched (`heldFetch` then true), with every
# live part changed meanwhile so that the refresh has something to replace; `refreshRead` turns true once the
# refresh has read its answer and done what it does with it (a task after that synchronous step).
HOLD_NEXT_REFRESH = """() => {
  const fetchPage = window.fetch, readText = Response.prototype.text;
  const released = new Promise((resolve) => { window.releaseFetch = resolve; });
  window.fetch = async (...args) => {
    window.fetch = fetchPage;
    const answer = await fetchPage(...args);
    window.heldFetch = true;
    await released;
    return answer;
  };
  Response.prototype.text = async function () {
    Response.prototype.text = readText;
    const text = await readText.call(this);
    setTimeout(() => { window.refreshRead = true; }, 0);
    return text;
  };
  for (const part of document.querySelectorAll("[data-live]")) part.append(document.createComment("older"));
  window.balalaikaRefresh();
}"""


def wait_for_js(page: Page, condition: str) -> None:
    page.wait_for_function(f"() => Boolean({condition})", timeout=10_000)


def row(page: Page, app_id: str):
    return page.locator(f'tr[data-id="{app_id}"]')


def test_dashboard_shows_scales_edits_and_rolls_back_an_app(backend_stack: BackendStack, chromium, tmp_path):
    backend_stack.post_app(APP)
    backend_stack.wait_running(APP["id"], 1)
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        # the services table shows the deployed app, inside its group
        table = context.new_page()
        open_live(table, f"{backend_stack.api_url}/ui/")
        expect(row(table, "/shop")).to_contain_text("1 / 1")
        table.get_by_role("link", name="shop/").click()
        expect(row(table, "/shop/web")).to_contain_text("Running")
        expect(row(table, "/shop/web").locator(".instances")).to_have_text("1 / 1")
        expect(table.locator("#live-state")).to_have_attribute("data-state", "live")
        shoot(table, tmp_path, "services")

        # scaling from the app page: the table in the other tab follows without a reload
        page = context.new_page()
        page.goto(f"{backend_stack.api_url}/ui/apps/shop/web")
        page.get_by_label("Instances").fill("3")
        page.get_by_role("button", name="Scale", exact=True).click()
        expect(page.locator(".notice")).to_contain_text("Scaling /shop/web to 3")
        expect(row(table, "/shop/web").locator(".instances")).to_have_text("3 / 3", timeout=LIVE_TIMEOUT_MS)
        backend_stack.wait_running(APP["id"], 3)
        expect(page.locator("tr[data-task]")).to_have_count(3, timeout=LIVE_TIMEOUT_MS)
        shoot(page, tmp_path, "app")

        # a bad edit: the api's validation error shows next to the field it names
        page.get_by_role("link", name="Edit JSON and deploy").click()
        definition = json.loads(page.get_by_label("App definition (JSON)").input_value())
        page.get_by_label("App definition (JSON)").fill(json.dumps({**definition, "cpus": -1}, indent=2))
        page.get_by_role("button", name="Deploy", exact=True).click()
        error = page.locator('.field-error[data-path="/cpus"]')
        expect(error).to_contain_text("cpus")
        expect(error.locator(".why")).not_to_be_empty()
        expect(page.get_by_label("App definition (JSON)")).to_have_attribute("aria-invalid", "true")
        shoot(page, tmp_path, "edit-error")

        # a good edit makes a new version; rolling back from the history restores the old command
        page.get_by_label("App definition (JSON)").fill(json.dumps({**definition, "cmd": "sleep 3601"}, indent=2))
        page.get_by_role("button", name="Deploy", exact=True).click()
        expect(page.locator(".notice")).to_contain_text("Deploying the new definition")
        wait_for(lambda: backend_stack.app(APP["id"])["cmd"] == "sleep 3601", 10, "the edit to be stored")
        backend_stack.wait_running(APP["id"], 3)
        page.goto(f"{backend_stack.api_url}/ui/apps/shop/web")
        expect(page.locator("pre.diff")).to_contain_text("sleep 3601")
        shoot(page, tmp_path, "app-history")
        page.locator(".versions li").filter(has_text="compared below").get_by_role(
            "button", name="Roll back to this version").click()
        expect(page.locator("#confirm")).to_be_visible()
        page.locator("#confirm-ok").click()
        expect(page.locator(".notice")).to_contain_text("Rolling /shop/web back")
        wait_for(lambda: backend_stack.app(APP["id"])["cmd"] == "sleep 3600", 10, "the rollback to be stored")
        expect(page.locator("pre.json")).to_contain_text('"cmd": "sleep 3600"')

        # an app no agent can hold: the app page says why, and its deployment is stopped from the Deployments page
        backend_stack.post_app({**APP, "id": "/shop/huge", "cpus": 64})
        page.goto(f"{backend_stack.api_url}/ui/apps/shop/huge")
        expect(page.locator("#queue-h")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        shoot(page, tmp_path, "app-waiting")
        open_live(page, f"{backend_stack.api_url}/ui/deployments")
        deployment = page.locator("[data-deployment]").filter(has_text="/shop/huge")
        expect(deployment.locator("progress")).to_be_visible()
        shoot(page, tmp_path, "deployments")
        # a live refresh on its way when the confirmation opens must not swallow the confirmed stop (it replaced
        # the form the dialog was to submit, and the browser drops a detached form's submit)
        page.evaluate(HOLD_NEXT_REFRESH)
        wait_for_js(page, "window.heldFetch")
        deployment.get_by_role("button", name="Stop here").click()
        expect(page.locator("#confirm")).to_be_visible()
        page.evaluate("() => window.releaseFetch()")
        wait_for_js(page, "window.refreshRead")
        page.locator("#confirm-ok").click()
        expect(page.locator(".notice")).to_contain_text("Stopped deployment")
        expect(page.locator("[data-deployment]")).to_have_count(0)

        page.goto(f"{backend_stack.api_url}/ui/cluster")
        expect(page.locator(".leader")).to_contain_text("scheduler0")
        expect(page.get_by_text("Totals and every framework's use from the Mesos master")).to_be_visible()
        expect(page.locator("#agents-h + p + table tbody tr")).to_have_count(3)  # all three, idle ones too
        expect(page.get_by_text("Not configured")).to_be_visible()
        shoot(page, tmp_path, "cluster")
    finally:
        context.close()


def test_dashboard_stays_live_across_a_leader_failover(backend_stack_factory, chromium, tmp_path):
    stack = backend_stack_factory(standby=True)
    stack.post_app({**APP, "id": "/failover"})
    stack.wait_running("/failover", 1)
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        open_live(page, f"{stack.api_url}/ui/")
        expect(row(page, "/failover").locator(".instances")).to_have_text("1 / 1")
        old = stack.kill_scheduler()
        wait_for(lambda: stack.leader_name() not in (None, f"scheduler{old}"), 30, "the standby to lead")
        stack.scale("/failover", 2)
        expect(row(page, "/failover").locator(".instances")).to_have_text("2 / 2", timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
        shoot(page, tmp_path, "services-after-failover")
    finally:
        context.close()
