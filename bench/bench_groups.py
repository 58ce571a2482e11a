"""Benchmark of big group writes: POST /v2/groups of 500 / 1,000 / 5,000 real-shaped apps (0 instances) on
a real stack (standalone ZooKeeper, balalaika-api under gunicorn, one balalaika-scheduler on mesoslocal).

Per size: seconds until the POST's answer, seconds until the deployment is gone from /v2/deployments (the
leader finished it), and the nodes and bytes the group added to ZooKeeper (counted by walking the tree).
Each size is a new group in the same stack. Record the figures in bench/RESULTS.md.

    .venv/bin/python bench/bench_groups.py [--sizes 500 1000 5000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import requests
from kazoo.exceptions import NoNodeError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_scheduler import stack, wait_leading  # noqa: E402  (bench/ is the script's directory)

from framework.store import DEFAULT_ROOT  # noqa: E402
from launchers.process import Daemon, free_port  # noqa: E402
from launchers.waiting import wait_for  # noqa: E402
from tests.marathon_data import real_group  # noqa: E402

API = str(Path(sys.executable).parent / "balalaika-api")


def tree_size(client: object, root: str) -> tuple[int, int]:
    """(nodes, bytes of data) of the desired state under `root`: apps with versions, groups, plans."""
    nodes, size = 0, 0
    pending = [f"{root}/{name}" for name in ("apps", "groups", "deployments", "plan-parts")]
    while pending:
        node = pending.pop()
        try:
            data, _ = client.get(node)
            children = client.get_children(node)
        except NoNodeError:  # deleted meanwhile (a finished plan)
            continue
        nodes, size = nodes + 1, size + len(data)
        pending += [f"{node}/{child}" for child in children]
    return nodes, size


def one_size(api_url: str, client: object, count: int) -> dict:
    body = real_group(count, f"/b{count}")
    before = tree_size(client, DEFAULT_ROOT)
    start = time.monotonic()
    answer = requests.post(f"{api_url}/v2/groups", json=body, timeout=300)
    answered = time.monotonic() - start
    if answer.status_code != 201:
        raise SystemExit(f"POST of {count} apps: {answer.status_code} {answer.text[:300]}")
    deployment = answer.json()["deploymentId"]

    def done() -> bool:
        listed = requests.get(f"{api_url}/v2/deployments", timeout=60).json()
        return all(plan["id"] != deployment for plan in listed)

    wait_for(done, 600, f"deployment of {count} apps", interval=0.1)
    finished = time.monotonic() - start
    after = tree_size(client, DEFAULT_ROOT)
    return {"apps": count, "body_bytes": len(json.dumps(body)), "answer_s": round(answered, 2),
            "done_s": round(finished, 2), "nodes_added": after[0] - before[0],
            "bytes_added": after[1] - before[1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 5000])
    args = parser.parse_args()
    with stack(agents=3, resources="cpus:4;mem:4096;ports:[31000-32000]") as bench:
        port = free_port()
        api = Daemon([API, "--zk", bench.zk_hosts, "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                     bench.home / "api.log").start()
        try:
            api_url = f"http://127.0.0.1:{port}"
            wait_for(lambda: requests.get(f"{api_url}/v2/apps", timeout=5).ok, 60, "the api")
            bench.start_scheduler()
            wait_leading(bench)
            results = [one_size(api_url, bench.client, count) for count in args.sizes]
        finally:
            api.stop()
    print(f"{'apps':>6} {'body':>10} {'answer s':>9} {'done s':>8} {'nodes+':>7} {'bytes+':>11}")
    for row in results:
        print(f"{row['apps']:>6} {row['body_bytes']:>10,} {row['answer_s']:>9} {row['done_s']:>8} "
              f"{row['nodes_added']:>7} {row['bytes_added']:>11,}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
