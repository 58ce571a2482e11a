"""`balalaika app list | show | deploy | update | scale | restart | delete`."""

from __future__ import annotations

import argparse

from cli.client import render
from cli.client.context import (
    Context,
    Exit,
    UsageError,
    add_command,
    add_deployment_options,
    add_group,
    app_path,
    forced,
    read_json_file,
)
from cli.client.follow import write_and_follow

FOLLOWING = """\
The command follows the deployment it starts until it ends: new instances started and healthy, old ones
drained and stopped. It exits 0 once the deployment finished, non-zero if it failed or was rolled back
(with the reason), or after --timeout; --detach returns at once."""


def register(commands: argparse._SubParsersAction) -> None:
    sub = add_group(commands, "app", aliases=("apps",), summary="list, show, deploy, update, scale, restart, "
                    "delete apps", examples="balalaika app list\nbalalaika app deploy examples/sleep.json")

    parser = add_command(sub, "list", list_apps, summary="the apps, their status and instances",
                         description="The apps as a table: status (as Marathon's UI shows it: Running, "
                                     "Deploying, Suspended, Waiting for offers, Delayed after failures; "
                                     "and Unhealthy), instances running/wanted, healthy/wanted, resources, "
                                     "version.",
                         examples="balalaika app list\nbalalaika app list --label HAPROXY_GROUP==external\n"
                                  "balalaika app list --json | jq -r '.apps[].id'")
    parser.add_argument("--label", metavar="SELECTOR", help="only apps whose labels match, e.g. 'tier==web'")
    parser.add_argument("--id", dest="id_part", metavar="TEXT", help="only apps whose id contains TEXT")

    parser = add_command(sub, "show", show_app, summary="one app: its definition, status, tasks, last failure",
                         examples="balalaika app show /web\nbalalaika app show web --json")
    parser.add_argument("app_id", metavar="ID")

    parser = add_command(sub, "deploy", deploy_app, follows=True,
                         summary="create an app from a JSON file and follow its start",
                         description="Creates the app defined in FILE (Marathon's app JSON; - for stdin), or "
                                     "the apps of a group (a JSON object with `apps` or `groups`, sent to "
                                     f"/v2/groups).\n\n{FOLLOWING}",
                         examples="balalaika app deploy examples/sleep.json\n"
                                  "balalaika app deploy examples/group.json   # a group with dependencies\n"
                                  "balalaika app deploy web.json --detach\n"
                                  "balalaika app deploy web.json --timeout 120 || echo 'not deployed'")
    parser.add_argument("file", metavar="FILE")
    add_deployment_options(parser)

    parser = add_command(sub, "update", update_app, follows=True, summary="change an app from a JSON file",
                         description="Changes app ID with the fields in FILE (- for stdin); fields FILE leaves "
                                     "out keep their values (Marathon's partial update) unless --replace.\n\n"
                                     f"{FOLLOWING}",
                         examples="echo '{\"cmd\": \"sleep 600\"}' | balalaika app update /sleep -\n"
                                  "balalaika app update /web web.json --replace --force")
    parser.add_argument("app_id", metavar="ID")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--replace", action="store_true", help="FILE is the whole new definition")
    add_deployment_options(parser)

    parser = add_command(sub, "scale", scale_app, follows=True, summary="change how many instances run",
                         description=f"Sets the number of instances of app ID.\n\n{FOLLOWING}",
                         examples="balalaika app scale /web 5\nbalalaika app scale /web 0   # suspend")
    parser.add_argument("app_id", metavar="ID")
    parser.add_argument("instances", metavar="N", type=_count)
    add_deployment_options(parser)

    parser = add_command(sub, "restart", restart_app, follows=True, summary="replace every instance, rolling",
                         description="Replaces every instance of app ID with a new one, as the app's "
                                     f"upgradeStrategy allows (old ones are drained first).\n\n{FOLLOWING}",
                         examples="balalaika app restart /web\nbalalaika app restart /web --force --detach")
    parser.add_argument("app_id", metavar="ID")
    add_deployment_options(parser)

    parser = add_command(sub, "delete", delete_app, follows=True, summary="stop every instance and remove the app",
                         description=f"Removes app ID; its instances are drained and stopped.\n\n{FOLLOWING}",
                         examples="balalaika app delete /web\nbalalaika app delete /web --force --detach")
    parser.add_argument("app_id", metavar="ID")
    add_deployment_options(parser)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of instances: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("instances cannot be negative")
    return value


