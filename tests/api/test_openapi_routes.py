"""The OpenAPI document's route table (api/blueprints/openapi.py) and the routes Flask serves are the same:
every Flask rule is documented with each of its methods, and every documented operation is served.
The fuzz test (test_fuzz_openapi.py) only reaches what the document lists, so a gap here is a route that
nothing fuzzes."""

from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from api import create_app
from api.blueprints.openapi import document

# The document describes the API; its own URL is not one of the API's operations, nor are the dashboard's
# HTML pages and form posts under /ui/ (tests/api/ui, tests/ui).
DOCUMENT_ITSELF = {"/openapi.json", "/v2/openapi.json"}
DASHBOARD = "/ui/"
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def flask_app():
    return create_app({"ZK_HOSTS": "", "TESTING": True})  # the routes only: no backend


def template(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/v2/apps/<path:app_id>`` -> ``/v2/apps/{app_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def served(flask_app) -> set[tuple[str, str]]:
    return {(template(rule.rule), method.lower()) for rule in flask_app.url_map.iter_rules()
            if rule.rule not in DOCUMENT_ITSELF and not rule.rule.startswith(DASHBOARD)
            for method in rule.methods - IMPLICIT_METHODS}


def documented() -> set[tuple[str, str]]:
    return {(path, method) for path, methods in document()["paths"].items() for method in methods}


def test_every_served_route_is_documented(flask_app) -> None:
    assert served(flask_app) - documented() == set()
    assert any(path.startswith("/v2/") for path, _ in served(flask_app))  # the comparison saw the API


def test_every_documented_operation_is_served(flask_app) -> None:
    adapter = flask_app.url_map.bind("localhost")
    unserved = []
    for path, method in sorted(documented()):
        url = re.sub(r"\{[^}]+\}", "x", path)
        try:
            adapter.match(url, method=method.upper())
        except (NotFound, MethodNotAllowed):
            unserved.append((method, path))
    assert unserved == []


def test_documented_path_parameters_are_the_routes_variables() -> None:
    for path, methods in document()["paths"].items():
        in_path = re.findall(r"\{([^}]+)\}", path)
        for method, operation in methods.items():
            declared = [p["name"] for p in operation["parameters"] if p["in"] == "path"]
            assert declared == in_path, (method, path)
