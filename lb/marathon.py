"""Reading a Marathon-compatible API: snapshots, single apps and the ``/v2/events`` stream.

Only the Marathon HTTP API, so the lb works against Balalaika and against a real Marathon. Several base
URLs fail over: the one that answered last is tried first. The standard library's HTTP client keeps
``balalaika-lb --dry`` quick to start (it is timed as a whole process).
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

log = logging.getLogger(__name__)


def parse_apps(body: bytes) -> list[dict]:
    """The apps of a ``/v2/apps`` answer. orjson: a snapshot of 10,000 tasks is megabytes of JSON, which
    the standard library parses several times slower."""
    return list(orjson.loads(body)["apps"])


class MarathonUnavailable(RuntimeError):
    """No base URL answered."""


class MarathonClient:
    def __init__(self, urls: Iterable[str], credentials: str | None = None, timeout: float = 10.0) -> None:
        self.urls = [url.rstrip("/") for url in urls]
        if not self.urls:
            raise ValueError("at least one Marathon URL is needed")
        self.timeout = timeout
        self.headers = {"Accept": "application/json"}
        if credentials:
            self.headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()

    def apps(self) -> list[dict]:
        """Every app with its tasks (one request: Marathon-LB's snapshot)."""
        with self._open("/v2/apps?embed=apps.tasks", {}, self.timeout) as response:
            return parse_apps(response.read())

    def app(self, app_id: str) -> dict | None:
        """One app with its tasks; None when it does not exist (any more)."""
        try:
            return dict(self._get_json(f"/v2/apps/{urllib.parse.quote(app_id.strip('/'))}?embed=app.tasks")["app"])
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def events(self, event_types: Iterable[str], read_timeout: float) -> Iterator[dict]:
        """Connects to the SSE stream (raising when no URL answers) and returns its events as dicts; the
        iterator ends (or raises) when the connection does. A read that waits longer than `read_timeout`
        raises TimeoutError: a silent stream is treated as a broken one."""
        query = urllib.parse.urlencode([("plan-format", "light"), *(("event_type", t) for t in event_types)])
        return _read_events(self._open(f"/v2/events?{query}", {"Accept": "text/event-stream"}, read_timeout))

    def _get_json(self, path: str) -> Any:
        with self._open(path, {}, self.timeout) as response:
            return orjson.loads(response.read())

    def _open(self, path: str, headers: dict[str, str], timeout: float) -> Any:
        errors = []
        for index, base in enumerate(self.urls):
            request = urllib.request.Request(base + path, headers={**self.headers, **headers})
            try:
                response = urllib.request.urlopen(request, timeout=timeout)
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    raise
                errors.append(f"{base}: HTTP {error.code}")
            except OSError as error:
                errors.append(f"{base}: {error}")
            else:
                if index:  # fail over: the URL that answered goes first next time
                    self.urls.insert(0, self.urls.pop(index))
                return response
        raise MarathonUnavailable("; ".join(errors))


def _read_events(response: Any) -> Iterator[dict]:
    with response:
        data: list[str] = []
        for raw in response:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif not line and data:
                try:
                    event = json.loads("\n".join(data))
                except ValueError:
                    log.warning("ignoring an event that is not JSON")
                else:
                    if isinstance(event, dict):
                        yield event
                data = []
