"""balalaika-api: The Marathon v2 REST API of Balalaika, under gunicorn (coming with the api issue)."""

import sys

from cli.notyet import not_yet


def main() -> int:
    return not_yet("balalaika-api", "The Marathon v2 REST API of Balalaika, under gunicorn.", "the api issue")


if __name__ == "__main__":
    sys.exit(main())
