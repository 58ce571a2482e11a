"""balalaika-lb: the Marathon-LB-style HAProxy edge (coming with the lb issue)."""

import sys

from cli.notyet import not_yet


def main() -> int:
    return not_yet("balalaika-lb", "Marathon-LB-style HAProxy balancer for Balalaika apps.", "the lb issue")


if __name__ == "__main__":
    sys.exit(main())
