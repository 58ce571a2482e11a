"""`balalaika-lb --dry` against a recorded real-shaped snapshot: 1,000 apps of a real cluster, 10 tasks each."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from cli.up import bin_path
from tests.http_servers import answering
from tests.marathon_data import real_apps


def snapshot(tasks_per_app: int = 10) -> bytes:
    apps = []
    for index, app in enumerate(real_apps()):
        tasks = [{"id": f"{app['id'].strip('/').replace('/', '_')}.{n}", "appId": app["id"],
                  "host": f"10.1.{index % 200}.{n + 1}", "ports": [31000 + n], "state": "TASK_RUNNING",
                  "healthCheckResults": [], "slaveId": f"agent-{n}", "version": "2017-12-04T03:57:49.198Z"}
                 for n in range(tasks_per_app)]
        apps.append({**app, "instances": tasks_per_app, "tasks": tasks})
    return json.dumps({"apps": apps}).encode()


@pytest.fixture
def recorded_api() -> Iterator[str]:
    body = snapshot()
    with answering(lambda path, _headers: (200 if path.startswith("/v2/apps") else 404, body)) as port:
        yield f"http://127.0.0.1:{port}"


def test_dry_renders_every_real_shaped_app_into_a_valid_config(recorded_api, tmp_path):
    result = subprocess.run([bin_path("balalaika-lb"), "--marathon", recorded_api, "--dry", "--group", "*",
                             "--haproxy-config", str(tmp_path / "haproxy.cfg")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    config = result.stdout
    assert config.count("\nfrontend ") == 1000 + 2  # one per service port, plus :80 and :9091
    assert config.count("\n    server ") == 10_000
    assert "frontend cudcos_mactest1_10003\n    bind *:10003\n" in config
    (tmp_path / "dry.cfg").write_text(config)
    check = subprocess.run(["haproxy", "-c", "-q", "-f", str(tmp_path / "dry.cfg")], capture_output=True, text=True,
                           timeout=60, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_dry_says_when_the_api_does_not_answer(tmp_path):
    from launchers.process import free_port

    result = subprocess.run([bin_path("balalaika-lb"), "--marathon", f"http://127.0.0.1:{free_port()}", "--dry"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "does not answer" in result.stderr
