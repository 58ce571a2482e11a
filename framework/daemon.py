"""balalaika-scheduler: the scheduler daemon. Contends for leadership; the leader runs the loop.

A standby waits in the election with its ZooKeeper session open, so it takes over within the session
timeout of a leader that dies (4 s by default; docs/architecture.md, Failover, says why 4). SIGTERM stops a
leader without tearing the framework down and hands over at once: its tasks keep running and the next leader
re-subscribes with the same framework id.

With ``--metrics-port`` every scheduler, standbys too, serves Prometheus metrics at ``/metrics`` there
(framework.scheduler.metrics): its leader gauge tells the leader from the standbys.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

from framework.executors import ExecutorSettings
from framework.mesos import DriverAborted, MesosConnection, install_signal_handlers
from framework.scheduler.loop import Scheduler, SchedulerConfig
from framework.scheduler.metrics import SchedulerMetrics
from framework.store import Leadership, Mirror, Store, connect
from framework.store.timing import time_requests

log = logging.getLogger("balalaika.scheduler")

# A killed leader is replaced, reconciled, within this plus 0.1-0.5 s (bench/RESULTS.md): the longest timeout
# that keeps that within 5 s. On the 2-core machine at load 1-3, threads stalled up to 1.1 s under full
# collections of a 100,000-task heap and 4.2 s under everything at once, which 2 s and 3 s sessions did not
# survive and 4 s ones did (bench/bench_heartbeat.py); an overloaded machine stalls longer (docs/architecture.md).
DEFAULT_SESSION_TIMEOUT = 4.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="balalaika-scheduler", description=__doc__.splitlines()[0])
    parser.add_argument("--master", required=True,
                        help="Mesos master: host:port, or zk://host:port[,host:port]/mesos")
    parser.add_argument("--zk", required=True, help="ZooKeeper hosts for Balalaika's state, host:port[,...]")
    parser.add_argument("--zk-root", default="/balalaika", help="root node of Balalaika's state")
    parser.add_argument("--zk-auth", default=os.environ.get("BALALAIKA_ZK_AUTH"),
                        help="digest credentials user:password; Balalaika's nodes are then only theirs")
    parser.add_argument("--name", default="balalaika", help="framework name")
    parser.add_argument("--role", default="*", help="Mesos role")
    parser.add_argument("--user", default="root", help="user tasks run as")
    parser.add_argument("--failover-timeout", type=float, default=7 * 24 * 3600.0,
                        help="seconds Mesos keeps the framework's tasks while no scheduler is connected")
    parser.add_argument("--principal", help="Mesos principal")
    parser.add_argument("--secret-file", type=Path, help="file holding the Mesos secret")
    parser.add_argument("--hostname", default=socket.gethostname(), help="hostname advertised as leader")
    parser.add_argument("--port", type=int, default=8080, help="port advertised in leader info (the API's)")
    parser.add_argument("--launch-timeout", type=float, default=300.0,
                        help="seconds a task may take to reach TASK_RUNNING before it is replaced")
    parser.add_argument("--reconcile-interval", type=float, default=600.0,
                        help="seconds between implicit reconciliations (how soon a returning partitioned task "
                             "is noticed)")
    parser.add_argument("--zk-session-timeout", type=float, default=DEFAULT_SESSION_TIMEOUT,
                        help="ZooKeeper session timeout in seconds (default %(default)s): how long a dead leader "
                             "keeps leadership, and how long a stalled one survives (about two thirds of it). "
                             "The server grants 2 to 20 of its ticks")
    parser.add_argument("--executor-command", default=ExecutorSettings.command,
                        help="how an agent starts Balalaika's executor for command apps (default %(default)s, "
                             "found on the agent's PATH)")
    parser.add_argument("--executor-cpus", type=float, default=ExecutorSettings.cpus,
                        help="cpus reserved once per executor (one per app configuration and agent)")
    parser.add_argument("--executor-mem", type=float, default=ExecutorSettings.mem,
                        help="mem (MB) reserved once per executor")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="serve Prometheus metrics at /metrics on this port (default: not served)")
    parser.add_argument("--metrics-host", default="127.0.0.1", help="address the metrics port listens on")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


class Daemon:
    """Election around the loop; also the target of signals (stop, pymesos aborts)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stopping = threading.Event()
        self.scheduler: Scheduler | None = None
        auth = tuple(args.zk_auth.split(":", 1)) if args.zk_auth else None
        self.client = connect(args.zk, auth=auth, timeout=args.zk_session_timeout)
        self.metrics = SchedulerMetrics()
        time_requests(self.client, self.metrics.zookeeper_operation)
        self.store = Store(self.client, args.zk_root)
        self.store.ensure_layout()
        # The loop reads apps, deployments and failures from the mirror; it keeps the task records in memory
        # and writes them and the events itself, so mirroring those would only re-read its own writes.
        self.mirror = Mirror(self.client, args.zk_root, tasks=False, events=False)
        # the master as given: the api shows it at /v2/info (marathon_config.master) and its dashboard reads
        # the agents' totals from it
        identity = {"id": str(uuid.uuid4()), "host": args.hostname, "port": args.port, "master": args.master}
        self.leadership = Leadership(self.client, args.zk_root, identity, session_timeout=args.zk_session_timeout)
        self.metrics.leading(lambda: self.leadership.is_leader)
        self.metrics_server = self.metrics.serve(args.metrics_port, args.metrics_host) if args.metrics_port else None
        self.config = SchedulerConfig(name=args.name, role=args.role, user=args.user, hostname=args.hostname,
                                      failover_timeout=args.failover_timeout, launch_timeout=args.launch_timeout,
                                      reconcile_interval=args.reconcile_interval,
                                      executors=ExecutorSettings(command=args.executor_command, cpus=args.executor_cpus,
                                                                 mem=args.executor_mem))

    def _connect_mesos(self, framework_info: dict, sink) -> MesosConnection:
        secret = self.args.secret_file.read_text().strip() if self.args.secret_file else None
        return MesosConnection(self.args.master, framework_info, sink, principal=self.args.principal,
                               secret=secret, may_act=lambda: self.leadership.is_leader)

    def stop(self) -> None:
        """Hands leadership over at once: the loop is woken to end its term now (not after its current wait),
        its Mesos subscription is closed without TEARDOWN, then the lock node is deleted, which is what the
        next contender waits for (and the session is closed right after, taking any other node with it)."""
        log.info("stopping")
        self.stopping.set()
        self.leadership.resign()
        scheduler = self.scheduler
        if scheduler is not None:
            scheduler.wake()

    def on_abort(self, error: str) -> None:
        if self.scheduler is not None:
            self.scheduler.events.put(DriverAborted(error))

    def lead(self) -> None:
        log.info("elected leader")
        self.scheduler = Scheduler(self.store, self.mirror, self._connect_mesos, self.config, metrics=self.metrics)
        try:
            self.scheduler.run(lambda: not self.stopping.is_set() and self.leadership.is_leader)
        finally:
            self.scheduler = None
            log.info("no longer leading")

    def run(self) -> int:
        self.mirror.start(timeout=60)
        pause = 0.0
        while not self.stopping.is_set():
            began = time.monotonic()
            self.leadership.run(self.lead)
            pause = contend_again_after(time.monotonic() - began, pause)
            self.stopping.wait(pause)
        self.mirror.stop()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
        self.client.stop()
        self.client.close()
        return 0


def contend_again_after(term: float, previous: float) -> float:
    """Seconds to wait before contending again after a term (or a wait in the election) of `term` seconds.

    A term that ended after a while (the session lost once) costs no pause: this process is a standby again
    at once. Terms that keep ending quickly (ZooKeeper refusing the leader's writes) back off up to 1 s so
    that they do not spin."""
    if term >= 10.0:
        return 0.0
    return min(1.0, max(0.05, 2 * previous))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    daemon = Daemon(args)
    install_signal_handlers(daemon.on_abort, daemon.stop)
    return daemon.run()


if __name__ == "__main__":
    sys.exit(main())
