"""Bad definitions: each is rejected at the JSON path Marathon reports, with a message that says why."""

import pytest

from framework.model import ValidationError, normalize_app

BASE = {"id": "/app", "cmd": "sleep 1"}


def app(**fields):
    return {**BASE, **fields}


def docker(image="nginx", network=None, **docker_fields):
    spec = {"image": image, **docker_fields}
    if network:
        spec["network"] = network
    return {"type": "DOCKER", "docker": spec}


@pytest.mark.parametrize(("raw", "path", "message"), [
    (app(cpus=-1), "/cpus", "got -1, expected 0.001 or more"),
    (app(cpus="1"), "/cpus", "expected a number"),
    (app(cpus=True), "/cpus", "expected a number"),
    (app(mem=-0.5), "/mem", "got -0.5, expected 0 or more"),
    (app(disk=[]), "/disk", "expected a number"),
    (app(gpus=1.5), "/gpus", "expected an integer"),
    (app(instances=-1), "/instances", "got -1, expected 0 or more"),
    (app(instances=1.5), "/instances", "expected an integer"),
    (app(backoffFactor=0.5), "/backoffFactor", "got 0.5, expected 1.0 or more"),
    (app(maxLaunchDelaySeconds=-1), "/maxLaunchDelaySeconds", "got -1, expected 0 or more"),
    (app(killSelection="RANDOM"), "/killSelection", "must be one of YOUNGEST_FIRST, OLDEST_FIRST"),
    (app(cmd=""), "/cmd", "must not be empty"),
    (app(args=["a", 1]), "/args(1)", "expected a string"),
    (app(labels={"a": 1}), "/labels/a", "expected a string"),
    (app(env={"PORT": 80}), "/env/PORT", 'expected a string or a secret reference {"secret": ...}'),
    (app(requirePorts="yes"), "/requirePorts", "expected a boolean"),
    (app(taskKillGracePeriodSeconds=-3), "/taskKillGracePeriodSeconds", "got -3, expected 0 or more"),
    (app(executor="//"), "/executor", "must fully match regular expression "
                                      "'(//cmd)|(/?[^/]+(/[^/]+)*)|'"),
    (app(upgradeStrategy={"minimumHealthCapacity": 1.5}), "/upgradeStrategy/minimumHealthCapacity",
     "got 1.5, expected 1.0 or less"),
    (app(upgradeStrategy={"maximumOverCapacity": -0.1}), "/upgradeStrategy/maximumOverCapacity",
     "got -0.1, expected 0.0 or more"),
    (app(unreachableStrategy={"inactiveAfterSeconds": 10, "expungeAfterSeconds": 5}),
     "/unreachableStrategy/inactiveAfterSeconds",
     "inactiveAfterSeconds (10) must be less or equal to expungeAfterSeconds, which is 5"),
    (app(unreachableStrategy="sometimes"), "/unreachableStrategy", 'expected "disabled" or an object'),
    (app(portDefinitions=[{"port": 70000}]), "/portDefinitions(0)/port", "got 70000, expected 65535 or less"),
    (app(portDefinitions=[{"protocol": "sctp"}]), "/portDefinitions(0)/protocol",
     "must be one of tcp, udp, udp,tcp"),
    (app(portDefinitions=[{"name": "Web"}]), "/portDefinitions(0)/name",
     "must fully match regular expression '[a-z0-9]([-a-z0-9]*[a-z0-9])?'"),
    (app(portDefinitions=[{"name": "a"}, {"name": "a"}]), "/portDefinitions", "Port names must be unique."),
    (app(portDefinitions=[{"port": 80}, {"port": 80}]), "/portDefinitions", "Ports must be unique."),
    (app(ports=[80, 80]), "/", "ports must be unique"),
    (app(ports=["80"]), "/ports(0)", "expected an integer"),
    (app(ports=[80], portDefinitions=[{"port": 81}]), "/", "cannot specify both ports and port definitions"),
    (app(fetch=[{"extract": True}]), "/fetch(0)/uri", "is required"),
    (app(uris=["http://a/b"], fetch=[{"uri": "http://a/c"}]), "/uris",
     "may not be set in conjunction with fetch"),
    (app(dependencies=["/Upper"]), "/dependencies(0)",
     "must fully match regular expression '(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*"
     "([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])'"),
    (app(acceptedResourceRoles=[]), "/acceptedResourceRoles", "must not be empty"),
    (app(container="docker"), "/container", "expected an object"),
    (app(container={"type": "RKT"}), "/container/type", "must be one of DOCKER, MESOS"),
    (app(container={"type": "DOCKER"}), "/container/docker", "not defined"),
    (app(container={"type": "DOCKER", "docker": {}}), "/container/docker/image", "is required"),
    (app(container={"type": "DOCKER", "docker": {"image": ""}}), "/container/docker/image", "must not be empty"),
    (app(container=docker(parameters=[{"key": "", "value": "x"}])), "/container/docker/parameters(0)/key",
     "must not be empty"),
    (app(container=docker(network="NONE")), "/container/docker/network", "unsupported docker network type NONE"),
    (app(container={"type": "MESOS", "docker": {"image": "a", "parameters": [{"key": "k", "value": "v"}]}}),
     "/container/docker/parameters", "must be empty"),
    (app(container=docker(credential={"principal": "p"})), "/container/docker/credential", "must be empty"),
    (app(container={"type": "MESOS", "volumes": [{"hostPath": "/a"}]}), "/container/volumes(0)/containerPath",
     "is required"),
    (app(container={"type": "MESOS", "volumes": [{"containerPath": "a", "persistent": {"size": 0}}]}),
     "/container/volumes(0)/persistent/size", "got 0, expected 1 or more"),
    (app(container=docker(network="BRIDGE", portMappings=[{"containerPort": -1}])),
     "/container/docker/portMappings(0)/containerPort", "got -1, expected 0 or more"),
    (app(networks=[{"mode": "container/bridge"}], container={**docker(), "portMappings": [{"hostPort": "x"}]}),
     "/container/portMappings(0)/hostPort", "expected an integer"),
    (app(networks=[{"mode": "container/bridge"}],
         container={**docker(), "portMappings": [{"name": "a"}, {"name": "a"}]}),
     "/container/portMappings", "Port names must be unique."),
    (app(networks=[{"mode": "container/bridge"}],
         container=docker(portMappings=[{}]) | {"portMappings": [{}]}),
     "/container", "cannot specify both portMappings and docker.portMappings"),
    (app(networks=[{"mode": "container"}]), "/networks",
     "Network name must be specified when container network is selected."),
    (app(networks=[{"mode": "host", "name": "a"}]), "/networks", "Host networks may not have names or labels"),
    (app(networks=[{"mode": "container/bridge", "name": "a"}]), "/networks",
     "Bridge networks may not have names"),
    (app(networks=[{"mode": "container", "name": "a"}, {"mode": "container", "name": "a"}]), "/networks",
     "Duplicate networks are not allowed"),
    (app(networks=[{"mode": "host"}, {"mode": "container/bridge"}]), "/networks",
     "May specify a single host network, single bridge network, or else 1-to-n container networks"),
    (app(networks=[{"mode": "overlay"}]), "/networks(0)/mode",
     "must be one of container, container/bridge, host"),
    (app(networks=[{"mode": "container", "name": "a"}], container=docker(network="USER")), "/",
     "must not specify both container.docker.network and networks"),
    (app(container={**docker(), "portMappings": [{"networkNames": ["b"]}]},
         networks=[{"mode": "container", "name": "a"}]),
     "/container/portMappings(0)/networkNames(0)", "is not one of (a)"),
    (app(container={**docker()}, networks=[{"mode": "container", "name": "a"}, {"mode": "container", "name": "b"}]),
     "/", "may only specify a single container network when using the Docker container engine"),
    (app(gpus=1, container=docker()), "/", "GPU resources only work with the Mesos containerizer"),
    (app(labels={"MARATHON_SINGLE_INSTANCE_APP": "true"}, instances=2), "/",
     "Single instance app may only have one instance"),
    (app(labels={"MARATHON_SINGLE_INSTANCE_APP": "true"}, upgradeStrategy={"minimumHealthCapacity": 1}),
     "/upgradeStrategy/minimumHealthCapacity", "got 1, expected 0.0"),
    (app(ipAddress={"networkName": "a"}, networks=[{"mode": "container", "name": "a"}]), "/",
     "must not specify both networks and ipAddress"),
])
def test_bad_field_is_reported_at_its_path(errors_of, raw, path, message):
    errors = errors_of(raw)
    assert path in errors, errors
    assert message in errors[path]


