"""Hosts as Linux network namespaces on one machine: one switch (a bridge in its own namespace), each host
joined to it by a veth pair with its own address, and faults made of real kernel state: a host's link cut
at the switch, or its routes to chosen peers blackholed.

    net = Network("bt1a2b", "198.18.0").create()
    zk1 = net.add_host("zk1", 11)                # namespace bt1a2b-zk1, eth0 198.18.0.11/24
    Daemon(net.argv(zk1, ["java", ...]), log).start()
    net.cut(zk1); net.heal(zk1)
    net.destroy()

The machine itself gets a port on the switch too (`local_address`), so that the caller reaches every host
directly; only the network's own /24 is routed there, nothing else changes on the machine. Names carry a
run id, so that concurrent runs do not collide; veth ends are created inside their namespaces, so that
their names never meet in the machine's own.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass

SWITCH = "sw"
LOCAL_OCTET = 1  # the machine's own address on the switch: <prefix>.1


class NetnsError(RuntimeError):
    pass


def ip(*args: str, timeout: float = 10.0) -> str:
    """Runs `ip ARGS`; raises NetnsError with ip's own message when it fails."""
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


@dataclass(frozen=True)
class Host:
    name: str
    namespace: str
    address: str
    port: str  # its veth end on the switch


class Network:
    """A /24 (`prefix` is its first three octets) of namespaced hosts behind one switch."""

    def __init__(self, run_id: str, prefix: str) -> None:
        self.run_id, self.prefix = run_id, prefix
        self.switch = f"{run_id}-{SWITCH}"
        self.local_link = f"{run_id}l"  # the machine's end, the only name in its namespace
        self.hosts: dict[str, Host] = {}

    @property
    def local_address(self) -> str:
        return f"{self.prefix}.{LOCAL_OCTET}"

    def create(self) -> Network:
        """The switch and the machine's port on it. Raises NetnsError (after undoing what was done)."""
        try:
            ip("netns", "add", self.switch)
            ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            ip("-n", self.switch, "link", "set", "br0", "up")
            ip("link", "add", self.local_link, "type", "veth", "peer", "name", "local", "netns", self.switch)
            self._plug("local")
            ip("addr", "add", f"{self.local_address}/24", "dev", self.local_link)
            ip("link", "set", self.local_link, "up")
        except NetnsError:
            self.destroy()
            raise
        return self

    def _plug(self, port: str) -> None:
        ip("-n", self.switch, "link", "set", port, "master", "br0")
        ip("-n", self.switch, "link", "set", port, "up")

    def add_host(self, name: str, octet: int) -> Host:
        """A namespace `<run>-<name>` with lo and eth0 = <prefix>.<octet>/24, plugged into the switch."""
        host = Host(name, f"{self.run_id}-{name}", f"{self.prefix}.{octet}", f"p{octet}")
        ip("netns", "add", host.namespace)
        self.hosts[name] = host
        ip("-n", host.namespace, "link", "add", "eth0", "type", "veth", "peer", "name", host.port,
           "netns", self.switch)
        self._plug(host.port)
        ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
        for link in ("lo", "eth0"):
            ip("-n", host.namespace, "link", "set", link, "up")
        return host

    def argv(self, host: Host, command: list[str]) -> list[str]:
        """`command` run inside `host`'s namespace (`ip netns exec` execs it: the PID stays the command's)."""
        return ["ip", "netns", "exec", host.namespace, *command]

    def cut(self, host: Host) -> None:
        """Unplugs `host` at the switch: nothing reaches it nor leaves it; its processes keep running."""
        ip("-n", self.switch, "link", "set", host.port, "down")

    def heal(self, host: Host) -> None:
        ip("-n", self.switch, "link", "set", host.port, "up")

    def block(self, host: Host, peers: list[Host]) -> None:
        """`host` can no longer send to `peers` (blackhole routes in its namespace); all else still flows."""
        for peer in peers:
            ip("-n", host.namespace, "route", "add", "blackhole", f"{peer.address}/32")

    def unblock(self, host: Host, peers: list[Host]) -> None:
        for peer in peers:
            ip("-n", host.namespace, "route", "del", "blackhole", f"{peer.address}/32")

    def destroy(self) -> None:
        """Deletes every namespace of this network (their veths go with them). Processes still running in
        them are the caller's to stop first: a namespace lives on while a process uses it."""
        for namespace in [host.namespace for host in self.hosts.values()] + [self.switch]:
            with contextlib.suppress(NetnsError):  # never created, or already gone
                ip("netns", "del", namespace)
        self.hosts.clear()


def leftover_namespaces(run_prefix: str) -> list[str]:
    """Namespaces whose names start with `run_prefix` (what a killed run left behind)."""
    return [line.split()[0] for line in ip("netns", "list").splitlines() if line.startswith(run_prefix)]
