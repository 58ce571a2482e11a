"""Starting and stopping the twin: the namespaces, then the daemons in dependency order, each in its host's
namespace, each stopped by PID (SIGTERM, then SIGKILL after a deadline) before the namespaces go.

    twin = Twin(home, Topology()).start()
    twin.api_url(node), twin.leader(), twin.contenders(), twin.registered_agents()
    twin.kill_node(node)       # SIGKILL a scheduler+api host's processes; start_node(node) brings them back
    twin.network.cut(twin.host(agent)); twin.network.heal(twin.host(agent))
    twin.stop()
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from kazoo.client import KazooClient

from framework.store import Layout, connect, current_leader
from launchers.netns import Host, Network
from launchers.process import Daemon, children
from launchers.waiting import GiveUp, WaitTimeout, wait_for
from launchers.zookeeper import Peer, ZooKeeperServer
from twin.topology import ZK_ELECTION_PORT, ZK_PORT, ZK_QUORUM_PORT, Place, Topology

START_TIMEOUT = 60.0


class TwinFailed(RuntimeError):
    pass


def http_json(url: str, timeout: float = 2.0) -> object | None:
    """The JSON at `url`, or None when it does not answer 200 in time."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return None


class Twin:
    """One running twin under `home` (logs, data dirs, the edge's HAProxy config)."""

    def __init__(self, home: Path, topology: Topology, bin_dir: Path | None = None) -> None:
        self.home, self.topology = home, topology
        self.bin_dir = bin_dir or Path(sys.executable).parent  # the venv's console scripts
        self.network = Network(f"bt{os.getpid() % 100000:05d}", topology.master.address.rsplit(".", 1)[0])
        self.zookeepers: dict[str, ZooKeeperServer] = {}
        self.daemons: dict[str, Daemon] = {}  # "<host>/<program>" -> its process
        self.zk: KazooClient | None = None  # the twin's own view of ZooKeeper, from this machine

    # -- addresses ----------------------------------------------------------------------------------------------
    def host(self, place: Place) -> Host:
        return self.network.hosts[place.name]

    def api_url(self, node: Place) -> str:
        return self.topology.api_url(node)

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    # -- starting -----------------------------------------------------------------------------------------------
    def start(self) -> Twin:
        """Everything, in order; raises TwinFailed naming what did not come up (after stopping the rest)."""
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            self.network.create()
            for place in self.topology.places():
                self.network.add_host(place.name, place.octet)
            self._start_zookeepers()
            self._start_master_and_agents()
            for node in self.topology.nodes:
                self.start_node(node)
            self._start_edge()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_zookeepers(self) -> None:
        peers = [Peer(ZK_PORT, ZK_QUORUM_PORT, ZK_ELECTION_PORT, place.address) for place in self.topology.zookeepers]
        for myid, place in enumerate(self.topology.zookeepers, start=1):
            home = self.home / place.name
            home.mkdir(exist_ok=True)
            host = self.host(place)
            self.zookeepers[place.name] = ZooKeeperServer(
                home, myid, peers, tick_ms=self.topology.timers.zk_tick_ms, heap="128m",
                wrap=lambda argv, host=host: self.network.argv(host, argv)).start()
        for name, server in self.zookeepers.items():
            self._wait(server.serving, f"zookeeper on {name}", server.daemon)
        self.zk = connect(self.topology.zk_hosts)

    def _start_master_and_agents(self) -> None:
        master = self.topology.master
        self._run(master, "mesos-local", self.topology.master_argv(self._bin("mesos-local"),
                                                                   str(self.home / "master-work")),
                  lambda: http_json(f"http://{self.topology.master_address}/version") is not None)
        for agent in self.topology.agent_places:
            self._start_agent(agent)

    def _start_agent(self, agent: Place) -> None:
        argv = self.topology.agent_argv(self._bin("mesos-local-agent"), agent, str(self.home / f"{agent.name}-work"))
        self._run(agent, "mesos-local-agent", argv, lambda: agent.address in self.registered_agents())

    def start_node(self, node: Place) -> None:
        """The api and a scheduler on a scheduler+api host; returns once the api answers and the scheduler
        contends (or leads: the first one does)."""
        self._run(node, "api", self.topology.api_argv(self._bin("balalaika-api"), node),
                  lambda: http_json(f"{self.api_url(node)}/v2/info") is not None)
        self._run(node, "scheduler", self.topology.scheduler_argv(self._bin("balalaika-scheduler"), node),
                  lambda: node.address in self.contenders())

    def _start_edge(self) -> None:
        edge = self.topology.edge
        home = self.home / "edge"
        home.mkdir(exist_ok=True)
        argv = self.topology.lb_argv(self._bin("balalaika-lb"), str(home / "haproxy.cfg"))
        self._run(edge, "balalaika-lb", argv,
                  lambda: http_json(f"{self.topology.edge_stats_url}/_balalaika_services") is not None)

    def _run(self, place: Place, program: str, argv: list[str], ready: Callable[[], object]) -> Daemon:
        key = f"{place.name}/{program}"
        daemon = Daemon(self.network.argv(self.host(place), argv), self.home / f"{place.name}-{program}.log").start()
        self.daemons[key] = daemon
        self._wait(ready, key, daemon)
        return daemon

    def _wait(self, ready: Callable[[], object], what: str, daemon: Daemon | None) -> None:
        def ready_or_dead() -> bool:
            if daemon is not None and not daemon.alive():
                raise GiveUp(f"{what} exited")
            return bool(ready())

        try:
            wait_for(ready_or_dead, START_TIMEOUT, what)
        except (WaitTimeout, GiveUp) as error:
            tail = daemon.log_tail() if daemon else ""
            raise TwinFailed(f"{error}\n--- {daemon.log_path if daemon else ''} ---\n{tail}") from None

    # -- what the cluster says ----------------------------------------------------------------------------------
    def registered_agents(self) -> list[str]:
        """Addresses of the agents the master counts as active."""
        state = http_json(f"http://{self.topology.master_address}/master/slaves") or {}
        return [agent["hostname"] for agent in state.get("slaves", []) if agent.get("active")]

    def contenders(self) -> list[str]:
        """Advertised addresses of the schedulers in the election, the leader's first."""
        assert self.zk is not None, "zookeeper not started"
        election = self.zk.Election(Layout().leader_dir)
        return [json.loads(identity)["host"] for identity in election.contenders()]

    def leader(self) -> Place | None:
        """The node whose scheduler leads, as ZooKeeper says (None while nobody does)."""
        assert self.zk is not None, "zookeeper not started"
        info = current_leader(self.zk)
        return next((node for node in self.topology.nodes if info and info["host"] == node.address), None)

    # -- faults -------------------------------------------------------------------------------------------------
    def kill_node(self, node: Place, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` to the host's scheduler and api (gunicorn's workers die with their master on SIGKILL
        only if they notice; they are killed by PID too) and reaps them."""
        for program in ("scheduler", "api"):
            daemon = self.daemons.pop(f"{node.name}/{program}", None)
            if daemon is None:
                continue
            if program == "api":
                for pid in children(daemon.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, sig)
            daemon.stop(sig)

    # -- stopping -----------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """The edge, schedulers, apis, agents (which kill their tasks), the master, ZooKeeper; then the
        namespaces. A step that fails does not skip the rest."""
        order = ["balalaika-lb", "scheduler", "api", "mesos-local-agent", "mesos-local"]
        with contextlib.ExitStack() as steps:  # last registered runs first
            steps.callback(self.network.destroy)
            for server in self.zookeepers.values():
                steps.callback(server.stop)
            if self.zk is not None:
                steps.callback(self.zk.close)
                steps.callback(self.zk.stop)
            for program in reversed(order):
                for key, daemon in list(self.daemons.items()):
                    if key.endswith(f"/{program}"):
                        steps.callback(self._stop_daemon, key, daemon)

    def _stop_daemon(self, key: str, daemon: Daemon) -> None:
        workers = children(daemon.pid) if daemon.alive() else []
        daemon.stop(timeout=20)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.daemons.pop(key, None)
