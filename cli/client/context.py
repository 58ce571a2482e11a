"""What every client subcommand shares: the API options and their environment variables, the exit codes,
the consoles (stdout for results, stderr for messages), and turning failures into messages and codes.

With `--json`, stdout carries only the API's JSON (its answer, or its error body when it refused); every
human message, progress included, goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from cli.client import render
from cli.client.http import DEFAULT_API, Api, Refused, Unreachable


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # a followed deployment failed, was rolled back or cancelled
    USAGE = 2  # bad arguments (argparse's code too), an unreadable or non-JSON file
    REFUSED = 3  # the API answered with an error
    TIMEOUT = 4  # --timeout passed while the deployment went on
    UNREACHABLE = 5  # the API did not answer
    INTERRUPTED = 130  # Ctrl-C (a deployment being followed goes on)


EXIT_CODES_HELP = """\
exit codes:
  0  done; for deploy/update/scale/restart/delete: the deployment finished
  1  the deployment failed, was rolled back or was cancelled (the reason is printed)
  2  usage error: bad arguments, a FILE that cannot be read or is not JSON
  3  the API refused the request: its message and details are printed (409: a deployment
     locks the app, see --force; 422: the definition is not valid, with the JSON paths)
  4  --timeout passed before the deployment ended (it goes on: `balalaika deployment list`)
  5  no Marathon API answered at --api (is it up? is it the right URL?)"""

# The codes of the commands that start no deployment to follow.
SIMPLE_EXIT_CODES_HELP = """\
exit codes:
  0  done
  2  usage error: bad arguments
  3  the API refused the request: its message and details are printed
  5  no Marathon API answered at --api (is it up? is it the right URL?)"""

ENVIRONMENT_HELP = f"""\
environment:
  BALALAIKA_API    the API's URL when --api is not given (default {DEFAULT_API})
  BALALAIKA_USER   USER:PASSWORD for HTTP basic auth when --user is not given
  BALALAIKA_TOKEN  a bearer token when --token is not given
  REQUESTS_CA_BUNDLE  a CA file to trust, for an https API whose certificate a private CA signed"""


NATURAL_WIDTH = 400  # the widest a table is laid out; not on a terminal, the width of every line


class UsageError(Exception):
    """A mistake in what the user gave (exit code 2); the message says which."""


def global_options(suppress: bool) -> argparse.ArgumentParser:
    """The API options, as a parent parser. Given to `balalaika` itself and (with `suppress`, so that a
    value given before the subcommand is not reset) to each client subcommand, so they go either place."""
    parent = argparse.ArgumentParser(add_help=False)
    extra: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    group = parent.add_argument_group("API options")
    group.add_argument("--api", metavar="URL", help=f"the Marathon v2 API (env BALALAIKA_API, default {DEFAULT_API})",
                       **extra)
    group.add_argument("--user", metavar="USER:PASSWORD", help="HTTP basic auth (env BALALAIKA_USER)", **extra)
    group.add_argument("--token", metavar="TOKEN", help="bearer token auth (env BALALAIKA_TOKEN)", **extra)
    group.add_argument("--json", action="store_true", help="print the API's JSON and nothing else on stdout",
                       **({"default": argparse.SUPPRESS} if suppress else {"default": False}))
    return parent


def make_console(stream: TextIO) -> Console:
    """A console on `stream`; not on a terminal, lines are not cut at 80 columns (tables stay whole for
    grep and scripts) and no colour or live refresh is used."""
    terminal = stream.isatty()
    return Console(file=stream, highlight=False, soft_wrap=False, width=None if terminal else NATURAL_WIDTH)


@dataclass
class Context:
    api: Api
    json: bool
    out: Console
    err: Console
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: dict[str, str] | None = None) -> Context:
        """Flags first, then the environment. Raises UsageError for bad credentials options."""
        env = os.environ if environ is None else environ
        user, token = getattr(args, "user", None), getattr(args, "token", None)
        if not user and not token:  # a flag replaces both variables, so that --user beats BALALAIKA_TOKEN
            user, token = env.get("BALALAIKA_USER") or None, env.get("BALALAIKA_TOKEN") or None
        url = getattr(args, "api", None) or env.get("BALALAIKA_API") or DEFAULT_API
        if "://" not in url:
            url = "http://" + url
        try:
            api = Api(url, user=user, token=token)
        except ValueError as error:
            raise UsageError(str(error)) from None
        return cls(api, bool(getattr(args, "json", False)), make_console(sys.stdout), make_console(sys.stderr))

    @property
    def human(self) -> Console:
        """Where human output goes: stdout, or stderr with --json."""
        return self.err if self.json else self.out

    def now(self) -> float:
        return self.clock()

    def emit_json(self, data: Any) -> None:
        """The API's JSON on stdout (nothing for an empty answer)."""
        if data is not None:
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
            sys.stdout.flush()

    def show(self, renderable: Any) -> None:
        """A table (or any rich renderable) on stdout, at its natural width: a cell is never folded or cut
        (ids are copied from here), a terminal too narrow wraps the lines instead. Not on a terminal,
        without trailing blanks, for scripts."""
        if self.out.is_terminal:
            natural = self.out.measure(renderable, options=self.out.options.update_width(NATURAL_WIDTH)).maximum
            wide = Console(file=self.out.file, width=max(self.out.width, natural), force_terminal=True,
                           color_system=self.out.color_system, highlight=False)  # print() caps at its width
            wide.print(renderable)
            return
        with self.out.capture() as captured:
            self.out.print(renderable)
        sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
        sys.stdout.flush()

    def say(self, message: str, style: str = "") -> None:
        self.human.print(message, style=style, markup=False, highlight=False)

    def warn(self, message: str, style: str = "") -> None:
        self.err.print(message, style=style, markup=False, highlight=False)


