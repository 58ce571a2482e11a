"""The web dashboard under ``/ui/``: server-rendered pages that are a client of the api's own ``/v2`` endpoints.

Pages read the same JSON a Marathon client reads, dispatched in-process through the whole WSGI app
(auth, metrics and audit included: ``local_api``), turn it into view models with pure functions
(``status``, ``services``, ``app_view``, ``history``, ``editing``, ``deployments``, ``cluster``) and render
Jinja templates; actions post forms that become /v2 writes (``actions``). The browser follows ``/v2/events``
itself and swaps in fresh copies of the page's live parts (static/ui.js): no build step, nothing fetched
from elsewhere.
"""

from api.ui import actions, pages  # noqa: F401  (their routes register on the blueprint)
from api.ui.blueprint import bp

__all__ = ["bp"]
