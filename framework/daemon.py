"""balalaika-scheduler: The Balalaika scheduler daemon (a Mesos framework) (coming with the framework core issue)."""

import sys

from cli.notyet import not_yet


def main() -> int:
    return not_yet("balalaika-scheduler", "The Balalaika scheduler daemon (a Mesos framework).",
                   "the framework core issue")


if __name__ == "__main__":
    sys.exit(main())
