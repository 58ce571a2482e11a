"""Benchmark: one matching pass of 10,000 pending instances (100 apps x 100) against 1,000 offers.

Target: <= 100 ms per pass. Prints, per scenario, the median and min wall time and the median CPU
time of the process (more stable than wall time on a shared machine), the garbage collector's share of
the pass, and the end-to-end median: the pass plus building every launch's resource dicts, as the
scheduler does for its TaskInfos. Record them in bench/RESULTS.md.

Each run starts after ``gc.collect()``: otherwise a full collection (20-40 ms here, walking every
object of the process, the benchmark's 1,000 offer dicts included) falls into some runs and not others.
Collections the pass itself triggers stay in the timings and are reported as "gc".

    .venv/bin/python bench/bench_matching.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gc
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


class GcTimer:
    """Milliseconds the garbage collector ran while installed (via ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.ms = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.ms += (time.perf_counter() - self._start) * 1000


def scenario(name: str, apps: list[dict], offers: list[dict], per_app: int, runs: int) -> None:
    demands = [Demand(app, per_app) for app in apps]
    placements: list[Placement] = []
    times, cpu, gc_ms, resources_ms = [], [], [], []
    result = None
    for _ in range(runs):
        result = None
        gc.collect()
        timer = GcTimer()
        gc.callbacks.append(timer)
        start, start_cpu = time.perf_counter(), time.process_time()
        result = match(demands, offers, placements)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        gc.callbacks.remove(timer)
        gc_ms.append(timer.ms)
        # Launch.resources is built on access; time it apart so the figure is not hidden.
        start = time.perf_counter()
        for launch in result.launches:
            _ = launch.resources
        resources_ms.append((time.perf_counter() - start) * 1000)
    assert result is not None
    end_to_end = [t + r for t, r in zip(times, resources_ms, strict=True)]
    pending = sum(d.count for d in demands)
    print(f"{name:<46} launched={len(result.launches):>5} unused_offers={len(result.unused_offer_ids):>4}  "
          f"median={statistics.median(times):6.1f} ms  min={min(times):6.1f} ms  "
          f"cpu median={statistics.median(cpu):6.1f} ms  gc median={statistics.median(gc_ms):4.1f} ms  "
          f"(+{statistics.median(resources_ms):.1f} ms to build all resource dicts; "
          f"end-to-end median={statistics.median(end_to_end):6.1f} ms)  [pending={pending}, offers={len(offers)}]")


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