def list_apps(ctx: Context, args: argparse.Namespace) -> int:
    params = {key: value for key, value in (("label", args.label), ("id", args.id_part)) if value}
    apps = ctx.api.get("/v2/apps", **params)
    if ctx.json:
        ctx.emit_json(apps)
        return Exit.OK
    rows = render.app_rows(apps, ctx.api.get("/v2/queue"))
    if not rows:
        ctx.say("No apps" + (" match." if params else ". Create one: balalaika app deploy examples/sleep.json"))
        return Exit.OK
    ctx.show(render.table(render.APP_COLUMNS, rows))
    return Exit.OK


def show_app(ctx: Context, args: argparse.Namespace) -> int:
    app_id = app_path(args.app_id)
    answer = ctx.api.get(f"/v2/apps{app_id}", embed=["app.tasks", "app.lastTaskFailure"])
    if ctx.json:
        ctx.emit_json(answer)
        return Exit.OK
    app = answer["app"]
    queue_entry = render.queue_by_app(ctx.api.get("/v2/queue")).get(app["id"])
    now = ctx.now()
    ctx.show(render.fields(render.app_details(app, queue_entry, now)))
    tasks = app.get("tasks") or []
    if tasks:
        ctx.show("")
        ctx.show(render.table(render.TASK_COLUMNS, render.task_rows(tasks, now)))
    return Exit.OK


def deploy_app(ctx: Context, args: argparse.Namespace) -> int:
    definition = read_json_file(args.file)
    if not isinstance(definition, dict):
        raise UsageError(f"{args.file} must hold one app or group definition (a JSON object)")
    if is_group(definition):
        ids = group_app_ids(definition)
        group_id = str(definition.get("id") or "/")
        return write_and_follow(ctx, args, lambda: ctx.api.request("POST", "/v2/groups", params=forced(args),
                                                                   body=definition),
                                ids, f"creating group {group_id} ({', '.join(ids) or 'no apps'})")
    app_id = definition.get("id")
    ids = [app_path(app_id)] if isinstance(app_id, str) and app_id.strip("/") else []
    return write_and_follow(ctx, args, lambda: ctx.api.request("POST", "/v2/apps", params=forced(args),
                                                               body=definition),
                            ids, f"creating {ids[0] if ids else 'the app'}")


def is_group(definition: dict) -> bool:
    """A Marathon group (`apps` and/or `groups` inside) rather than an app."""
    return ("apps" in definition or "groups" in definition) and not (
        "cmd" in definition or "args" in definition or "container" in definition)


def group_app_ids(group: dict, parent: str = "/") -> list[str]:
    """The absolute ids of a group's apps, nested groups included (relative ids resolved as Marathon does)."""
    base = _absolute(str(group.get("id") or ""), parent)
    ids = [_absolute(str(app.get("id") or ""), base) for app in group.get("apps") or [] if isinstance(app, dict)]
    for child in group.get("groups") or []:
        if isinstance(child, dict):
            ids += group_app_ids(child, base)
    return ids


def _absolute(path: str, parent: str) -> str:
    joined = path if path.startswith("/") else parent.rstrip("/") + "/" + path
    return app_path(joined) if joined.strip("/") else "/"


def update_app(ctx: Context, args: argparse.Namespace) -> int:
    app_id = app_path(args.app_id)
    definition = read_json_file(args.file)
    if not isinstance(definition, dict):
        raise UsageError(f"{args.file} must hold an app definition (a JSON object)")
    params = {**forced(args), **({"partialUpdate": "false"} if args.replace else {})}
    return write_and_follow(ctx, args, lambda: ctx.api.request("PUT", f"/v2/apps{app_id}", params=params,
                                                               body=definition),
                            [app_id], f"updating {app_id}")


def scale_app(ctx: Context, args: argparse.Namespace) -> int:
    app_id = app_path(args.app_id)
    return write_and_follow(ctx, args, lambda: ctx.api.request("PUT", f"/v2/apps{app_id}", params=forced(args),
                                                               body={"instances": args.instances}),
                            [app_id], f"scaling {app_id} to {args.instances}")


def restart_app(ctx: Context, args: argparse.Namespace) -> int:
    app_id = app_path(args.app_id)
    return write_and_follow(ctx, args, lambda: ctx.api.request("POST", f"/v2/apps{app_id}/restart",
                                                               params=forced(args)),
                            [app_id], f"restarting {app_id}")


def delete_app(ctx: Context, args: argparse.Namespace) -> int:
    app_id = app_path(args.app_id)
    return write_and_follow(ctx, args, lambda: ctx.api.request("DELETE", f"/v2/apps{app_id}", params=forced(args)),
                            [app_id], f"deleting {app_id}")
