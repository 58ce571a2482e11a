"""The lb's own pages, served to HAProxy's stats listener (which forwards them from the stats port):
the current config, the routed services (for the api's dashboard), the skipped apps with reasons, HAProxy's
worker PIDs, metrics, and Marathon-LB's signals (``/_mlb_signal/hup``: read the API again;
``/_mlb_signal/usr1``: reload HAProxy)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lb.metrics import LbMetrics
from lb.model import Routing, Service

log = logging.getLogger(__name__)


@dataclass
class AdminPages:
    metrics: LbMetrics
    config_text: Callable[[], str]
    routing: Callable[[], Routing | None]
    worker_pids: Callable[[], list[int]]
    signal: Callable[[str], None]  # "hup" or "usr1"

    def answer(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET or POST of `path`."""
        path = path.split("?", 1)[0]
        if path == "/_haproxy_getconfig":
            return 200, "text/plain; charset=utf-8", self.config_text().encode()
        if path == "/_balalaika_skipped":
            routing = self.routing()
            skipped = [vars(skip) for skip in (routing.skipped if routing else ())]
            return 200, "application/json", json.dumps({"skipped": skipped}).encode()
        if path == "/_balalaika_services":
            routing = self.routing()
            return 200, "application/json", json.dumps({"services": [
                service_json(service) for service in (routing.services if routing else ())]}).encode()
        if path == "/_haproxy_getpids":
            return 200, "text/plain", " ".join(str(pid) for pid in self.worker_pids()).encode()
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, generate_latest(self.metrics.registry)
        if path in ("/_mlb_signal/hup", "/_mlb_signal/usr1"):
            self.signal(path.rsplit("/", 1)[1])
            return 200, "text/plain", b"Sent SIG" + path.rsplit("/", 1)[1].upper().encode() + b"\n"
        return 404, "text/plain", b"not found\n"


def service_json(service: Service) -> dict:
    """One routed service for /_balalaika_services (what a dashboard lists: app, port, hosts, servers)."""
    return {"appId": service.app_id, "name": service.name, "port": service.bind_port, "vhosts": list(service.vhosts),
            "servers": [{"address": server.address, "port": server.port, "draining": server.draining}
                        for server in service.servers]}


class AdminServer:
    def __init__(self, pages: AdminPages, port: int, host: str = "127.0.0.1") -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, content_type, body = pages.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                log.debug("admin: " + format, *args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="lb-admin", daemon=True)

    def start(self) -> AdminServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
