"""Properties: any JSON is either accepted or rejected with ValidationError, and acceptance is stable."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.model import ValidationError, normalize_app, normalize_group

KEYS = ["id", "cmd", "args", "cpus", "mem", "disk", "gpus", "instances", "container", "docker", "type",
        "image", "network", "networks", "mode", "name", "portMappings", "portDefinitions", "ports", "port",
        "containerPort", "hostPort", "servicePort", "protocol", "labels", "env", "healthChecks", "portIndex",
        "command", "value", "readinessChecks", "portName", "constraints", "upgradeStrategy",
        "minimumHealthCapacity", "maximumOverCapacity", "unreachableStrategy", "fetch", "uri", "uris",
        "dependencies", "volumes", "persistent", "size", "ipAddress", "discovery", "apps", "groups",
        "httpStatusCodesForReady", "secret", "versionInfo", "networkNames", "acceptedResourceRoles"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-70000, 70000), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "/a", "a", "..", "DOCKER", "MESOS", "HOST", "BRIDGE", "USER", "NONE", "host",
                     "container", "container/bridge", "tcp", "HTTP", "COMMAND", "MESOS_TCP", "UNIQUE", "LIKE",
                     "MAX_PER", "IS", "disabled", "IPv6", "x(", "default", "http-api"]),
    st.text(max_size=8),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=4)),
                                               children, max_size=6)),
    max_leaves=30,
)
APP_LIKE = st.builds(lambda app_id, rest: {**rest, "id": app_id}, st.sampled_from(["/a", "b/c", "/x/../y"]),
                     st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, APP_LIKE))
def test_any_json_is_accepted_or_raises_validation_error(raw):
    for normalize in (normalize_app, normalize_group):
        try:
            result = normalize(raw)
        except ValidationError as error:
            assert error.details and all(d["path"].startswith("/") and d["errors"] for d in error.details)
        else:
            assert normalize(result) == result


def locations(value, prefix=()):
    """Every (path tuple) inside a JSON value, the value itself excluded."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from locations(child, (*prefix, key))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_real_apps_are_accepted_or_raise_validation_error(example, data):
    # Random JSON rarely gets deep into a definition; damaging a valid one reaches every checker.
    group = example("group.json")
    raw = data.draw(st.sampled_from([group["groups"][0]["apps"][0], group["groups"][0]["groups"][1]["apps"][0]]))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(list(locations(raw))))
        parent = raw
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = data.draw(JSON)
    try:
        result = normalize_app(raw)
    except ValidationError as error:
        assert all(d["path"].startswith("/") and d["errors"] for d in error.details)
    else:
        assert normalize_app(result) == result
