"""The dashboard's only door to the data: in-process calls to the api's ``/v2`` endpoints.

A loopback HTTP call could wait for a request thread of the very worker that makes it; dispatching through
the WSGI app instead runs the same auth, validation, metrics and audit hooks as any client's request, with
the caller's credentials and address. Each call gets a fresh application context, so the outer request's
``g`` (its principal, its timer) is left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from werkzeug.test import Client


@dataclass(frozen=True)
class Answer:
    """Status and parsed JSON body (None when empty or not JSON) of one /v2 call."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        if isinstance(self.body, dict) and self.body.get("message"):
            return str(self.body["message"])
        return f"HTTP {self.status}"


class ApiUnavailable(Exception):
    """A read the page cannot do without answered with an error (its Answer is kept for the message)."""

    def __init__(self, path: str, answer: Answer) -> None:
        super().__init__(f"{path}: {answer.message}")
        self.status = answer.status
        self.answer = answer


def call(method: str, path: str, body: Any = None, query: dict | list | None = None) -> Answer:
    """One /v2 request on behalf of the current browser request (its Authorization header and address)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    headers = {"Accept": "application/json"}
    if request.headers.get("Authorization"):
        headers["Authorization"] = request.headers["Authorization"]
    kwargs: dict[str, Any] = {"headers": headers, "query_string": query,
                              "environ_base": {"REMOTE_ADDR": request.remote_addr or "127.0.0.1"}}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    with app.app_context():
        response = Client(app).open(path, method=method, **kwargs)
        try:
            data = response.get_data()
        finally:
            response.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return Answer(response.status_code, parsed)


def get(path: str, query: dict | list | None = None) -> Any:
    """The JSON of a read that must succeed; raises ApiUnavailable otherwise."""
    answer = call("GET", path, query=query)
    if not answer.ok:
        raise ApiUnavailable(path, answer)
    return answer.body
