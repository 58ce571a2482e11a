"""balalaika-lb as a daemon: its admin pages, its HAProxy (started, or found on the master socket), the
loop; SIGTERM or SIGINT stops it, and the HAProxy it started with it."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from launchers.haproxy import HAProxy, HAProxyError, check_config
from launchers.process import free_port
from launchers.waiting import GiveUp, WaitTimeout
from lb.admin import AdminPages, AdminServer
from lb.apply import Applier, ApplyError
from lb.daemon import RELOAD, RESYNC, Balancer, Timing
from lb.main import edge_of, options_of
from lb.marathon import MarathonClient
from lb.metrics import LbMetrics
from lb.model import Routing
from lb.resolver import Resolver
from lb.state import AppsState

log = logging.getLogger("balalaika-lb")


def serve(args: argparse.Namespace, client: MarathonClient) -> int:
    config_path = args.haproxy_config
    config_path.parent.mkdir(parents=True, exist_ok=True)
    metrics = LbMetrics()
    admin_port = free_port()
    edge = edge_of(args, admin_port)
    haproxy = HAProxy(config_path, config_path.parent, args.haproxy_bin,
                      args.master_socket or config_path.parent / "master.sock")
    applier = Applier(config_path, edge, None, lambda path: check_config(path, args.haproxy_bin))
    state = AppsState(options_of(args), Resolver(), frozenset(edge.reserved_ports()))
    balancer = Balancer(client, state, applier, metrics,
                        Timing(resync_interval=args.resync_interval, poll_interval=args.poll_interval,
                               reconnect_max=args.reconnect_max),
                        sse=args.sse, reload=haproxy.reload)
    pages = AdminPages(metrics, lambda: applier.text or "", lambda: applier.routing, haproxy.worker_pids,
                       lambda name: balancer.inbox.put(RESYNC if name == "hup" else RELOAD))
    admin = AdminServer(pages, admin_port).start()
    started = False
    try:
        applier.apply(Routing(()))  # HAProxy starts with the edge's own frontends; apps follow at once
        if haproxy.answers():
            log.info("driving the HAProxy on %s", haproxy.master_socket)
            haproxy.reload()
        else:
            haproxy.start()
            started = True
            log.info("started HAProxy (master socket %s)", haproxy.master_socket)
        applier.haproxy = haproxy
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: balancer.stop())
        balancer.run()
    except (ApplyError, HAProxyError, OSError, GiveUp, WaitTimeout) as error:
        print(f"balalaika-lb: {error}", file=sys.stderr)
        return 1
    finally:
        admin.stop()
        if started:
            haproxy.stop()
    return 0
