"""The drain time of an app's tasks (BALALAIKA_DRAIN_SECONDS) and its validation."""

import pytest

from framework.model import DRAIN_LABEL, drain_seconds, normalize_app
from framework.model.drain import DEFAULT_DRAIN_SECONDS, MAX_DRAIN_SECONDS

EDGE = {"HAPROXY_GROUP": "external"}


def _app(**labels: str) -> dict:
    return {"id": "/web", "labels": labels}


def test_an_app_no_edge_routes_to_is_killed_at_once() -> None:
    assert drain_seconds(_app()) == 0
    assert drain_seconds({"id": "/web"}) == 0
    assert drain_seconds(_app(HAPROXY_GROUP="")) == 0


def test_an_app_routed_by_an_edge_drains_five_seconds_by_default() -> None:
    assert DEFAULT_DRAIN_SECONDS == 5.0
    assert drain_seconds(_app(**EDGE)) == DEFAULT_DRAIN_SECONDS


@pytest.mark.parametrize(("value", "edge", "seconds"), [
    ("3", True, 3.0), ("2.5", False, 2.5), ("0", True, 0.0), ("300", False, 300.0), (" 7 ", True, 7.0),
])
def test_the_label_sets_the_drain_time_with_or_without_an_edge(value: str, edge: bool, seconds: float) -> None:
    labels = {**(EDGE if edge else {}), DRAIN_LABEL: value}
    assert drain_seconds(_app(**labels)) == seconds


@pytest.mark.parametrize(("value", "seconds"), [("-4", 0.0), ("301", MAX_DRAIN_SECONDS), ("1e9", MAX_DRAIN_SECONDS)])
def test_a_stored_out_of_range_value_is_clamped(value: str, seconds: float) -> None:
    assert drain_seconds(_app(**{DRAIN_LABEL: value})) == seconds


@pytest.mark.parametrize("value", ["soon", "", "nan", "inf", "5s"])
def test_a_stored_unreadable_value_falls_back_to_the_default(value: str) -> None:
    assert drain_seconds(_app(**EDGE, **{DRAIN_LABEL: value})) == DEFAULT_DRAIN_SECONDS
    assert drain_seconds(_app(**{DRAIN_LABEL: value})) == 0


@pytest.mark.parametrize(("value", "message"), [
    ("soon", "must be a number of seconds, not 'soon'"),
    ("nan", "must be a number of seconds, not 'nan'"),
    ("-1", "must be between 0 and 300 seconds, not '-1'"),
    ("300.5", "must be between 0 and 300 seconds, not '300.5'"),
])
def test_validation_rejects_a_bad_value_at_its_label_path(errors_of, value: str, message: str) -> None:
    details = errors_of({"id": "/web", "cmd": "sleep 1", "labels": {DRAIN_LABEL: value}})
    assert details == {f"/labels/{DRAIN_LABEL}": [message]}


@pytest.mark.parametrize("value", ["0", "5", "300", "0.25"])
def test_validation_accepts_the_documented_range(value: str) -> None:
    app = normalize_app({"id": "/web", "cmd": "sleep 1", "labels": {DRAIN_LABEL: value}})
    assert app["labels"][DRAIN_LABEL] == value
