"""Benchmark of many /v2/events subscribers on balalaika-api: request latency while they are attached, and
how long a new app's event takes to reach every one of them.

    .venv/bin/python bench/bench_events.py [--subscribers 1000] [--requests 400] [--concurrency 4]
                                           [--workers 2] [--tasks-per-app 10]

Starts its own ZooKeeper (1,000 real-shaped apps, 10 tasks each) and gunicorn on loopback. A separate
process opens the subscribers (asyncio + aiohttp, one connection each, no event filter, as Marathon-LB
does) and reports when each has its `event_stream_attached` frame; meanwhile `GET /v2/apps` is timed with
`--concurrency` clients. Then one `POST /v2/apps` is made and the subscriber process reports when each
stream carried that app's `api_post_event`. Targets (hardening issue): 1,000 subscribers, `GET /v2/apps`
p99 under 300 ms meanwhile, every subscriber has the event within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_api import loaded_api, percentile, timed_gets  # noqa: E402  (bench/ is the script's directory)
from bench_executor import process_memory  # noqa: E402

ATTACH_TIMEOUT = 60.0
EVENT_TIMEOUT = 10.0


async def _subscribe(session, url: str, marker: str, attached: list[float], seen: list[float]) -> None:
    async with session.get(url, timeout=None) as response:
        response.raise_for_status()
        async for line in response.content:
            if line.startswith(b"event: event_stream_attached"):
                attached.append(time.time())
            elif line.startswith(b"data:") and marker.encode() in line:
                seen.append(time.time())
                return


async def _subscribers(url: str, count: int, marker: str) -> None:
    """Runs in the child: attaches `count` streams, says `attached N`, then reports arrival times."""
    import aiohttp

    attached: list[float] = []
    seen: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(_subscribe(session, url, marker, attached, seen)) for _ in range(count)]
        deadline = time.monotonic() + ATTACH_TIMEOUT
        while len(attached) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        print(json.dumps({"attached": len(attached)}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the POST was made
        deadline = time.monotonic() + EVENT_TIMEOUT
        while len(seen) < len(attached) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        print(json.dumps({"seen": seen}), flush=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def workers_memory(master: int) -> str:
    """RSS (MB) and threads of each gunicorn worker."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    found = [process_memory(int(pid)) for pid in children]
    return ", ".join(f"{m['rss']:.0f} MB / {m['threads']:.0f} threads" for m in found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks-per-app", type=int, default=10)
    parser.add_argument("--child", nargs=3, metavar=("URL", "COUNT", "MARKER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_subscribers(args.child[0], int(args.child[1]), args.child[2]))
        return 0
    # all subscribers come from 127.0.0.1 here: one client address's bound must admit them
    with loaded_api(args.workers, args.tasks_per_app, "--event-streams-per-client",
                    str(args.subscribers)) as (base, api, tasks):
        for _ in range(args.workers * 4):  # every worker loads its mirror before we measure
            requests.get(f"{base}/v2/apps", timeout=60).raise_for_status()
        idle, _ = timed_gets(f"{base}/v2/apps", args.requests, args.concurrency)
        idle_memory = workers_memory(api.process.pid)
        marker = f"/bench/events/{int(time.time())}"
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, __file__, "--child", f"{base}/v2/events", str(args.subscribers),
                                  marker], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            attached = json.loads(child.stdout.readline())["attached"]
            attach_seconds = time.perf_counter() - started
            busy, _ = timed_gets(f"{base}/v2/apps", args.requests, args.concurrency)
            busy_memory = workers_memory(api.process.pid)
            posted = time.time()
            answer = requests.post(f"{base}/v2/apps", json={"id": marker, "cmd": "sleep 100", "cpus": 0.01,
                                                             "mem": 8}, timeout=30)
            if answer.status_code != 201:
                raise SystemExit(f"POST /v2/apps answered {answer.status_code}: {answer.text}")
            child.stdin.write("posted\n")
            child.stdin.flush()
            seen = sorted(t - posted for t in json.loads(child.stdout.readline())["seen"])
        finally:
            child.kill()
            child.wait()
    print(f"1000 apps, {tasks} tasks; {args.workers} workers; {args.concurrency} clients")
    print(f"subscribers attached: {attached} of {args.subscribers} in {attach_seconds:.1f} s")
    print(f"workers before: {idle_memory}; with the subscribers: {busy_memory}")
    for name, values in (("idle", idle), (f"with {attached} subscribers", busy)):
        print(f"GET /v2/apps {name}: p50 {percentile(values, 0.5) * 1000:.0f} ms, "
              f"p99 {percentile(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")
    if seen:
        print(f"new app's event: {len(seen)} of {attached} subscribers in {EVENT_TIMEOUT:.0f} s; "
              f"p50 {percentile(seen, 0.5) * 1000:.0f} ms, max {seen[-1] * 1000:.0f} ms")
    else:
        print("new app's event: no subscriber received it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
