"""balalaika-executor: Balalaika's Mesos executor for command apps (coming with the executor issue)."""

import sys

from cli.notyet import not_yet


def main() -> int:
    return not_yet("balalaika-executor", "Mesos executor for Balalaika's command apps.", "the executor issue")


if __name__ == "__main__":
    sys.exit(main())
