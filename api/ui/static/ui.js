// Balalaika dashboard: follows /v2/events and swaps in fresh copies of the page's [data-live] parts;
// asks before destructive actions (forms with data-confirm); filters as you type; jumps to an error's line.
"use strict";

const EVENT_TYPES = [
  "status_update_event", "health_status_changed_event", "instance_health_changed_event", "failed_health_check_event",
  "unhealthy_task_kill_event", "unhealthy_instance_kill_event", "deployment_info", "deployment_success",
  "deployment_failed", "deployment_step_success", "deployment_step_failure", "api_post_event",
  "app_terminated_event", "group_change_success", "scheduler_registered_event", "scheduler_reregistered_event",
  "scheduler_disconnected_event",
];
const REFRESH_DELAY_MS = 120; // events come in bursts: one refresh per burst

function liveParts(root) {
  return new Map([...root.querySelectorAll("[data-live]")].map((node) => [node.dataset.live, node]));
}

function setLiveState(state, text) {
  const node = document.getElementById("live-state");
  if (node) { node.dataset.state = state; node.textContent = text; }
}

function startLive() {
  if (!window.EventSource || liveParts(document).size === 0) return;
  let timer = null, busy = false, again = false;
  const dialog = document.getElementById("confirm");

  async function refresh() {
    if (busy || (dialog && dialog.open)) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
      if (!response.ok) return;
      const fresh = liveParts(new DOMParser().parseFromString(await response.text(), "text/html"));
      // a confirmation opened while this page was on its way holds a form of the current page: replacing it
      // now would leave the confirmed submit to a detached form, which the browser drops
      if (dialog && dialog.open) { again = true; return; }
      const focused = document.activeElement && document.activeElement.closest("[data-live]") ? document.activeElement : null;
      const focusKey = focused && (focused.id || focused.getAttribute("href"));
      for (const [name, node] of liveParts(document)) {
        const replacement = fresh.get(name);
        if (replacement && replacement.innerHTML !== node.innerHTML) node.replaceWith(replacement);
      }
      if (focusKey && !document.contains(focused)) {
        const target = document.getElementById(focusKey) || document.querySelector(`[data-live] [href="${CSS.escape(focusKey)}"]`);
        if (target) target.focus();
      }
      document.body.dataset.refreshed = String(Date.now());
    } catch (error) {
      // the api restarting or the network gone: the event stream's reconnection brings the next refresh
    } finally {
      busy = false;
      if (again) { again = false; schedule(); }
    }
  }

  function schedule() {
    if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, REFRESH_DELAY_MS);
  }

  const query = EVENT_TYPES.map((type) => "event_type=" + type).join("&");
  const source = new EventSource("/v2/events?" + query);
  for (const type of EVENT_TYPES) source.addEventListener(type, schedule);
  source.addEventListener("open", () => { setLiveState("live", "Live"); schedule(); }); // catch up after a gap
  source.addEventListener("error", () => setLiveState("reconnecting", "Reconnecting…"));
  if (dialog) dialog.addEventListener("close", schedule);
  window.balalaikaRefresh = schedule;
}

function confirmForms() {
  const dialog = document.getElementById("confirm");
  if (!dialog || !dialog.showModal) return;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    let question = form.dataset.confirm;
    if (form.matches("[data-scale]")) {
      const wanted = Number(form.elements.instances.value), current = Number(form.elements.current.value);
      if (wanted < current) question = `Scale down from ${current} to ${wanted} instances? Tasks will be killed.`;
    }
    if (!question || form.dataset.confirmed === "yes") return;
    event.preventDefault();
    document.getElementById("confirm-question").textContent = question;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => {
      if (dialog.returnValue !== "ok") return;
      const confirmed = document.createElement("input");
      Object.assign(confirmed, { type: "hidden", name: "confirmed", value: "yes" });
      form.append(confirmed);
      form.dataset.confirmed = "yes";
      form.requestSubmit();
    }, { once: true });
    dialog.showModal();
    document.getElementById("confirm-ok").focus();
  });
}

function filterAsYouType() {
  const input = document.querySelector("[data-filter]");
  if (!input) return;
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const url = new URL(location.href);
      if (input.value.trim()) url.searchParams.set("q", input.value.trim()); else url.searchParams.delete("q");
      history.replaceState(null, "", url);
      if (window.balalaikaRefresh) window.balalaikaRefresh(); else input.form.requestSubmit();
    }, 200);
  });
}

function errorLines() {
  const text = document.getElementById("definition");
  if (!text) return;
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-goto-line]");
    if (!button || !button.dataset.gotoLine) return;
    const lines = text.value.split("\n"), line = Number(button.dataset.gotoLine) - 1;
    const start = lines.slice(0, line).reduce((sum, l) => sum + l.length + 1, 0);
    text.focus();
    text.setSelectionRange(start, start + (lines[line] || "").length);
    text.scrollTop = Math.max(0, (line - 3) * parseFloat(getComputedStyle(text).lineHeight));
  });
  const first = document.querySelector("[data-goto-line]:not([data-goto-line=''])");
  if (first) first.click();
}

confirmForms();
filterAsYouType();
errorLines();
startLive();