@pytest.mark.parametrize(("raw", "path", "message"), [
    ({"cmd": "x"}, "/id", "is required"),
    ({"id": 5, "cmd": "x"}, "/id", "expected a string"),
    ({"id": "/", "cmd": "x"}, "/id", "Path must contain at least one path element"),
    ({"id": "/a/..", "cmd": "x"}, "/id", "Path must contain at least one path element"),
    ({"id": "/a/B", "cmd": "x"}, "/id", "must fully match regular expression"),
    ({"id": "/a/-b", "cmd": "x"}, "/id", "must fully match regular expression"),
    ({"id": "/a/b-", "cmd": "x"}, "/id", "must fully match regular expression"),
    ({"id": "/a/b_c", "cmd": "x"}, "/id", "must fully match regular expression"),
    ({"id": "/a/tasks", "cmd": "x"}, "/id", "must not end with any of the following reserved keywords"),
])
def test_bad_ids(errors_of, raw, path, message):
    errors = errors_of(raw)
    assert any(m.startswith(message) for m in errors[path]), errors


@pytest.mark.parametrize("raw", [
    {"id": "/a"},
    {"id": "/a", "container": {"type": "DOCKER", "docker": None}},
    {"id": "/a", "cmd": "x", "args": ["y"]},
])
def test_an_app_needs_something_to_run(errors_of, raw):
    assert "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'." in errors_of(raw)["/"]


