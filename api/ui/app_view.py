"""What the App page shows beside the raw JSON: its editable configuration, its tasks, and why its launches
wait (the /v2/queue entry). Pure."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

# Members GET /v2/apps/<id> adds to the definition: state, not configuration (PUT would ignore or refuse them).
RUNTIME_MEMBERS = frozenset({
    "version", "versionInfo", "tasks", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy",
    "deployments", "lastTaskFailure", "readinessCheckResults", "taskStats", "counts"})
# processedOffersSummary members that are totals, not reasons
SUMMARY_TOTALS = frozenset({"processedOffersCount", "unusedOffersCount", "lastUnusedOfferAt", "lastUsedOfferAt"})


def config_of(app: Mapping) -> dict:
    """The definition an operator edits: the app without its runtime members."""
    return {key: value for key, value in app.items() if key not in RUNTIME_MEMBERS}


def pretty(value: object) -> str:
    """The JSON form every editor and diff on the page uses (2-space indent, stable member order)."""
    return json.dumps(value, indent=2)


@dataclass(frozen=True)
class TaskRow:
    id: str
    endpoint: str  # host:port[,port...]
    state: str
    health: str  # Healthy / Unhealthy / Unknown / No checks
    started: str | None
    version: str | None
    current: bool  # runs the app's current configuration


def health_of(task: Mapping, checked: bool) -> str:
    results = task.get("healthCheckResults") or []
    if not checked:
        return "No checks"
    if not results:
        return "Unknown"
    return "Healthy" if all(result.get("alive") for result in results) else "Unhealthy"


def task_rows(app: Mapping) -> list[TaskRow]:
    checked = bool(app.get("healthChecks"))
    # a scaling makes a new version too, without replacing tasks: those since the last config change are current
    config_version = (app.get("versionInfo") or {}).get("lastConfigChangeAt") or app.get("version") or ""
    out = []
    for task in sorted(app.get("tasks") or [], key=lambda t: (t.get("startedAt") or t.get("stagedAt") or "", t["id"])):
        ports = ",".join(str(port) for port in task.get("ports") or [])
        endpoint = f"{task.get('host', '?')}:{ports}" if ports else str(task.get("host", "?"))
        out.append(TaskRow(task["id"], endpoint, str(task.get("state", "?")).removeprefix("TASK_"),
                           health_of(task, checked), task.get("startedAt"), task.get("version"),
                           (task.get("version") or "") >= config_version))
    return out


@dataclass(frozen=True)
class QueueView:
    count: int
    delay_seconds: int
    overdue: bool
    since: str | None
    reasons: list[tuple[str, int]]  # most frequent first
    offers_processed: int | None


def queue_view(entry: Mapping | None) -> QueueView | None:
    """The queue entry's launch count, backoff delay and unused-offer reasons (whatever shape they come in:
    our per-reason counts in processedOffersSummary, Marathon's rejectSummaryLastOffers, or lastUnusedOffers)."""
    if not entry:
        return None
    reasons: Counter[str] = Counter()
    summary = entry.get("processedOffersSummary") or {}
    for key, value in summary.items():
        if key in SUMMARY_TOTALS or key.startswith("rejectSummary"):
            continue
        if isinstance(value, int) and value > 0:
            reasons[key] += value
    for item in summary.get("rejectSummaryLastOffers") or []:
        if item.get("declined"):
            reasons[str(item.get("reason"))] += int(item["declined"])
    for offer in entry.get("lastUnusedOffers") or []:
        for reason in offer.get("reason") or []:
            reasons[str(reason)] += 1
    delay = entry.get("delay") or {}
    processed = summary.get("processedOffersCount")
    return QueueView(int(entry.get("count", 0)), int(delay.get("timeLeftSeconds", 0)), bool(delay.get("overdue", True)),
                     entry.get("since"), sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
                     processed if isinstance(processed, int) else None)
