"""The `balalaika` client subcommands: `app`, `task`, `deployment`, `queue`, `leader`.

They speak only the Marathon v2 HTTP API (so they work against Marathon too) and never import framework/,
api/ or mesoslocal. Layout:

* `http`: requests with timeouts and auth, the API's refusals as `Refused`, the /v2/events stream;
* `render`: pure functions over the API's JSON: table rows, the app status Marathon's UI shows, error text;
* `progress`: a deployment's progress counted from polls of its apps (pure);
* `follow`: following a deployment until it ends (the outcome, pure, then the polling loop);
* `context`: options, environment variables, exit codes and the consoles every subcommand writes to;
* `apps`, `tasks`, `deployments`, `cluster`: the subcommands, registered by `register`.
"""

from __future__ import annotations

import argparse

from cli.client import apps, cluster, deployments, tasks
from cli.client.context import EXIT_CODES_HELP, global_options

__all__ = ["EXIT_CODES_HELP", "global_options", "register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Adds the client subcommands to `balalaika`'s subparsers; each sets `run(args) -> exit code`."""
    apps.register(commands)
    tasks.register(commands)
    deployments.register(commands)
    cluster.register(commands)
