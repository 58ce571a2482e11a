"""Who runs what where in the twin, and with which command line. Pure: addresses and argv only.

Every host has its own network namespace, so every daemon uses its usual port (ZooKeeper 2181, the api
8080, the master 5050, agents 5051, the edge 80) without clashing with this machine's or another host's.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "198.18.0"  # RFC 2544's benchmarking range: never this machine's own (192.0.2.0/24) nor routed out
ZK_PORT, ZK_QUORUM_PORT, ZK_ELECTION_PORT = 2181, 2888, 3888
API_PORT, MASTER_PORT, AGENT_PORT = 8080, 5050, 5051
EDGE_HTTP_PORT, EDGE_STATS_PORT = 80, 9090
SERVICE_PORTS = "10000-10100"
AGENT_RESOURCES = "cpus:4;mem:4096;disk:10000;ports:[31000-31100]"  # each agent has its own port space
EDGE_GROUP = "external"


@dataclass(frozen=True)
class Place:
    name: str
    octet: int

    @property
    def address(self) -> str:
        return f"{PREFIX}.{self.octet}"


@dataclass(frozen=True)
class Timers:
    """Short enough that a test sees a lost agent in seconds, long enough not to flap on a busy machine."""

    agent_timeout: float = 5.0  # the master declares a silent agent unreachable after this
    zk_session_timeout: float = 4.0  # the schedulers' default: a dead leader is replaced within ~4.5 s
    zk_tick_ms: int = 500
    reconcile_interval: float = 5.0  # how soon a returning partitioned task is noticed


@dataclass(frozen=True)
class Topology:
    agents: int = 3
    timers: Timers = Timers()

    @property
    def zookeepers(self) -> list[Place]:
        return [Place(f"zk{n}", 10 + n) for n in (1, 2, 3)]

    @property
    def nodes(self) -> list[Place]:
        """The scheduler + api hosts (the lab's master1..3 without Mesos)."""
        return [Place(f"node{n}", 20 + n) for n in (1, 2, 3)]

    @property
    def master(self) -> Place:
        return Place("master", 30)

    @property
    def agent_places(self) -> list[Place]:
        return [Place(f"agent{n}", 40 + n) for n in range(1, self.agents + 1)]

    @property
    def edge(self) -> Place:
        return Place("edge", 50)

    def places(self) -> list[Place]:
        return [*self.zookeepers, *self.nodes, self.master, *self.agent_places, self.edge]

    @property
    def zk_hosts(self) -> str:
        return ",".join(f"{place.address}:{ZK_PORT}" for place in self.zookeepers)

    @property
    def master_address(self) -> str:
        return f"{self.master.address}:{MASTER_PORT}"

    def api_url(self, node: Place) -> str:
        return f"http://{node.address}:{API_PORT}"

    @property
    def edge_url(self) -> str:
        return f"http://{self.edge.address}:{EDGE_HTTP_PORT}"

    @property
    def edge_stats_url(self) -> str:
        return f"http://{self.edge.address}:{EDGE_STATS_PORT}"

    def master_argv(self, binary: str, work_dir: str) -> list[str]:
        return [binary, "--agents", "0", "--ip", self.master.address, "--port", str(MASTER_PORT),
                "--agent-timeout", str(self.timers.agent_timeout), "--heartbeat-interval", "1",
                "--allocation-interval", "0.2", "--work-dir", work_dir,
                "--zk", f"zk://{self.zk_hosts}/mesos"]

    def agent_argv(self, binary: str, agent: Place, work_dir: str) -> list[str]:
        return [binary, "--master", self.master_address, "--ip", agent.address, "--port", str(AGENT_PORT),
                "--resources", AGENT_RESOURCES, "--work-dir", work_dir]

    def api_argv(self, binary: str, node: Place) -> list[str]:
        return [binary, "--zk", self.zk_hosts, "--bind", f"{node.address}:{API_PORT}", "--workers", "1",
                "--service-ports", SERVICE_PORTS, "--edge-admin", self.edge_stats_url]

    def scheduler_argv(self, binary: str, node: Place) -> list[str]:
        return [binary, "--master", self.master_address, "--zk", self.zk_hosts, "--hostname", node.address,
                "--port", str(API_PORT), "--zk-session-timeout", str(self.timers.zk_session_timeout),
                "--reconcile-interval", str(self.timers.reconcile_interval), "--launch-timeout", "60"]

    def lb_argv(self, binary: str, haproxy_config: str) -> list[str]:
        argv = [binary]
        for node in self.nodes:
            argv += ["--marathon", self.api_url(node)]
        return argv + ["--group", EDGE_GROUP, "--health-check", "--haproxy-config", haproxy_config,
                       "--bind-address", self.edge.address, "--http-port", str(EDGE_HTTP_PORT),
                       "--stats-port", str(EDGE_STATS_PORT), "--appid-port", "0", "--reconnect-max", "2"]
