"""balalaika-executor: runs the command tasks of one app version on one agent, with checks and clean kills.

Started by the Mesos agent (a real one or mesoslocal) for the ExecutorInfo Balalaika's scheduler sends;
every task launched with the same executor id on that agent is delivered to this one process.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import signal
import sys
from pathlib import Path

from executor.logs import DEFAULT_KEEP, DEFAULT_MAX_BYTES
from executor.loop import Executor, Settings, Shutdown
from executor.tasks import LogLimits

DEFAULT_SHUTDOWN_GRACE = 5.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="balalaika-executor", description=__doc__.splitlines()[0])
    parser.add_argument("--log-max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help="rotate a task's stdout/stderr past this size (default %(default)s)")
    parser.add_argument("--log-keep", type=int, default=DEFAULT_KEEP, help="rotated files kept (default %(default)s)")
    parser.add_argument("--idle-exit", type=float, default=2.0, help="seconds without tasks before exiting")
    parser.add_argument("--recovery-timeout", type=float,
                        help="seconds the agent may be away before the tasks are killed (default: the agent's "
                             "MESOS_RECOVERY_TIMEOUT, else 15 minutes)")
    return parser.parse_args(argv)


def recovery_timeout(args: argparse.Namespace) -> float:
    if args.recovery_timeout is not None:
        return args.recovery_timeout
    from pymesos.utils import parse_duration

    value = os.environ.get("MESOS_RECOVERY_TIMEOUT")
    return parse_duration(value) if value else 900.0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if "MESOS_AGENT_ENDPOINT" not in os.environ:
        print("balalaika-executor: started outside a Mesos agent (MESOS_AGENT_ENDPOINT is not set)", file=sys.stderr)
        return 2
    from executor.adapter import AgentLink

    events: queue.Queue = queue.Queue()
    link = AgentLink(events, DEFAULT_SHUTDOWN_GRACE)
    sandbox = Path(os.environ.get("MESOS_SANDBOX") or os.environ.get("MESOS_DIRECTORY") or os.getcwd())
    settings = Settings(sandbox=sandbox, logs=LogLimits(args.log_max_bytes, args.log_keep),
                        recovery_timeout=recovery_timeout(args), idle_exit=args.idle_exit)
    executor = Executor(link.send, settings, events)
    grace = link.shutdown_grace or DEFAULT_SHUTDOWN_GRACE
    signal.signal(signal.SIGTERM, lambda *_: events.put(Shutdown(grace)))
    link.start()
    try:
        executor.run()
    finally:
        link.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