@pytest.mark.parametrize(("check", "path", "message"), [
    ({"protocol": "HTTP", "portIndex": 1}, "/healthChecks(0)",
     "Health check port indices must address an element of the ports array or container port mappings."),
    ({"protocol": "GRPC"}, "/healthChecks(0)/protocol",
     "must be one of HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP"),
    ({"protocol": "COMMAND"}, "/healthChecks(0)/command", "is required for COMMAND health checks"),
    ({"protocol": "HTTP", "command": {"value": "true"}}, "/healthChecks(0)/protocol",
     "must be COMMAND when a command is given"),
    ({"intervalSeconds": -1}, "/healthChecks(0)/intervalSeconds", "got -1, expected 0 or more"),
    ({"ipProtocol": "IPv6"}, "/healthChecks(0)",
     "IPv6 can only be used for container type DOCKER and Mesos http/https/tcp health checks"),
    ({"port": 70000}, "/healthChecks(0)/port", "got 70000, expected 65535 or less"),
])
def test_bad_health_checks(errors_of, check, path, message):
    assert message in errors_of(app(healthChecks=[check]))[path]


def test_at_most_one_mesos_health_check(errors_of):
    checks = [{"protocol": "MESOS_HTTP"}, {"protocol": "MESOS_TCP"}]
    assert errors_of(app(healthChecks=checks))["/"] == ["AppDefinition can contain at most one Mesos health check"]


def test_health_check_port_index_is_checked_against_port_mappings(errors_of):
    raw = app(networks=[{"mode": "container/bridge"}],
              container={**docker(), "portMappings": [{"containerPort": 80}]},
              healthChecks=[{"portIndex": 0}, {"portIndex": 1}])
    assert list(errors_of(raw)) == ["/healthChecks(1)"]


