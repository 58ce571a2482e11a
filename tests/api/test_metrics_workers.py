"""balalaika-api's /metrics under gunicorn with several workers: request counters are the sums over every
worker (prometheus_client multiprocess mode, api/metrics.py and api/serve.py), so each scrape, whichever
worker answers it, counts every request made so far and never less than the scrape before, even after a
worker died and was replaced."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from launchers.process import Daemon, children, free_port, port_answers, wait_gone
from tests.api.conftest import ROOT
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


def request_counts(text: str) -> dict[str, float]:
    """route -> requests counted (all methods and statuses)."""
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "balalaika_api_requests":
            for sample in family.samples:
                if sample.name == "balalaika_api_requests_total":
                    route = sample.labels["route"]
                    counts[route] = counts.get(route, 0) + sample.value
    return counts


def histogram_count(text: str, route: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text)
               if family.name == "balalaika_api_request_duration_seconds"
               for sample in family.samples
               if sample.name.endswith("_count") and sample.labels["route"] == route)


@pytest.fixture
def api_server(zk_hosts: str, tmp_path: Path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    daemon = Daemon([sys.executable, "-m", "api.serve", "--zk", zk_hosts, "--root", ROOT,
                     "--bind", f"127.0.0.1:{port}", "--workers", "3"], tmp_path / "api.log", env=env).start()
    try:
        wait_for(lambda: port_answers("127.0.0.1", port), 30, "balalaika-api to listen")
        yield daemon, f"http://127.0.0.1:{port}"
    finally:
        daemon.stop()


def test_every_scrape_counts_every_request_of_every_worker(api_server):
    daemon, url = api_server
    made = scrapes = 0
    last: dict[str, float] = {}

    def scrape_and_check() -> None:
        nonlocal scrapes, last
        # a new connection each time, so that the workers take turns answering
        text = requests.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10).text
        counts = request_counts(text)
        assert counts.get("/v2/apps", 0) == made, daemon.log_tail()
        assert counts.get("/metrics", 0) == scrapes  # this scrape is counted after it is answered
        assert histogram_count(text, "/v2/apps") == made
        assert all(counts.get(route, 0) >= value for route, value in last.items())
        last, scrapes = counts, scrapes + 1

    for round_ in range(30):
        for _ in range(round_ % 4 + 1):
            assert requests.get(f"{url}/v2/apps", headers={"Connection": "close"}, timeout=10).status_code == 200
            made += 1
        scrape_and_check()

    # a worker killed outright and replaced by gunicorn: what it counted stays in the sums
    workers = children(daemon.pid)
    assert len(workers) == 3
    os.kill(workers[0], signal.SIGKILL)
    wait_gone(workers[0], 10)
    wait_for(lambda: len(children(daemon.pid)) == 3, 30, "gunicorn to replace the worker")
    for _ in range(10):
        assert requests.get(f"{url}/v2/apps", headers={"Connection": "close"}, timeout=10).status_code == 200
        made += 1
        scrape_and_check()


def counter_files(pid: int) -> set[Path]:
    """The prometheus_client files a worker has mapped (where its counters live)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return set()
    return {Path(line.split()[-1]) for line in maps.splitlines() if line.endswith(".db")}


def test_the_counters_live_in_a_private_directory_removed_at_exit(api_server):
    daemon, url = api_server
    assert requests.get(f"{url}/v2/apps", timeout=10).status_code == 200

    def mapped() -> set[Path]:
        return {path for pid in children(daemon.pid) for path in counter_files(pid)}

    wait_for(lambda: mapped(), 10, "a worker to map its counter file")
    [directory] = {path.parent for path in mapped()}
    assert directory.name.startswith("balalaika-api-metrics-")
    daemon.stop()
    assert not directory.exists()
