"""An honest exit for commands whose issue has not landed yet: a real --help, then exit status 3."""

from __future__ import annotations

import argparse
import sys

NOT_YET = 3


def not_yet(prog: str, description: str, issue: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.parse_args(argv)
    print(f"{prog}: not implemented yet ({issue})", file=sys.stderr)
    return NOT_YET
