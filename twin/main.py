"""balalaika-twin: the lab cluster's topology as network namespaces on this machine (root), until Ctrl-C.

    sudo .venv/bin/balalaika-twin --agents 3
    curl http://198.18.0.21:8080/v2/apps        # this machine has a port on the twin's switch

It prints every host's address and what runs there, then waits; SIGTERM or SIGINT stops every process it
started and removes the namespaces.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from launchers.netns import NetnsError
from twin.cluster import Twin, TwinFailed
from twin.topology import Timers, Topology


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="balalaika-twin", description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=3, choices=range(1, 10), metavar="1-9")
    parser.add_argument("--home", type=Path, default=None, help="logs and data (default: a new temporary dir)")
    parser.add_argument("--agent-timeout", type=float, default=Timers.agent_timeout,
                        help="seconds before the master declares a silent agent unreachable")
    return parser.parse_args(argv)


def describe(twin: Twin) -> str:
    topology = twin.topology
    lines = [f"balalaika-twin: up, logs in {twin.home}"]
    lines += [f"  {place.name:8} {place.address:15} zookeeper :2181" for place in topology.zookeepers]
    lines += [f"  {node.name:8} {node.address:15} api {topology.api_url(node)}, scheduler" for node in topology.nodes]
    lines.append(f"  {topology.master.name:8} {topology.master.address:15} mesos-local master :5050")
    lines += [f"  {agent.name:8} {agent.address:15} mesos-local-agent :5051" for agent in topology.agent_places]
    lines.append(f"  {topology.edge.name:8} {topology.edge.address:15} balalaika-lb + HAProxy {topology.edge_url}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("balalaika-twin: network namespaces need root", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    home = args.home or Path(tempfile.mkdtemp(prefix="balalaika-twin-"))
    topology = Topology(agents=args.agents, timers=Timers(agent_timeout=args.agent_timeout))
    twin = Twin(home, topology)
    try:
        twin.start()
    except (TwinFailed, NetnsError) as error:
        print(f"balalaika-twin: {error}", file=sys.stderr)
        return 1
    try:
        print(describe(twin), flush=True)
        stop.wait()
    finally:
        print("balalaika-twin: stopping", file=sys.stderr, flush=True)
        twin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
