"""What `mesos-local` and `mesos-local-agent` share as daemons: logging to stderr, serving until SIGTERM or SIGINT,
and a port already taken reported as an error, not a traceback."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable


def run(prog: str, serve: Callable[[asyncio.Event], Awaitable[None]], log_level: str) -> int:
    """Runs `serve(stop)` on a new event loop, `stop` being set on SIGTERM or SIGINT; returns the exit status."""
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("kazoo").setLevel(logging.WARNING)

    async def until_signalled() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await serve(stop)

    try:
        asyncio.run(until_signalled())
    except OSError as error:  # typically a port is taken
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    return 0
