"""Every event of a scheduler's stream is its own HTTP chunk, as Mesos writes them, also when hundreds are
queued at once: pymesos's pure-Python parser waits for a whole chunk, re-joining what it has on every 4 KB
read, so one chunk of 50,000 reconciliation answers (35 MB) stalled a scheduler for minutes."""

from __future__ import annotations

import json

import requests

from mesoslocal.cluster import LocalCluster
from mesoslocal.wire import recordio
from tests.mesoslocal.test_scheduler_http import SUBSCRIBE, post


def test_a_burst_of_events_comes_one_chunk_each(mesos_cluster: LocalCluster) -> None:
    response = requests.post(f"http://{mesos_cluster.master_url}/api/v1/scheduler", data=json.dumps(SUBSCRIBE),
                             headers={"Content-Type": "application/json"}, stream=True, timeout=10)
    with response:
        chunks = response.raw.read_chunked()
        subscribed, rest = recordio.decode_all(next(chunks))
        assert rest == b"" and subscribed[0]["type"] == "SUBSCRIBED"
        framework_id = subscribed[0]["subscribed"]["framework_id"]
        unknown = [{"task_id": {"value": f"gone-{n}"}} for n in range(300)]
        reconcile = {"type": "RECONCILE", "framework_id": framework_id, "reconcile": {"tasks": unknown}}
        assert post(mesos_cluster, reconcile, {"Mesos-Stream-Id": response.headers["Mesos-Stream-Id"]}).ok
        answers = 0
        while answers < len(unknown):
            records, rest = recordio.decode_all(next(chunks))
            assert len(records) == 1 and rest == b"", "one record per chunk"
            answers += records[0]["type"] == "UPDATE"
