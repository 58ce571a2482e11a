"""balalaika: Balalaika's command line. `up` runs the local stack; client subcommands come later."""

from __future__ import annotations

import argparse
import sys

from cli import up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="balalaika", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up.add_arguments(commands.add_parser("up", help="run ZooKeeper, Mesos, schedulers and the API locally"))
    args = parser.parse_args(argv)
    if args.command == "up":
        return up.run(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
