"""balalaika-api: the Marathon v2 REST API under gunicorn, started programmatically.

``balalaika-api --zk HOSTS [--root /balalaika] [--bind 127.0.0.1:8080] [--workers N] [--threads T]
[--auth-file F] [--certfile C --keyfile K] [--event-streams-per-client N] [--max-event-streams N]``.

Workers are gthread workers with `--threads` threads for requests plus one per /v2/events stream that the
stream bounds allow (threads are made as needed): with a pool of 16 shared by both, 60 subscribers
(balancers, dashboards, browser tabs) made `GET /v2/apps` time out. gevent workers were measured too
(bench/RESULTS.md): streams cheaper still, but a worker busy with reads starved its ZooKeeper client, and
writes under load timed out; threads keep the kazoo client scheduled preemptively. The stream bounds are
shared by the workers (api/stream_quota.py, made here in the master before the fork).
gunicorn's master handles SIGTERM with a graceful stop of its workers, and its SIGINT a quick one; we add
a bounded graceful timeout and the end of the open streams.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import resource
import shutil
import signal
import sys
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

from api.app_factory import create_app
from api.blueprints.events import end_all_streams
from api.metrics import MULTIPROC_ENV
from api.stream_quota import StreamQuota


class ApiServer(BaseApplication):
    """gunicorn with our options and our app factory (called in each worker after fork: lazy ZooKeeper)."""

    def __init__(self, options: dict, config: dict) -> None:
        self.options = options
        self.config_for_app = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        return create_app(self.config_for_app)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="balalaika-api", description=__doc__.splitlines()[0])
    parser.add_argument("--zk", required=True, help="ZooKeeper hosts, host:port[,host:port][/chroot]")
    parser.add_argument("--root", default="/balalaika", help="Balalaika's root znode")
    parser.add_argument("--bind", default="127.0.0.1:8080")
    parser.add_argument("--workers", type=int, default=min(4, (os.cpu_count() or 1) + 1))
    parser.add_argument("--auth-file", help="users/tokens JSON (see api/auth.py); auth is off without it")
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    parser.add_argument("--service-ports", default="10000-20000", help="range for servicePort 0")
    parser.add_argument("--edge-admin", help="balalaika-lb's stats port URL: the dashboard lists its routed services")
    parser.add_argument("--threads", type=int, default=16, help="request threads per worker (streams get more)")
    parser.add_argument("--max-body", type=int, default=5 * 1024 * 1024, help="request body limit (bytes)")
    parser.add_argument("--event-streams-per-client", type=int, default=250,
                        help="open /v2/events streams allowed from one client address (429 past it)")
    parser.add_argument("--max-event-streams", type=int, default=5000,
                        help="open /v2/events streams allowed in all (429 past it)")
    args = parser.parse_args(argv)
    if bool(args.certfile) != bool(args.keyfile):
        parser.error("--certfile and --keyfile go together")
    return args


def end_event_streams_on_sigterm(worker: object) -> None:
    """Chains the worker's SIGTERM handler (gunicorn's graceful stop) with ending the open /v2/events streams."""
    graceful = signal.getsignal(signal.SIGTERM)

    def stop(signum: int, frame: object) -> None:
        end_all_streams()
        if callable(graceful):
            graceful(signum, frame)

    signal.signal(signal.SIGTERM, stop)


def private_metrics_dir() -> str:
    """Sets PROMETHEUS_MULTIPROC_DIR to a fresh, empty directory of this server, where every worker writes
    its request counters and a scrape sums them (api/metrics.py); removed when the master exits (workers
    inherit the exit hook, hence the pid check). Call before anything imports prometheus_client."""
    path = tempfile.mkdtemp(prefix="balalaika-api-metrics-")
    os.environ[MULTIPROC_ENV] = path
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path


def forget_dead_worker(server: object, worker: Any) -> None:
    """gunicorn's child_exit hook (in the master): prometheus_client's bookkeeping for a worker that exited.
    Its counters stay in the sums, so they never go backwards."""
    from prometheus_client import multiprocess  # only now: after private_metrics_dir, as api/metrics.py explains

    multiprocess.mark_process_dead(worker.pid)


def raise_open_files_limit() -> None:
    """Each stream is a socket: the soft limit on open files (often 1,024) goes up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    config = {"ZK_HOSTS": args.zk, "ZK_ROOT": args.root, "SERVICE_PORTS": args.service_ports,
              "MAX_CONTENT_LENGTH": args.max_body}
    if args.auth_file:
        config["AUTH_FILE"] = args.auth_file
    if args.edge_admin:
        config["EDGE_ADMIN_URL"] = args.edge_admin
    # a worker may hold every stream: more slots than workers, since a restarted worker overlaps its successor
    config["EVENT_STREAM_QUOTA"] = StreamQuota(args.event_streams_per_client, args.max_event_streams,
                                               slots=2 * args.workers + 2)
    raise_open_files_limit()
    options = {
        "bind": args.bind,
        "workers": args.workers,
        "worker_class": "gthread",
        # a worker may hold every stream the bounds allow and still have its request threads
        "threads": args.threads + args.max_event_streams,
        "worker_connections": args.threads + args.max_event_streams + 1000,  # + idle keep-alive connections
        "certfile": args.certfile,
        "keyfile": args.keyfile,
        "graceful_timeout": 5,
        "timeout": 60,
        "keepalive": 5,
        "preload_app": False,  # never build the app (nor connect) in the master
        "accesslog": None,  # access logs would carry Authorization-bearing URLs of some clients
        "proc_name": "balalaika-api",
        "control_socket_disable": True,  # gunicorn 24+: one fixed path per user, which two servers would share
        "post_worker_init": end_event_streams_on_sigterm,
        "child_exit": forget_dead_worker,
    }
    private_metrics_dir()
    ApiServer(options, config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
