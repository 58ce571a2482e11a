"""The client's HTTP layer against a small local server: auth headers, Marathon's errors, the event stream,
option resolution; and the rule that the client speaks HTTP only."""

from __future__ import annotations

import argparse
import ast
import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from cli.client.context import Context, UsageError
from cli.client.http import Api, Refused, Unreachable, brief, parse_sse
from launchers.process import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


class Recorder(BaseHTTPRequestHandler):
    """Answers as a Marathon API would for the few paths the tests use; records Authorization headers."""

    seen: list[str | None] = []

    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:
        Recorder.seen.append(self.headers.get("Authorization"))
        if self.path.startswith("/v2/events"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b'event: event_stream_attached\ndata: {"eventType":"event_stream_attached"}\n\n')
            self.wfile.write(b':\n\nevent: deployment_success\ndata: {"eventType":"deployment_success","id":"d1"}\n\n')
            self.wfile.flush()
            time.sleep(5)  # an idle stream: closing it must not wait for this
            return
        if self.path == "/v2/apps/nope":
            self._json(404, {"message": "App '/nope' does not exist"})
            return
        if self.path == "/v2/apps":  # a web page, not Marathon
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "15")
            self.end_headers()
            self.wfile.write(b"<html>hi</html>")
            return
        self._json(200, {"leader": "scheduler0:8080"})

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Recorder.seen = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_basic_and_bearer_auth_are_sent(server: str) -> None:
    Api(server, user="ops:s3cr:et").get("/v2/leader")
    Api(server, token="ci-token").get("/v2/leader")
    Api(server).get("/v2/leader")
    assert Recorder.seen == ["Basic " + base64.b64encode(b"ops:s3cr:et").decode(), "Bearer ci-token", None]


def test_refusals_carry_marathons_body_silence_and_web_pages_are_unreachable(server: str) -> None:
    with pytest.raises(Refused) as refused:
        Api(server).get("/v2/apps/nope")
    assert (refused.value.status, refused.value.body) == (404, {"message": "App '/nope' does not exist"})
    with pytest.raises(Unreachable, match="Connection refused"):
        Api(f"http://127.0.0.1:{free_port()}").get("/v2/leader")
    with pytest.raises(Unreachable, match="text/html, not JSON: is it a Marathon API"):
        Api(server).get("/v2/apps")


def test_the_event_stream_delivers_and_closes_at_once(server: str) -> None:
    stream = Api(server).events(["deployment_success"])
    assert stream.alive
    taken = wait_for(stream.take, 5, "the event")
    assert taken == [{"eventType": "deployment_success", "id": "d1"}]
    started = time.monotonic()
    stream.close()
    assert time.monotonic() - started < 1


def test_connection_errors_are_told_briefly() -> None:
    refused = requests.ConnectionError("HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with "
                                       "url: /v2/apps (Caused by NewConnectionError(': Failed to establish a new "
                                       "connection: [Errno 111] Connection refused'))")
    assert brief(refused) == "[Errno 111] Connection refused"
    untrusted = requests.exceptions.SSLError("(Caused by SSLError(SSLCertVerificationError(1, '[SSL: "
                                             "CERTIFICATE_VERIFY_FAILED] certificate verify failed')))")
    assert "REQUESTS_CA_BUNDLE" in brief(untrusted)


def test_parse_sse() -> None:
    lines = [": heartbeat", "", "event: x", 'data: {"a":', "data: 1}", "", "data: not json", "", "data: [1]", ""]
    assert list(parse_sse(lines)) == [{"a": 1}]


def options(**given: object) -> argparse.Namespace:
    return argparse.Namespace(**{"api": None, "user": None, "token": None, "json": False, **given})


def test_flags_beat_the_environment_and_both_credentials_are_refused() -> None:
    env = {"BALALAIKA_API": "10.0.0.5:8080", "BALALAIKA_TOKEN": "t"}
    ctx = Context.from_args(options(), env)
    assert ctx.api.url == "http://10.0.0.5:8080"
    assert ctx.api.session.headers["Authorization"] == "Bearer t"
    ctx = Context.from_args(options(api="https://m:8443/", user="ops:pw"), env)
    assert ctx.api.url == "https://m:8443"
    assert ctx.api.session.auth == ("ops", "pw") and "Authorization" not in ctx.api.session.headers
    assert Context.from_args(options(), {}).api.url == "http://127.0.0.1:8080"
    with pytest.raises(UsageError, match="either"):
        Context.from_args(options(), {"BALALAIKA_USER": "a:b", "BALALAIKA_TOKEN": "t"})
    with pytest.raises(UsageError, match="USER:PASSWORD"):
        Context.from_args(options(user="ops"), {})


def test_the_cli_speaks_http_only() -> None:
    """cli/ never imports the server side: framework, api, mesoslocal (nor the edge)."""
    offending = {}
    for path in sorted((ROOT / "cli").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bad = {name.split(".")[0] for name in names} & {"framework", "api", "mesoslocal", "lb", "executor"}
            if bad:
                offending[str(path.relative_to(ROOT))] = bad
    assert not offending
