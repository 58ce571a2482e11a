"""Balalaika's command line.

`balalaika up` runs the whole stack on this machine; the other commands drive any Marathon v2 API (the
local stack's by default) and follow the deployments they start."""

from __future__ import annotations

import argparse
import sys

from cli import client, up
from cli.client.context import ENVIRONMENT_HELP, EXIT_CODES_HELP, Context, Exit, UsageError, report
from cli.client.http import Refused, Unreachable

EXAMPLES = """\
examples:
  balalaika up                                  # run the whole stack on this machine
  balalaika app deploy examples/sleep.json      # create an app and follow it until it runs
  balalaika app list                            # every app: status, instances, health, version
  balalaika app scale /sleep 3
  balalaika task list /sleep
  balalaika --api http://marathon:8080 --user ops:secret deployment list"""

FORCE_HINT = ("a deployment is changing this app; run again with --force to cancel it and go ahead, "
              "or wait for it to end (`balalaika deployment list`)")
WAIT_HINT = "a deployment is changing this app; wait for it to end (`balalaika deployment list`)"
EXISTS_HINT = "to change an app that exists, use `balalaika app update ID FILE`"


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="balalaika", description=__doc__.split("\n\n", 1)[1],
        parents=[client.global_options(suppress=False)], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{EXAMPLES}\n\n{ENVIRONMENT_HELP}\n\n{EXIT_CODES_HELP}")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up.add_arguments(commands.add_parser("up", help="run ZooKeeper, Mesos, schedulers and the API locally"))
    client.register(commands)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "up":
        return up.run(args)
    return run_client(args)


def run_client(args: argparse.Namespace) -> int:
    """Runs a client subcommand; the API's refusals, silence and usage mistakes become messages and exit codes."""
    try:
        ctx = Context.from_args(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return Exit.USAGE
    try:
        return args.run(ctx, args)
    except Refused as error:
        return report(ctx, error, hint=hint(args, error))
    except (Unreachable, UsageError) as error:
        return report(ctx, error)
    except KeyboardInterrupt:
        return Exit.INTERRUPTED


def hint(args: argparse.Namespace, error: Refused) -> str | None:
    """What to do about a 409: a deployment locks the app (--force, where the command has it), or the
    app exists already."""
    if error.status != 409 or not isinstance(error.body, dict):
        return None
    if error.body.get("deployments"):
        return FORCE_HINT if hasattr(args, "force") else WAIT_HINT
    return EXISTS_HINT if "already exists" in str(error.body.get("message")) else None


if __name__ == "__main__":
    sys.exit(main())
