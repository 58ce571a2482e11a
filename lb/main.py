"""balalaika-lb: keeps an HAProxy routing to the apps of a Marathon-compatible API (a Marathon-LB drop-in).

Marathon-LB's flags work as its users type them. `--dry` prints the config for the API's current apps
and exits; it imports only what rendering needs, since it is timed as a whole process.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from pathlib import Path

from lb.marathon import MarathonClient, MarathonUnavailable
from lb.model import Routing
from lb.render import Edge, render
from lb.services import Options
from lb.state import AppsState

EPILOG = """\
Labels (per app): HAPROXY_GROUP; per service port n: HAPROXY_{n}_VHOST (comma list), _PATH, _MODE, _BALANCE,
_STICKY, _REDIRECT_TO_HTTPS, _BIND_ADDR, _BIND_OPTIONS, _PORT, _ENABLED, _BACKEND_WEIGHT, _GROUP; raw templates
(_FRONTEND_HEAD, _BACKEND_HEAD, _BACKEND_HTTP_OPTIONS, _BACKEND_STICKY_OPTIONS, _BACKEND_SERVER_OPTIONS) only
with --allow-app-templates. An app whose labels cannot be used is skipped with a logged reason (see
/_balalaika_skipped and /metrics on the stats port); every other app is still routed.

Examples:
  balalaika-lb --marathon http://127.0.0.1:8080 --group external --health-check
  balalaika-lb --marathon http://m1:8080 --marathon http://m2:8080 --group '*' --dry
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="balalaika-lb", description=__doc__.splitlines()[0], epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--marathon", "-m", action="append", metavar="URL",
                   help="the API's base URL; repeat for failover (default http://127.0.0.1:8080)")
    p.add_argument("--group", action="append", metavar="NAME",
                   help="route apps whose HAPROXY_GROUP is NAME; repeatable; '*' routes every app (default external)")
    p.add_argument("--haproxy-config", default="/var/lib/balalaika-lb/haproxy.cfg", type=Path,
                   help="the config file written and served (default %(default)s)")
    p.add_argument("--haproxy-bin", default="haproxy", help="the HAProxy binary (default %(default)s)")
    p.add_argument("--master-socket", type=Path,
                   help="HAProxy's master CLI socket: drive the HAProxy listening there, else start one with it "
                        "(default: master.sock beside the config)")
    p.add_argument("--admin-socket", type=Path,
                   help="the worker's stats socket written into the config (default: admin.sock beside the config)")
    p.add_argument("--dry", "-d", action="store_true", help="print the config for the current apps and exit")
    p.add_argument("--sse", "-s", dest="sse", action="store_true", default=True,
                   help="follow /v2/events between snapshots (the default)")
    p.add_argument("--no-sse", dest="sse", action="store_false", help="poll every --poll-interval instead")
    p.add_argument("--poll-interval", type=float, default=60.0, help="seconds between snapshots without --sse")
    p.add_argument("--resync-interval", type=float, default=300.0, help="seconds between full snapshots")
    p.add_argument("--reconnect-max", type=float, default=30.0,
                   help="longest wait between attempts to reach the API (jittered backoff)")
    p.add_argument("--health-check", "-H", action="store_true",
                   help="route a task of an app with health checks only once its checks pass")
    p.add_argument("--strict-mode", action="store_true", help="route a port only with HAPROXY_{n}_ENABLED=true")
    p.add_argument("--allow-app-templates", action="store_true",
                   help="let apps' HAPROXY_{n}_*_HEAD/OPTIONS labels supply raw HAProxy text (off: an app owner "
                        "must not rewrite another team's routing)")
    p.add_argument("--bind-http-https", dest="bind_http_https", action="store_true", default=True,
                   help="bind the shared virtual-host frontends on --http-port/--https-port (the default)")
    p.add_argument("--dont-bind-http-https", dest="bind_http_https", action="store_false")
    p.add_argument("--ssl-certs", default="", help="comma-separated PEM files: serve --https-port with them")
    p.add_argument("--bind-address", default="*", help="address of the shared frontends and default of "
                   "service ports (default every address)")
    p.add_argument("--http-port", type=int, default=80)
    p.add_argument("--https-port", type=int, default=443)
    p.add_argument("--appid-port", type=int, default=9091, help="routes on X-Marathon-App-Id; 0 disables")
    p.add_argument("--stats-port", type=int, default=9090,
                   help="HAProxy stats, /_haproxy_health_check, /_haproxy_getconfig, /metrics")
    p.add_argument("--hard-stop-after", default="60s",
                   help="how long old HAProxy workers may finish their connections after a reload")
    p.add_argument("--maxconn", type=int, help="HAProxy's global maxconn (default: from the file-descriptor limit)")
    p.add_argument("--auth-credentials", metavar="USER:PASSWORD", help="HTTP basic auth for the API")
    p.add_argument("--log-level", default="INFO")
    return p


def edge_of(args: argparse.Namespace, admin_port: int | None = None) -> Edge:
    config_dir = args.haproxy_config.parent
    return Edge(bind_addr=args.bind_address,
                http_port=args.http_port if args.bind_http_https else None,
                https_port=args.https_port if args.bind_http_https else None,
                appid_port=args.appid_port or None, stats_port=args.stats_port, admin_port=admin_port,
                ssl_certs=tuple(path for path in args.ssl_certs.split(",") if path),
                admin_socket=str(args.admin_socket or config_dir / "admin.sock"),
                hard_stop_after=args.hard_stop_after, maxconn=args.maxconn)


def options_of(args: argparse.Namespace) -> Options:
    return Options(groups=frozenset(args.group or ["external"]), strict_mode=args.strict_mode,
                   health_check=args.health_check, allow_templates=args.allow_app_templates,
                   bind_addr=args.bind_address)


def rendered(apps: list[dict], args: argparse.Namespace) -> tuple[Routing, str]:
    """The routing of `apps` under the flags, and its config text: all that --dry computes."""
    from lb.resolver import Resolver

    edge = edge_of(args)
    state = AppsState(options_of(args), Resolver(), frozenset(edge.reserved_ports()))
    state.replace_all(apps)
    routing = state.routing()
    return routing, render(routing, edge)


def dry_run(args: argparse.Namespace, client: MarathonClient) -> int:
    # A one-shot process holding a snapshot of millions of small objects: the cyclic collector would
    # only rescan them (a third of the run at 3,000 apps), and nothing here makes cycles.
    gc.disable()
    try:
        routing, text = rendered(client.apps(), args)
    except MarathonUnavailable as error:
        print(f"balalaika-lb: the API does not answer: {error}", file=sys.stderr)
        return 1
    for skip in routing.skipped:
        print(f"balalaika-lb: skipped {skip.app_id} ({skip.reason}): {skip.detail}", file=sys.stderr)
    sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    client = MarathonClient(args.marathon or ["http://127.0.0.1:8080"], args.auth_credentials)
    if args.dry:
        code = dry_run(args, client)
        sys.stdout.flush()
        os._exit(code)  # skip freeing the snapshot object by object: the kernel takes the memory back at once
    from lb.serve import serve

    return serve(args, client)


if __name__ == "__main__":
    sys.exit(main())
