"""mesos-local: A Mesos-compatible local master with agents (coming with the mesoslocal issue)."""

import sys

from cli.notyet import not_yet


def main() -> int:
    return not_yet("mesos-local", "A Mesos-compatible local master with agents.", "the mesoslocal issue")


if __name__ == "__main__":
    sys.exit(main())
