"""Balalaika's Marathon v2 REST API: a Flask app factory served by gunicorn (``gunicorn 'api:create_app()'``).

Nothing happens at import time: ZooKeeper connections are made per worker process, lazily, after fork.
"""

from api.app_factory import create_app

__all__ = ["create_app"]
