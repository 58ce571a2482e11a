"""mesos-local: a Mesos-1.11-compatible master with N agents on this machine.

    mesos-local --port 5050 --agents 3 --agent-resources "cpus:4;mem:4096;disk:10000;ports:[31000-32000]"
    mesos-local --ip 198.18.0.30 --port 5050 --agents 0   # the master alone, for mesos-local-agent processes

Stops cleanly on SIGTERM/SIGINT, killing every task it started.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from pathlib import Path

from mesoslocal import daemon
from mesoslocal.cluster import Cluster
from mesoslocal.wire.agent_info import DEFAULT_RESOURCES

log = logging.getLogger("mesoslocal")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mesos-local", description=__doc__.splitlines()[0])
    parser.add_argument("--ip", default="127.0.0.1", help="address the master binds and advertises")
    parser.add_argument("--port", type=int, default=5050)
    parser.add_argument("--agents", type=int, default=3,
                        help="agents in this process; agents in other processes (mesos-local-agent) may register too")
    parser.add_argument("--agent-resources", default=DEFAULT_RESOURCES,
                        help="total per agent; the ports range is split into disjoint slices across agents")
    parser.add_argument("--no-split-ports", action="store_true", help="give every agent the whole ports range")
    parser.add_argument("--attributes", default=None, help='e.g. "rack:r1;zone:a" (all agents)')
    parser.add_argument("--zk", default=None, help="zk://host:port/path: register for ZooKeeper discovery")
    parser.add_argument("--docker-host", default=None, help="DOCKER_HOST of the daemon running Docker tasks")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--heartbeat-interval", type=float, default=15.0)
    parser.add_argument("--allocation-interval", type=float, default=1.0)
    parser.add_argument("--agent-timeout", type=float, default=75.0)
    parser.add_argument("--agent-port", type=int, default=0, help="port every agent binds on its own IP")
    parser.add_argument("--pretend-tasks", action="store_true",
                        help="agents only pretend to run command tasks: STARTING/RUNNING reported, no process, kept "
                             "until killed (for benchmarks at 100,000 tasks; see mesoslocal/agent/pretend_runner.py)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    cluster = Cluster(agents=args.agents, agent_resources=args.agent_resources, docker_host=args.docker_host,
                      work_dir=args.work_dir, ip=args.ip, port=args.port,
                      allocation_interval=args.allocation_interval, heartbeat_interval=args.heartbeat_interval,
                      agent_timeout=args.agent_timeout, attributes=args.attributes, zk=args.zk,
                      agent_port=args.agent_port, split_agent_ports=not args.no_split_ports,
                      pretend_tasks=args.pretend_tasks)
    await cluster.start()
    log.info("mesos-local: master on %s:%d with %d agents (%s)%s", args.ip, cluster.port, args.agents,
             ", ".join(a.endpoint() for a in cluster.agents),
             "; command tasks are only pretended (--pretend-tasks)" if args.pretend_tasks else "")
    try:
        await stop.wait()
    finally:
        log.info("mesos-local: stopping")
        await cluster.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return daemon.run("mesos-local", functools.partial(serve, args), args.log_level)


if __name__ == "__main__":
    sys.exit(main())
