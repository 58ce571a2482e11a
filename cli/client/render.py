"""What the client shows, as pure functions of the API's JSON (and `now`, epoch seconds): table rows, the
app status Marathon's UI derives, ages, error text, and the rich tables those rows go into.

Rows are tuples of plain strings, so that they are tested without a terminal; `table` turns them into a
`rich.table.Table` (cells as `Text`, never markup: an app id or a message with `[` stays as it is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from http import HTTPStatus
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

Json = Mapping[str, Any]

APP_COLUMNS = ("ID", "STATUS", "INSTANCES", "HEALTHY", "CPUS", "MEM", "DISK", "VERSION")
TASK_COLUMNS = ("ID", "APP", "HOST:PORTS", "STATE", "HEALTH", "STARTED")
DEPLOYMENT_COLUMNS = ("ID", "APPS", "STEP", "ACTIONS", "STARTED")
QUEUE_COLUMNS = ("APP", "WAITING", "STATUS", "SINCE", "OFFERS NOT USED")

STYLES = {
    "Running": "green", "Deploying": "cyan", "Suspended": "dim", "Waiting": "yellow", "Delayed": "red",
    "Unhealthy": "red", "healthy": "green", "unhealthy": "red", "RUNNING": "green", "KILLING": "yellow",
    "FAILED": "red", "ERROR": "red", "LOST": "red", "UNREACHABLE": "red",
}
NONE = "-"


# --- times -------------------------------------------------------------------------------------------

def epoch(timestamp: object) -> float | None:
    """Epoch seconds of an ISO-8601 timestamp (Marathon's `2026-11-26T20:00:00.000Z`), None if not one."""
    if not isinstance(timestamp, str) or not timestamp:
        return None
    try:
        return datetime.fromisoformat(timestamp).timestamp()
    except ValueError:
        return None


def duration(seconds: float) -> str:
    """`4s`, `3m 12s`, `2h 5m`, `4d 3h`: two units at most, as an operator reads an age."""
    seconds = max(0, int(seconds))
    for unit, size, smaller, smaller_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if seconds >= size:
            rest = (seconds % size) // smaller_size
            return f"{seconds // size}{unit}" + (f" {rest}{smaller}" if rest else "")
    return f"{seconds}s"


def seconds(elapsed: float) -> str:
    """A short time taken: `0.8s`, `12.4s`, then as `duration`."""
    return f"{elapsed:.1f}s" if elapsed < 60 else duration(elapsed)


def age(timestamp: object, now: float) -> str:
    """How long ago `timestamp` was (`3m 12s ago`), or `-` without one."""
    moment = epoch(timestamp)
    return NONE if moment is None else f"{duration(now - moment)} ago"


# --- apps --------------------------------------------------------------------------------------------

def queue_by_app(queue: Json | None) -> dict[str, Json]:
    """/v2/queue's entries by app id."""
    entries = (queue or {}).get("queue") or []
    return {entry["app"]["id"]: entry for entry in entries if isinstance(entry.get("app"), Mapping)}


def app_status(app: Json, queue_entry: Json | None = None) -> str:
    """Marathon's UI status of an app, and Unhealthy (ours) for a settled app with a failing health check.

    As the UI: an app waiting in /v2/queue is Delayed while its backoff delay runs (not overdue, time
    left), else Waiting (for offers); otherwise Deploying while a deployment changes it, Suspended at 0
    instances with none running, Running otherwise."""
    if queue_entry is not None:
        delay = queue_entry.get("delay") or {}
        if delay.get("overdue") is False and (delay.get("timeLeftSeconds") or 0) > 0:
            return "Delayed"
        if delay.get("overdue") is True:
            return "Waiting"
    if app.get("deployments"):
        return "Deploying"
    if not app.get("instances") and not app.get("tasksRunning"):
        return "Suspended"
    if app.get("tasksUnhealthy"):
        return "Unhealthy"
    return "Running"


def number(value: object) -> str:
    """0.05 -> `0.05`, 1.0 -> `1`."""
    return f"{value:g}" if isinstance(value, int | float) else NONE


def mebibytes(value: object) -> str:
    return f"{number(value)} MiB" if isinstance(value, int | float) else NONE


def instances(app: Json) -> str:
    """`running/target`."""
    return f"{app.get('tasksRunning', 0)}/{app.get('instances', 0)}"


def healthy(app: Json) -> str:
    """`healthy/target`, or `-` for an app without health checks."""
    if not app.get("healthChecks"):
        return NONE
    return f"{app.get('tasksHealthy', 0)}/{app.get('instances', 0)}"


def app_row(app: Json, queue_entry: Json | None = None) -> tuple[str, ...]:
    return (app["id"], app_status(app, queue_entry), instances(app), healthy(app), number(app.get("cpus")),
            mebibytes(app.get("mem")), mebibytes(app.get("disk")), str(app.get("version") or NONE))


def app_rows(apps: Json, queue: Json | None) -> list[tuple[str, ...]]:
    """Rows of GET /v2/apps's answer, by id."""
    waiting = queue_by_app(queue)
    return [app_row(app, waiting.get(app["id"])) for app in sorted(apps.get("apps") or [], key=lambda a: a["id"])]


def what_runs(app: Json) -> str:
    """The container image and/or the command."""
    parts = []
    container = app.get("container") or {}
    image = (container.get("docker") or {}).get("image")
    if image:
        parts.append(f"image {image}")
    if app.get("cmd"):
        parts.append(f"cmd {app['cmd']}")
    if app.get("args"):
        parts.append("args " + " ".join(map(str, app["args"])))
    return "; ".join(parts) or NONE


def health_check_text(check: Json) -> str:
    protocol = check.get("protocol", "HTTP")
    target = check.get("path") or (check.get("command") or {}).get("value") or ""
    where = f"port index {check.get('portIndex', 0)}" if "COMMAND" not in protocol else ""
    return " ".join(part for part in (protocol, target, where, f"every {number(check.get('intervalSeconds'))}s",
                                       f"grace {number(check.get('gracePeriodSeconds'))}s") if part)


def failure_text(failure: Json | None, now: float) -> str:
    """An app's lastTaskFailure in one line."""
    if not failure:
        return NONE
    message = (failure.get("message") or "").strip() or "no message"
    return (f"{failure.get('state', 'TASK_FAILED')} of {failure.get('taskId', '?')} on {failure.get('host', '?')}, "
            f"{age(failure.get('timestamp'), now)}: {message}")


def app_details(app: Json, queue_entry: Json | None, now: float) -> list[tuple[str, str]]:
    """`app show`'s field/value lines."""
    ports = [str(p.get("port")) for p in app.get("portDefinitions") or []]
    mappings = ((app.get("container") or {}).get("portMappings")) or []
    ports += [f"{m.get('containerPort')}->{m.get('hostPort')}" for m in mappings]
    info = app.get("versionInfo") or {}
    lines = [
        ("id", app["id"]),
        ("status", app_status(app, queue_entry)),
        ("instances", f"{instances(app)} running, {app.get('tasksStaged', 0)} staged"),
        ("healthy", healthy(app)),
        ("runs", what_runs(app)),
        ("resources", f"cpus {number(app.get('cpus'))}, mem {mebibytes(app.get('mem'))}, "
                      f"disk {mebibytes(app.get('disk'))}"),
        ("ports", ", ".join(ports) or NONE),
        ("health checks", "; ".join(health_check_text(c) for c in app.get("healthChecks") or []) or NONE),
        ("constraints", ", ".join(":".join(map(str, c)) for c in app.get("constraints") or []) or NONE),
        ("labels", ", ".join(f"{k}={v}" for k, v in sorted((app.get("labels") or {}).items())) or NONE),
        ("version", f"{app.get('version', NONE)} (config changed {age(info.get('lastConfigChangeAt'), now)})"),
        ("deployments", ", ".join(d["id"] for d in app.get("deployments") or []) or NONE),
        ("last failure", failure_text(app.get("lastTaskFailure"), now)),
    ]
    if queue_entry is not None:
        lines.insert(2, ("queue", queue_status(queue_entry)))
    return lines


# --- tasks -------------------------------------------------------------------------------------------

def task_health(task: Json) -> str:
    """Marathon's rule: healthy when every health result is alive; `-` without results."""
    results = task.get("healthCheckResults") or []
    if not results:
        return NONE
    return "healthy" if all(result.get("alive") for result in results) else "unhealthy"


def endpoint(task: Json) -> str:
    """`host:port,port` (the host alone for a task without ports)."""
    host = task.get("host") or "?"
    ports = ",".join(str(port) for port in task.get("ports") or [])
    return f"{host}:{ports}" if ports else host


def state(task: Json) -> str:
    return str(task.get("state") or "TASK_STAGING").removeprefix("TASK_")


def task_row(task: Json, now: float) -> tuple[str, ...]:
    return (task["id"], str(task.get("appId") or NONE), endpoint(task), state(task), task_health(task),
            age(task.get("startedAt"), now))


def task_rows(tasks: Iterable[Json], now: float) -> list[tuple[str, ...]]:
    """By app, then oldest first."""
    ordered = sorted(tasks, key=lambda t: (t.get("appId") or "", t.get("startedAt") or "~", t["id"]))
    return [task_row(task, now) for task in ordered]


# --- deployments and the queue -----------------------------------------------------------------------

def actions_text(actions: Iterable[Json]) -> str:
    return ", ".join(f"{a.get('action')} {a.get('app')}" for a in actions) or NONE


def deployment_row(plan: Json, now: float) -> tuple[str, ...]:
    actions = actions_text(plan.get("currentActions") or [])
    if plan.get("rollbackOf"):
        actions += f" (rolling back {plan['rollbackOf']})"
    return (plan["id"], ", ".join(plan.get("affectedApps") or []) or NONE,
            f"{plan.get('currentStep', 0)}/{plan.get('totalSteps', 0)}", actions, age(plan.get("version"), now))


def deployment_rows(plans: Iterable[Json], now: float) -> list[tuple[str, ...]]:
    return [deployment_row(plan, now) for plan in sorted(plans, key=lambda p: (p.get("version") or "", p["id"]))]


def queue_status(entry: Json) -> str:
    delay = entry.get("delay") or {}
    left = delay.get("timeLeftSeconds") or 0
    if delay.get("overdue") is False and left > 0:
        return f"Delayed {duration(left)} (backoff after failures)"
    return "Waiting for offers"


def unused_offers(summary: object) -> str:
    """Why offers were not used: Marathon's `rejectSummaryLastOffers` (reason, declined), or a plain
    `{reason: count}` summary."""
    if not isinstance(summary, Mapping):
        return NONE
    counts: list[tuple[str, int]] = []
    if "processedOffersCount" in summary or "rejectSummaryLastOffers" in summary:
        counts = [(str(r.get("reason")), int(r.get("declined") or 0))
                  for r in summary.get("rejectSummaryLastOffers") or [] if r.get("declined")]
    else:
        counts = [(str(reason), int(count)) for reason, count in summary.items() if isinstance(count, int)]
    return ", ".join(f"{reason} x{count}" for reason, count in sorted(counts, key=lambda rc: -rc[1])) or NONE


def queue_row(entry: Json, now: float) -> tuple[str, ...]:
    return (entry["app"]["id"], str(entry.get("count", 0)), queue_status(entry), age(entry.get("since"), now),
            unused_offers(entry.get("processedOffersSummary")))


# --- errors ------------------------------------------------------------------------------------------

def status_phrase(status: int) -> str:
    """`422 Unprocessable Entity` (servers spell the phrase as they like; werkzeug in capitals)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def error_lines(status: int, body: object, text: str = "") -> list[str]:
    """The API's refusal as lines: status and Marathon's `message`, then each detail (`path: error`) and
    each deployment a 409 names."""
    message = body.get("message") if isinstance(body, Mapping) else None
    lines = [f"{status_phrase(status)}: {message or text.strip()[:500] or 'no message'}"]
    if not isinstance(body, Mapping):
        return lines
    for detail in body.get("details") or []:
        if isinstance(detail, Mapping):
            errors = detail.get("errors") or [NONE]
            lines += [f"  {detail.get('path') or '/'}: {error}" for error in errors]
    for deployment in body.get("deployments") or []:
        if isinstance(deployment, Mapping):
            lines.append(f"  locked by deployment {deployment.get('id')}")
    return lines


# --- tables ------------------------------------------------------------------------------------------

def table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    """A table an operator reads at a glance: a header, no borders, status words coloured."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(Text(cell, style=STYLES.get(cell, "")) for cell in row))
    return grid


def fields(pairs: Iterable[tuple[str, str]]) -> Table:
    """Field/value lines (`app show`)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in pairs:
        grid.add_row(Text(name), Text(value, style=STYLES.get(value, "")))
    return grid
