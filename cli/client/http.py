"""Requests to a Marathon v2 API: base URL, auth, timeouts, and failures as two exceptions.

* `Refused`: the API answered with an error status; it carries Marathon's error JSON (`message`, and
  `details` with JSON paths for 400/422, `deployments` for a 409).
* `Unreachable`: no answer at all (connection refused, DNS, TLS, a timeout).

Auth is what api/auth.py accepts: HTTP basic (`user:password`) or a bearer token, never both.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

DEFAULT_API = "http://127.0.0.1:8080"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# The API sends an SSE heartbeat comment every 15 s by default; a stream silent for longer than this is dead.
EVENT_READ_TIMEOUT = 60.0


class Unreachable(Exception):
    """The API did not answer (the message says why, with the URL)."""


class Refused(Exception):
    """The API answered with a status >= 400. `body` is its JSON (Marathon's error shape) or None."""

    def __init__(self, method: str, url: str, status: int, reason: str, body: Any, text: str) -> None:
        self.method, self.url, self.status, self.reason = method, url, status, reason
        self.body, self.text = body, text
        message = body.get("message") if isinstance(body, dict) else None
        super().__init__(f"{method} {url}: {status} {reason}: {message or text.strip()[:200]}")


@dataclass(frozen=True)
class Answer:
    """A successful answer: status, parsed JSON (None for an empty body) and headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class Api:
    """One Marathon-compatible API. Every request has a timeout; a session keeps connections alive."""

    def __init__(self, url: str = DEFAULT_API, *, user: str | None = None, token: str | None = None,
                 read_timeout: float = READ_TIMEOUT) -> None:
        """`user` is `name:password` (HTTP basic), `token` a bearer token. Raises ValueError for both, or
        for a `user` without a colon."""
        if user and token:
            raise ValueError("give either a user (--user / BALALAIKA_USER) or a token (--token / BALALAIKA_TOKEN)")
        self.url = url.rstrip("/")
        self.read_timeout = read_timeout
        self._auth: tuple[str, str] | None = None
        self._headers = {"Accept": "application/json"}
        if user:
            name, colon, password = user.partition(":")
            if not colon:
                raise ValueError("--user must be USER:PASSWORD")
            self._auth = (name, password)
        elif token:
            self._headers["Authorization"] = f"Bearer {token}"
        self.session = self.new_session()

    def new_session(self) -> requests.Session:
        """A session with this API's credentials (one per thread: sessions are not thread-safe)."""
        session = requests.Session()
        session.headers.update(self._headers)
        session.auth = self._auth
        return session

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                body: Any = None) -> Answer:
        """One call; raises Refused for an error status, Unreachable when nothing answers (or something
        that is not a Marathon API: a success that is not JSON)."""
        url = self.url + path
        try:
            response = self.session.request(method, url, params=params, json=body,
                                            timeout=(CONNECT_TIMEOUT, self.read_timeout))
        except requests.RequestException as error:
            raise Unreachable(f"cannot reach the API at {self.url} ({brief(error)})") from None
        parsed = _json_or_none(response)
        if response.status_code >= 400:
            raise Refused(method, url, response.status_code, response.reason or "", parsed, response.text)
        if parsed is None and response.content:
            kind = response.headers.get("Content-Type", "no content type")
            raise Unreachable(f"{self.url} answered {method} {path} with {kind}, not JSON: is it a Marathon API?")
        return Answer(response.status_code, parsed, dict(response.headers))

    def get(self, path: str, **params: Any) -> Any:
        """GET; the parsed JSON. Raises as `request`."""
        return self.request("GET", path, params=params or None).body

    def events(self, types: Iterable[str] = ()) -> EventStream:
        """A started stream of /v2/events (only `types` when given); see EventStream."""
        return EventStream(self, tuple(types)).start()


def _json_or_none(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def brief(error: Exception) -> str:
    """The most specific part of a requests error (`[Errno 111] Connection refused`), or what to do about an
    untrusted TLS certificate."""
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "its TLS certificate is not trusted here: set REQUESTS_CA_BUNDLE to the CA file that signed it"
    for marker in ("[Errno", "timed out", "Name or service not known"):
        if marker in text:
            start = text.rfind(marker)
            return text[start:].rstrip("'\")").strip()
    return text


def parse_sse(lines: Iterable[str]) -> Iterator[dict]:
    """Events of a Server-Sent Events stream: each message's `data` lines joined, as JSON. Comments
    (heartbeats), `event:` lines and data that is not a JSON object are skipped."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                try:
                    event = json.loads("\n".join(data))
                except ValueError:
                    event = None
                if isinstance(event, dict):
                    yield event
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


class EventStream:
    """/v2/events read by a daemon thread into a queue, so that a caller polling the API can take events
    without blocking. `start` returns once the API confirmed the subscription (its first event,
    `event_stream_attached`), so nothing written after it is missed; `alive` turns False when the stream
    ends or breaks (the caller then relies on polling alone)."""

    def __init__(self, api: Api, types: tuple[str, ...]) -> None:
        self.api, self.types = api, types
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.alive = False
        self.error: str | None = None
        self._attached = threading.Event()
        self._response: requests.Response | None = None
        self._closing = False

    def start(self, wait: float = CONNECT_TIMEOUT) -> EventStream:
        threading.Thread(target=self._read, name="balalaika-events", daemon=True).start()
        self._attached.wait(wait)
        return self

    def _read(self) -> None:
        try:
            self._response = self.api.new_session().get(
                self.api.url + "/v2/events", params={"event_type": list(self.types)} if self.types else None,
                headers={"Accept": "text/event-stream"}, stream=True,
                timeout=(CONNECT_TIMEOUT, EVENT_READ_TIMEOUT))
            self._response.raise_for_status()
            # Each chunk as it comes (gunicorn sends an event per chunk); a stream that is not chunked is
            # read byte by byte, since a larger read would wait for bytes that may not come for a while.
            chunked = getattr(self._response.raw, "chunked", False)
            lines = self._response.iter_lines(chunk_size=None if chunked else 1, decode_unicode=True)
            for event in parse_sse(lines):
                if event.get("eventType") == "event_stream_attached":
                    self.alive = True
                    self._attached.set()
                    continue
                self.inbox.put(event)
            self.error = "the API closed the event stream"
        except (requests.RequestException, ValueError, AttributeError, OSError) as error:
            self.error = None if self._closing else brief(error)
        finally:
            self.alive = False
            self._attached.set()

    def take(self) -> list[dict]:
        """Every event received since the last call."""
        taken = []
        while True:
            try:
                taken.append(self.inbox.get_nowait())
            except queue.Empty:
                return taken

    def close(self) -> None:
        """Ends the stream. The reading thread holds the response's locks while it waits for data, so the
        socket is shut down under it (which wakes it) rather than the response closed from here."""
        self._closing = True
        connection = getattr(getattr(self._response, "raw", None), "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
