"""A ZooKeeper server (Debian's `zookeeper` package) run directly on the JVM, standalone or in an ensemble."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from launchers.process import Daemon
from launchers.waiting import GiveUp, wait_for

# Debian's zookeeper.jar lists its dependencies in its manifest; slf4j-simple gives it console logs.
CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"


def four_letter_word(port: int, word: str, timeout: float = 1.0, host: str = "127.0.0.1") -> str:
    """Sends a ZooKeeper admin command (ruok, srvr, ...) and returns the answer."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(word.encode())
        chunks = []
        while chunk := conn.recv(4096):
            chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")


@dataclass(frozen=True)
class Peer:
    """One ensemble member's address and ports (client, quorum, election)."""

    client_port: int
    quorum_port: int
    election_port: int
    address: str = "127.0.0.1"


class ZooKeeperServer:
    """One ZooKeeper process with its own config and data dir under `home`. `wrap` turns its command line into
    the one to run (e.g. launchers.netns.Network.argv to start it inside a host's namespace)."""

    def __init__(self, home: Path, myid: int, peers: list[Peer], tick_ms: int = 2000,
                 heap: str = "256m", wrap: Callable[[list[str]], list[str]] | None = None) -> None:
        self.home = home
        self.myid = myid
        self.peers = peers
        self.port = peers[myid - 1].client_port
        self.address = peers[myid - 1].address
        self.wrap = wrap
        self.tick_ms = tick_ms
        self.heap = heap
        self.daemon: Daemon | None = None

    @property
    def hosts(self) -> str:
        return f"{self.address}:{self.port}"

    def _write_config(self) -> Path:
        data = self.home / "data"
        data.mkdir(parents=True, exist_ok=True)
        lines = [
            f"tickTime={self.tick_ms}", "initLimit=10", "syncLimit=5", f"dataDir={data}",
            f"clientPort={self.port}", f"clientPortAddress={self.address}", "admin.enableServer=false",
            "4lw.commands.whitelist=*", "maxSessionTimeout=60000",
        ]
        if len(self.peers) > 1:
            (data / "myid").write_text(f"{self.myid}\n")
            lines += [f"server.{i}={p.address}:{p.quorum_port}:{p.election_port}"
                      for i, p in enumerate(self.peers, start=1)]
        config = self.home / "zoo.cfg"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self) -> ZooKeeperServer:
        config = self._write_config()
        argv = ["java", f"-Xmx{self.heap}", "-Xms32m", "-cp", CLASSPATH,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(config)]
        self.daemon = Daemon(self.wrap(argv) if self.wrap else argv, self.home / "zookeeper.log").start()
        return self

    def serving(self) -> bool:
        """True once this server answers requests (a standalone or a quorum member with a leader)."""
        if self.daemon is None or not self.daemon.alive():
            raise GiveUp(f"zookeeper exited:\n{self.daemon.log_tail() if self.daemon else ''}")
        try:  # `ruok` answers imok before the server takes sessions; `srvr` shows a mode only once it does
            return "Mode: " in four_letter_word(self.port, "srvr", host=self.address)
        except OSError:
            return False

    def mode(self) -> str:
        """standalone, leader or follower."""
        for line in four_letter_word(self.port, "srvr", host=self.address).splitlines():
            if line.startswith("Mode: "):
                return line.removeprefix("Mode: ").strip()
        return "unknown"

    def wait_serving(self, timeout: float = 30.0) -> ZooKeeperServer:
        wait_for(self.serving, timeout, f"zookeeper on port {self.port}")
        return self

    def stop(self, timeout: float = 15.0) -> None:
        if self.daemon is not None:
            self.daemon.stop(timeout=timeout)

    def kill(self) -> None:
        if self.daemon is not None:
            self.daemon.kill()
