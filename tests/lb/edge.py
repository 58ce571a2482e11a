"""A `balalaika-lb` process (with the HAProxy it starts) on free loopback ports, for end-to-end tests."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from cli.up import bin_path
from launchers.process import Daemon, free_port
from launchers.waiting import GiveUp
from tests.waiting import wait_for


class EdgeProcess:
    def __init__(self, api_url: str, home: Path, *extra: str) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.http_port, self.stats_port, self.appid_port = free_port(), free_port(), free_port()
        self.config = home / "haproxy.cfg"
        self.argv = [bin_path("balalaika-lb"), "--marathon", api_url, "--haproxy-config", str(self.config),
                     "--bind-address", "127.0.0.1", "--http-port", str(self.http_port),
                     "--appid-port", str(self.appid_port), "--stats-port", str(self.stats_port),
                     "--reconnect-max", "1", "--log-level", "DEBUG", *extra]
        self.daemon = Daemon(self.argv, home / "lb.log")

    def start(self) -> EdgeProcess:
        self.daemon.start()
        wait_for(self._healthy, 30, "balalaika-lb and its HAProxy to answer")
        return self

    def _healthy(self) -> bool:
        if not self.daemon.alive():
            raise GiveUp(f"balalaika-lb exited:\n{self.daemon.log_tail()}")
        return self.stats("/_haproxy_health_check").ok

    def stats(self, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.stats_port}{path}", timeout=5, headers={"Connection": "close"})

    def metric(self, name: str, **labels: str) -> float:
        """A value from /metrics (0 when the series is absent)."""
        wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
        for line in self.stats("/metrics").text.splitlines():
            if line.startswith(wanted + " "):
                return float(line.split()[-1])
        return 0.0

    def get(self, port: int, host: str | None = None, path: str = "/") -> requests.Response:
        headers = {"Connection": "close", **({"Host": host} if host else {})}
        return requests.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=5)

    def answers(self, port: int, host: str | None = None) -> str | None:
        """The body served through the edge, or None when it does not answer 200."""
        try:
            response = self.get(port, host)
        except requests.RequestException:
            return None
        return response.text.strip() if response.ok else None

    def servers(self, backend: str) -> dict[str, str]:
        """The backend's servers in the running HAProxy, name -> status (UP, DRAIN, MAINT...)."""
        csv = self.runtime("show stat")
        found = {}
        for line in csv.splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == backend and fields[1] not in ("FRONTEND", "BACKEND"):
                found[fields[1]] = re.sub(r" \d+/\d+$", "", fields[17])
        return found

    def runtime(self, command: str) -> str:
        from launchers.haproxy import HAProxy

        return HAProxy(self.config, self.home).runtime_command(command)

    def stop(self) -> None:
        self.daemon.stop()
