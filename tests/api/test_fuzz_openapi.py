"""Schema-driven fuzzing: every operation of our OpenAPI document, with generated path ids, query
parameters and bodies (random JSON and mutated valid apps), must never answer 5xx."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.blueprints.openapi import document

OPERATIONS = [(path, method, operation) for path, methods in document()["paths"].items()
              for method, operation in methods.items() if path != "/v2/events"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
APP_KEYS = ["id", "cmd", "instances", "cpus", "mem", "portDefinitions", "container", "healthChecks", "constraints",
            "labels", "env", "dependencies", "upgradeStrategy", "networks", "ports", "version", "apps", "groups",
            "ids", "scaleBy", "fetch", "uris", "readinessChecks"]
mutated_apps = st.fixed_dictionaries(
    {"id": st.sampled_from(["/fz", "fz/a", "/fz/b", "", "/", "/A", "../x", "/fz/tasks"]),
     "cmd": st.sampled_from(["sleep 1", ""])},
    optional={key: json_values for key in APP_KEYS if key not in ("id", "cmd")})
bodies = st.one_of(mutated_apps, json_values, st.lists(mutated_apps, max_size=3),
                   st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
ids = st.one_of(st.sampled_from(["fz", "fz/a", "fz*", "x/../y", "%20", "fz.t1", "2026-11-26T20:00:00.000Z"]),
                st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=15))
query_values = st.one_of(st.sampled_from(["true", "False", "TRUE", "1", "", "apps.tasks", "running", "a==b",
                                          "x in (", "!k"]), st.text(max_size=8))


@st.composite
def requests(draw):
    path, method, operation = draw(st.sampled_from(OPERATIONS))
    url = path
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", quote(draw(ids), safe="/*"))
        elif draw(st.booleans()):
            query[parameter["name"]] = draw(query_values)
    body = draw(bodies) if "requestBody" in operation else None
    return method, url, query, body


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(request=requests())
def test_no_input_yields_a_server_error(client, request):
    method, url, query, body = request
    kwargs = {"query_string": query}
    if isinstance(body, str):
        kwargs.update(data=body, content_type="application/json")
    elif body is not None:
        kwargs["json"] = body
    response = client.open(url, method=method.upper(), **kwargs)
    assert response.status_code < 500, (method, url, query, body, response.get_data(as_text=True))
    if response.status_code >= 400:
        assert "message" in response.get_json()