@pytest.mark.parametrize(("check", "path", "message"), [
    ({"portName": "nope"}, "/readinessChecks(0)/portName", "No port definition reference for portName nope"),
    ({"portName": "web", "timeoutSeconds": 30}, "/readinessChecks(0)/timeoutSeconds",
     "got 30, expected less than 30"),
    ({"portName": "web", "protocol": "TCP"}, "/readinessChecks(0)/protocol", "must be one of HTTP, HTTPS"),
    ({"portName": "web", "httpStatusCodesForReady": [200, "ok"]},
     "/readinessChecks(0)/httpStatusCodesForReady(1)", "expected an HTTP status code"),
])
def test_bad_readiness_checks(errors_of, check, path, message):
    raw = app(portDefinitions=[{"name": "web"}], readinessChecks=[check])
    assert message in errors_of(raw)[path]


def test_only_one_readiness_check(errors_of):
    raw = app(portDefinitions=[{"name": "web"}], readinessChecks=[{"portName": "web"}] * 2)
    assert errors_of(raw)["/readinessChecks"] == ["got 2, expected 1 or less"]


@pytest.mark.parametrize(("constraint", "message"), [
    (["hostname"], "Each constraint must have either 2 or 3 fields"),
    (["hostname", "UNIQUE", "a", "b"], "Each constraint must have either 2 or 3 fields"),
    (["hostname", "NEAR"], "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, "
                           "UNLIKE or IS"),
    (["", "UNIQUE"], "missing field for constraint declaration"),
    (["hostname", "UNIQUE", "x"], "UNIQUE does not accept a value"),
    (["rack", "GROUP_BY", "two"], "GROUP BY must define an integer value or else no value at all"),
    (["rack", "MAX_PER"], "MAX_PER requires an integer value"),
    (["rack", "MAX_PER", "1.5"], "MAX_PER requires an integer value"),
    (["hostname", "LIKE"], "LIKE and UNLIKE require a non-empty, regular expression value"),
    (["hostname", "UNLIKE", "a("], "is not a valid regular expression"),
    (["os", "IS", "a b"], "IS only supports Mesos text and float values "
                          "(see http://mesos.apache.org/documentation/latest/attributes-resources/)"),
    (["hostname", "MAX_PER", 2], "expected an array of strings"),
    ("hostname:UNIQUE", "expected an array"),
])
def test_bad_constraints(errors_of, constraint, message):
    assert errors_of(app(constraints=[["a", "CLUSTER", "b"], constraint]))["/constraints(1)"] == [message]


def test_all_errors_are_reported_at_once(errors_of):
    raw = {"id": "/Bad", "cpus": -1, "mem": "lots", "instances": -2, "portDefinitions": [{"port": -1}],
           "healthChecks": [{"protocol": "X"}], "constraints": [["a"]]}
    assert set(errors_of(raw)) == {"/id", "/", "/cpus", "/mem", "/instances", "/portDefinitions(0)/port",
                                   "/healthChecks(0)/protocol", "/constraints(0)"}


def test_errors_in_nested_groups_carry_the_nested_path():
    from framework.model import normalize_group

    body = {"id": "/prod", "groups": [{"id": "web", "apps": [{"id": "api", "cmd": "x", "cpus": -1},
                                                             {"id": "/other/app", "cmd": "x"}]}]}
    with pytest.raises(ValidationError) as caught:
        normalize_group(body)
    details = {d["path"]: d["errors"] for d in caught.value.details}
    assert details == {"/groups(0)/apps(0)/cpus": ["got -1, expected 0.001 or more"],
                       "/groups(0)/apps(1)/id": ["Identifier is not child of '/prod/web'"]}


def test_non_object_bodies_are_validation_errors():
    for body in (None, [], "app", 3):
        with pytest.raises(ValidationError) as caught:
            normalize_app(body)
        assert caught.value.details == [{"path": "/", "errors": ["expected a JSON object"]}]
        assert caught.value.to_json()["message"] == "Object is not valid"
