"""Benchmark: one matching pass of 10,000 pending instances (100 apps x 100) against 1,000 offers.

Target: <= 100 ms per pass. Prints, per scenario, the median and min wall time and the median CPU
time of the process (more stable than wall time on a shared machine); record them in bench/RESULTS.md.

    .venv/bin/python bench/bench_matching.py [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from framework.matching import Demand, Placement, match


def make_offers(n: int, cpus: float, mem: float, racks: int = 10) -> list[dict]:
    return [
        {
            "id": {"value": f"offer-{i}"},
            "agent_id": {"value": f"agent-{i}"},
            "hostname": f"node{i}.example",
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}, "role": "*"},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}, "role": "*"},
                {"name": "disk", "type": "SCALAR", "scalar": {"value": 40000.0}, "role": "*"},
                {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]},
                 "role": "*"},
            ],
            "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": f"r{i % racks}"}}],
        }
        for i in range(n)
    ]


def make_apps(n: int, seed: int, constrained: bool) -> list[dict]:
    rnd = random.Random(seed)
    apps = []
    for i in range(n):
        constraints: list[list[str]] = []
        if constrained:
            kind = i % 5
            if kind == 1:
                constraints = [["hostname", "UNIQUE"]]
            elif kind == 2:
                constraints = [["rack", "GROUP_BY", "10"]]
            elif kind == 3:
                constraints = [["hostname", "MAX_PER", "3"], ["rack", "LIKE", "r[0-8]"]]
        apps.append({
            "id": f"/bench/app-{i}",
            "cpus": rnd.choice([0.1, 0.25, 0.5, 1.0]),
            "mem": rnd.choice([32.0, 64.0, 128.0, 256.0]),
            "disk": 0.0,
            "gpus": 0,
            "constraints": constraints,
            "portDefinitions": [{"port": 0, "protocol": "tcp", "name": f"p{k}"} for k in range(i % 3)],
            "requirePorts": False,
            "networks": [{"mode": "host"}],
        })
    return apps


def scenario(name: str, apps: list[dict], offers: list[dict], per_app: int, runs: int) -> None:
    demands = [Demand(app, per_app) for app in apps]
    placements: list[Placement] = []
    times, cpu = [], []
    result = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = match(demands, offers, placements)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    assert result is not None
    # Launch.resources is built on access; time it apart so the figure is not hidden.
    start = time.perf_counter()
    for launch in result.launches:
        _ = launch.resources
    materialize = (time.perf_counter() - start) * 1000
    pending = sum(d.count for d in demands)
    print(f"{name:<46} launched={len(result.launches):>5} unused_offers={len(result.unused_offer_ids):>4}  "
          f"median={statistics.median(times):6.1f} ms  min={min(times):6.1f} ms  "
          f"cpu median={statistics.median(cpu):6.1f} ms  "
          f"(+{materialize:.1f} ms to build all resource dicts)  [pending={pending}, offers={len(offers)}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    apps_plain = make_apps(100, seed=1, constrained=False)
    apps_constrained = make_apps(100, seed=1, constrained=True)
    roomy = make_offers(1000, cpus=16.0, mem=65536.0)
    scarce = make_offers(1000, cpus=2.0, mem=4096.0)
    scenario("unconstrained, offers with room to spare", apps_plain, roomy, 100, args.runs)
    scenario("unconstrained, scarce offers (demand > supply)", apps_plain, scarce, 100, args.runs)
    scenario("mixed constraints, offers with room", apps_constrained, roomy, 100, args.runs)
    scenario("mixed constraints, scarce offers", apps_constrained, scarce, 100, args.runs)


if __name__ == "__main__":
    main()
