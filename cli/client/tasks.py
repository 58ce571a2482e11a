"""`balalaika task list [APP] | kill ID... [--scale]`."""

from __future__ import annotations

import argparse

from cli.client import render
from cli.client.context import Context, Exit, add_command, add_group, app_path, forced
from cli.client.follow import deployment_id_of


def register(commands: argparse._SubParsersAction) -> None:
    sub = add_group(commands, "task", aliases=("tasks",), summary="list and kill tasks (app instances)",
                    examples="balalaika task list\nbalalaika task kill web.4a3c9f52-... --scale")

    parser = add_command(sub, "list", list_tasks, summary="tasks, of every app or of APP",
                         description="Tasks as a table: id, app, host:ports, Mesos state, health, when started.",
                         examples="balalaika task list\nbalalaika task list /web\n"
                                  "balalaika task list /web --json | jq -r '.tasks[] | .host + \":\" + "
                                  "(.ports[0] | tostring)'")
    parser.add_argument("app_id", metavar="APP", nargs="?")

    parser = add_command(sub, "kill", kill_tasks, summary="kill tasks; the app replaces them unless --scale",
                         description="Kills the tasks (ids as `task list` shows them). The scheduler starts "
                                     "replacements, unless --scale lowers the app's instances by as many.",
                         examples="balalaika task kill web.4a3c9f52-6f0e-4d8a-9d55-0a6b1f3c2e11\n"
                                  "balalaika task kill ID1 ID2 --scale")
    parser.add_argument("task_ids", metavar="ID", nargs="+")
    parser.add_argument("--scale", action="store_true", help="lower the app's instances instead of replacing")
    parser.add_argument("--force", action="store_true",
                        help="with --scale: go ahead even if a running deployment locks the app")


def list_tasks(ctx: Context, args: argparse.Namespace) -> int:
    path = f"/v2/apps{app_path(args.app_id)}/tasks" if args.app_id else "/v2/tasks"
    answer = ctx.api.get(path)
    if ctx.json:
        ctx.emit_json(answer)
        return Exit.OK
    tasks = answer.get("tasks") or []
    if not tasks:
        ctx.say(f"No tasks{' of ' + app_path(args.app_id) if args.app_id else ''}.")
        return Exit.OK
    ctx.show(render.table(render.TASK_COLUMNS, render.task_rows(tasks, ctx.now())))
    return Exit.OK


def kill_tasks(ctx: Context, args: argparse.Namespace) -> int:
    params = {**forced(args), **({"scale": "true"} if args.scale else {})}
    answer = ctx.api.request("POST", "/v2/tasks/delete", params=params, body={"ids": args.task_ids})
    if ctx.json:
        ctx.emit_json(answer.body)
        return Exit.OK
    count = len(args.task_ids)
    killed = f"Killing {count} task{'s' if count > 1 else ''}: {', '.join(args.task_ids)}"
    deployment = deployment_id_of(answer)
    if args.scale and deployment:
        ctx.say(f"{killed}; instances lowered by {count} (deployment {deployment}).")
    else:
        ctx.say(f"{killed}; the scheduler starts replacements.")
    return Exit.OK
