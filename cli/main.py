"""balalaika: Balalaika's command line (`up` comes with the api issue, client subcommands later)."""

import sys

from cli.notyet import not_yet


def main() -> int:
    return not_yet("balalaika", "Balalaika's command line: up (the local stack) and client subcommands.",
                   "the api issue (balalaika up)")


if __name__ == "__main__":
    sys.exit(main())