def read_json_file(path: str) -> Any:
    """The JSON in `path` (`-`: stdin). Raises UsageError saying what is wrong and where."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise UsageError(f"{path} is not JSON: {error}") from None


HINTS = {
    401: "give credentials: --user USER:PASSWORD or --token TOKEN (or BALALAIKA_USER / BALALAIKA_TOKEN)",
    403: "these credentials may not do this; ask for a permission on this app id",
}


def report(ctx: Context, error: Exception, *, hint: str | None = None) -> int:
    """Prints a failure (stderr; with --json the API's error body on stdout too) and returns its code.
    `hint`: what to do about it, when the command knows better than the status alone (a 409's --force)."""
    if isinstance(error, Refused):
        if ctx.json and error.body is not None:
            ctx.emit_json(error.body)
        lines = render.error_lines(error.status, error.body, error.text)
        ctx.warn(f"error: the API refused {error.method} {error.url}", style="bold red")
        for line in lines:
            ctx.warn(line)
        hint = hint or HINTS.get(error.status)
        if hint:
            ctx.warn(f"hint: {hint}", style="yellow")
        return Exit.REFUSED
    if isinstance(error, Unreachable):
        ctx.warn(f"error: {error}", style="bold red")
        ctx.warn("hint: is it up (`balalaika up`)? Point --api or BALALAIKA_API at it.", style="yellow")
        return Exit.UNREACHABLE
    if isinstance(error, UsageError):
        ctx.warn(f"error: {error}", style="bold red")
        return Exit.USAGE
    raise error


Run = Callable[[Context, argparse.Namespace], int]


def add_command(commands: argparse._SubParsersAction, name: str, run: Run, *, summary: str, examples: str,
                description: str = "", follows: bool = False) -> argparse.ArgumentParser:
    """A client subcommand: `summary` in the parent's list, `description` (or the summary) on top of its
    own help, then the API options, its `examples` and the exit codes (those of following a deployment
    too when it `follows` one)."""
    codes = EXIT_CODES_HELP if follows else SIMPLE_EXIT_CODES_HELP
    parser = commands.add_parser(
        name, help=summary, description=description or summary, parents=[global_options(suppress=True)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"examples:\n{_indent(examples)}\n\n{codes}")
    parser.set_defaults(run=run)
    return parser


def add_group(commands: argparse._SubParsersAction, name: str, *, summary: str, examples: str,
              aliases: tuple[str, ...] = ()) -> argparse._SubParsersAction:
    """A command with subcommands (`app`, `task`, `deployment`); returns its subparsers."""
    parser = commands.add_parser(name, aliases=list(aliases), help=summary, description=summary,
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=f"examples:\n{_indent(examples)}")
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def add_deployment_options(parser: argparse.ArgumentParser, *, force: bool = True) -> None:
    """--detach, --timeout (and --force) of the commands that start a deployment and follow it."""
    group = parser.add_argument_group("deployment options")
    if force:
        group.add_argument("--force", action="store_true",
                           help="go ahead even if a running deployment locks the app (it is cancelled)")
    group.add_argument("--detach", action="store_true",
                       help="return as soon as the API accepted the change, without following the deployment")
    group.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                       help="stop following after this long, with exit code 4 (default 600; 0: no limit)")


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.strip("\n").splitlines())


def app_path(app_id: str) -> str:
    """`web` or `/web/` -> `/web`: how an app id follows `/v2/apps` in a URL."""
    return "/" + app_id.strip().strip("/")


def forced(args: argparse.Namespace) -> dict[str, str]:
    """The query parameters of --force."""
    return {"force": "true"} if getattr(args, "force", False) else {}
