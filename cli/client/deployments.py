"""`balalaika deployment list | cancel ID [--rollback]`."""

from __future__ import annotations

import argparse

from cli.client import render
from cli.client.context import Context, Exit, add_command, add_deployment_options, add_group
from cli.client.follow import write_and_follow


def register(commands: argparse._SubParsersAction) -> None:
    sub = add_group(commands, "deployment", aliases=("deployments",), summary="list and cancel deployments",
                    examples="balalaika deployment list\nbalalaika deployment cancel 5d3e... --rollback")

    add_command(sub, "list", list_deployments, summary="running deployments and their current step",
                description="Running deployments as a table: id, apps, step n/m with its actions, started.",
                examples="balalaika deployment list\nbalalaika deployment list --json | jq -r '.[].id'")

    parser = add_command(sub, "cancel", cancel_deployment, follows=True, summary="stop a deployment, or roll it back",
                         description="Stops deployment ID where it is: its apps keep the new definition and the "
                                     "instances they have now. With --rollback, a new deployment restores the "
                                     "definitions from before ID instead, and is followed until it ends "
                                     "(unless --detach).",
                         examples="balalaika deployment cancel 5d3e1c7a-0b2f-4e53-9a8e-2f1c0d9b7e64\n"
                                  "balalaika deployment cancel 5d3e1c7a-0b2f-4e53-9a8e-2f1c0d9b7e64 --rollback")
    parser.add_argument("deployment_id", metavar="ID")
    parser.add_argument("--rollback", action="store_true", help="restore the definitions from before ID")
    add_deployment_options(parser, force=False)


def list_deployments(ctx: Context, args: argparse.Namespace) -> int:
    plans = ctx.api.get("/v2/deployments") or []
    if ctx.json:
        ctx.emit_json(plans)
        return Exit.OK
    if not plans:
        ctx.say("No deployment is running.")
        return Exit.OK
    ctx.show(render.table(render.DEPLOYMENT_COLUMNS, render.deployment_rows(plans, ctx.now())))
    return Exit.OK


def cancel_deployment(ctx: Context, args: argparse.Namespace) -> int:
    path = f"/v2/deployments/{args.deployment_id}"
    if args.rollback:
        plans = ctx.api.get("/v2/deployments") or []
        apps = next((p.get("affectedApps") or [] for p in plans if p.get("id") == args.deployment_id), [])
        return write_and_follow(ctx, args, lambda: ctx.api.request("DELETE", path), apps,
                                f"rolling back deployment {args.deployment_id}")
    answer = ctx.api.request("DELETE", path, params={"force": "true"})
    if ctx.json:
        ctx.emit_json(answer.body)
        return Exit.OK
    ctx.say(f"Deployment {args.deployment_id} cancelled; its apps stay as they are now.")
    return Exit.OK
