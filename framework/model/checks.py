"""Health checks and readiness checks.

Health checks have two executors: Marathon itself probes HTTP, HTTPS and TCP checks, the Mesos agent runs
COMMAND and MESOS_* checks. Marathon allows at most one Mesos-run check per app (older apps with several
COMMAND checks are tolerated) and IPv6 only where the agent probes a Docker container.
"""

from __future__ import annotations

from framework.model import defaults
from framework.model.errors import element
from framework.model.fields import Fields

PORT_INDEX_MESSAGE = ("Health check port indices must address an element of the ports array or container "
                      "port mappings.")
IPV6_MESSAGE = "IPv6 can only be used for container type DOCKER and Mesos http/https/tcp health checks"
ONE_MESOS_CHECK = "AppDefinition can contain at most one Mesos health check"


def read_health_checks(app: Fields, port_count: int, is_docker: bool) -> list[dict]:
    """Validated health checks with Marathon's defaults; port references are checked against port_count."""
    checks = []
    for item in app.objects("healthChecks"):
        check = read_health_check(item, port_count)
        agent_probes_docker = is_docker and check["protocol"] in ("MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
        if check["ipProtocol"] != "IPv4" and not agent_probes_docker:
            item.error(None, IPV6_MESSAGE)
        checks.append(check)
    mesos = [c for c in checks if c["protocol"] in defaults.MESOS_HEALTH_PROTOCOLS and "command" not in c]
    if len(mesos) > 1:
        app.error(None, ONE_MESOS_CHECK)
    return checks


def read_health_check(item: Fields, port_count: int) -> dict:
    """One validated health check with Marathon's defaults (errors go to ``item``)."""
    protocol = item.string("protocol", "HTTP", choices=defaults.HEALTH_PROTOCOLS)
    check: dict = {"protocol": protocol}
    for key, default in defaults.HEALTH_CHECK.items():
        check[key] = item.integer(key, default, minimum=0)
    check["ipProtocol"] = item.string("ipProtocol", "IPv4", choices=defaults.IP_PROTOCOLS)
    command = item.object("command")
    if protocol == "COMMAND":
        _read_command(item, command, check)
        return check
    if command is not None:
        item.error("protocol", "must be COMMAND when a command is given")
    if protocol in defaults.HTTP_HEALTH_PROTOCOLS:
        path = item.string("path")
        if path is not None:
            check["path"] = path
    if protocol in ("HTTP", "HTTPS"):
        check["ignoreHttp1xx"] = item.boolean("ignoreHttp1xx", False)
    _read_port(item, port_count, check)
    return check


def _read_command(item: Fields, command: dict | None, check: dict) -> None:
    """A COMMAND check's ``command`` (required, with a ``value``) into ``check``."""
    if command is None:
        item.error("command", "is required for COMMAND health checks")
    else:
        value = Fields(command, item.at("command"), item.errors).string("value", "", required=True)
        check["command"] = {"value": value}


def _read_port(item: Fields, port_count: int, check: dict) -> None:
    """A probed check's ``port`` or ``portIndex`` into ``check``; the index must address one of the app's
    ``port_count`` ports, and one of the two is required unless Marathon's default index 0 applies."""
    port = item.integer("port", None, minimum=0, maximum=defaults.MAX_PORT)
    port_index = item.integer("portIndex", None, minimum=0, maximum=defaults.MAX_PORT)
    if port is None and port_index is None and port_count and not item.has("port"):
        # Marathon once required portIndex with default 0; it still adds it when the app has ports.
        port_index = 0
    if port is not None:
        check["port"] = port
    if port_index is not None:
        check["portIndex"] = port_index
        if port_index >= port_count:
            item.error(None, PORT_INDEX_MESSAGE)
    elif port is None and not item.has("port") and not item.has("portIndex"):
        item.error(None, PORT_INDEX_MESSAGE)


def read_readiness_checks(app: Fields, port_names: list[str | None]) -> list[dict]:
    """Validated readiness checks; each must name one of the app's ports."""
    items = app.objects("readinessChecks")
    if len(items) > 1:
        app.error("readinessChecks", f"got {len(items)}, expected 1 or less")
    return [read_readiness_check(item, port_names) for item in items]


def read_readiness_check(item: Fields, port_names: list[str | None]) -> dict:
    d = defaults.READINESS_CHECK
    check = {
        "name": item.string("name", d["name"], non_empty=True),
        "protocol": item.string("protocol", d["protocol"], choices=("HTTP", "HTTPS")),
        "path": item.string("path", d["path"], non_empty=True, max_length=1024),
        "portName": item.string("portName", d["portName"], pattern=defaults.PORT_NAME),
        "intervalSeconds": item.integer("intervalSeconds", d["intervalSeconds"], minimum=0),
        "timeoutSeconds": item.integer("timeoutSeconds", d["timeoutSeconds"], minimum=1),
        "httpStatusCodesForReady": read_status_codes(item),
        "preserveLastResponse": item.boolean("preserveLastResponse", d["preserveLastResponse"]),
    }
    if check["portName"] not in port_names:
        item.error("portName", f"No port definition reference for portName {check['portName']}")
    if check["timeoutSeconds"] >= check["intervalSeconds"]:
        item.error("timeoutSeconds", f"got {check['timeoutSeconds']}, expected less than "
                                     f"{check['intervalSeconds']}")
    return check


def read_status_codes(item: Fields) -> list[int]:
    codes = item.array("httpStatusCodesForReady")
    if not codes:
        # Marathon treats an empty list like a missing one.
        return list(defaults.READINESS_CHECK["httpStatusCodesForReady"])
    result = []
    for index, code in enumerate(codes):
        path = element(item.at("httpStatusCodesForReady"), index)
        if isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599:
            if code not in result:
                result.append(code)
        else:
            item.errors.add(path, "expected an HTTP status code")
    return result
