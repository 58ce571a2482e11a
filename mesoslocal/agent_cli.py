"""mesos-local-agent: one mesoslocal agent in a process of its own, registered over HTTP with a mesos-local master.

    mesos-local-agent --master 198.18.0.30:5050 --ip 198.18.0.41 --port 5051 --resources "cpus:4;mem:4096"

Stops cleanly on SIGTERM/SIGINT, killing every task it started.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import shutil
import sys
import tempfile
from pathlib import Path

import aiohttp

from mesoslocal import daemon
from mesoslocal.agent import fetcher, processes, remote_master
from mesoslocal.agent.agent import Agent
from mesoslocal.wire.agent_info import DEFAULT_RESOURCES, parse_attributes
from mesoslocal.wire.resources import Resources

log = logging.getLogger("mesoslocal")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mesos-local-agent", description=__doc__.splitlines()[0])
    parser.add_argument("--master", required=True, help="the mesos-local master's host:port")
    parser.add_argument("--ip", default="127.0.0.1", help="address the agent binds and advertises")
    parser.add_argument("--port", type=int, default=5051)
    parser.add_argument("--hostname", default=None, help="the hostname offers carry (default: --ip)")
    parser.add_argument("--resources", default=DEFAULT_RESOURCES, help="what the agent offers, all of it")
    parser.add_argument("--attributes", default="", help='e.g. "rack:r1;zone:a"')
    parser.add_argument("--docker-host", default=None, help="DOCKER_HOST of the daemon running Docker tasks")
    parser.add_argument("--work-dir", type=Path, default=None, help="sandboxes (default: a temporary directory)")
    parser.add_argument("--pretend-tasks", action="store_true",
                        help="only pretend to run command tasks (see mesoslocal/agent/pretend_runner.py)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="mesoslocal-agent-"))
    agent = Agent(index=0, hostname=args.hostname or args.ip, ip=args.ip, port=args.port,
                  resources=Resources.parse_spec(args.resources), attributes=parse_attributes(args.attributes),
                  work_dir=work_dir, docker_host=args.docker_host, pretend_tasks=args.pretend_tasks)
    async with aiohttp.ClientSession() as session:
        master = remote_master.RemoteMaster(args.master, session)
        try:
            await agent.start(master, remote_master.add_routes)
            log.info("mesos-local-agent on %s, master %s", agent.endpoint(), args.master)
            await stop.wait()
        finally:
            log.info("mesos-local-agent: stopping")
            await master.close()
            await agent.stop()
            await asyncio.to_thread(processes.shutdown_spawner)
            await asyncio.to_thread(fetcher.shutdown_threads)
            if args.work_dir is None:
                shutil.rmtree(work_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return daemon.run("mesos-local-agent", functools.partial(serve, args), args.log_level)


if __name__ == "__main__":
    sys.exit(main())
