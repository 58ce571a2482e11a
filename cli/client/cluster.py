"""`balalaika queue` and `balalaika leader`."""

from __future__ import annotations

import argparse

from cli.client import render
from cli.client.context import Context, Exit, add_command


def register(commands: argparse._SubParsersAction) -> None:
    add_command(commands, "queue", show_queue, summary="apps waiting for instances to launch, and why",
                description="Apps with launches waiting: how many, whether they wait for offers or are delayed "
                            "after failures (backoff), since when, and why recent offers were not used.",
                examples="balalaika queue\nbalalaika queue --json")
    add_command(commands, "leader", show_leader, summary="the scheduler that leads (host:port)",
                examples="balalaika leader\nbalalaika leader --api http://10.0.0.5:8080")


def show_queue(ctx: Context, args: argparse.Namespace) -> int:
    answer = ctx.api.get("/v2/queue", embed="lastUnusedOffers")
    if ctx.json:
        ctx.emit_json(answer)
        return Exit.OK
    entries = [entry for entry in answer.get("queue") or [] if isinstance(entry.get("app"), dict)]
    if not entries:
        ctx.say("No app is waiting for launches.")
        return Exit.OK
    now = ctx.now()
    rows = [render.queue_row(entry, now) for entry in sorted(entries, key=lambda e: e["app"]["id"])]
    ctx.show(render.table(render.QUEUE_COLUMNS, rows))
    return Exit.OK


def show_leader(ctx: Context, args: argparse.Namespace) -> int:
    answer = ctx.api.get("/v2/leader")
    if ctx.json:
        ctx.emit_json(answer)
        return Exit.OK
    ctx.out.print(str(answer.get("leader")), markup=False, highlight=False)
    return Exit.OK
