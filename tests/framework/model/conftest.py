"""Marathon's own example data, read from the shared data folder (see its README)."""

import json
from pathlib import Path

import pytest

from framework.model import ValidationError, normalize_app

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "marathon"
EXAMPLES = DATA / "api-examples"


@pytest.fixture(scope="session")
def example():
    """Reads one of Marathon's REST API examples by file name."""
    return lambda name: json.loads((EXAMPLES / name).read_text())


@pytest.fixture(scope="session")
def real_apps() -> list[dict]:
    return json.loads((DATA / "apps-1000-real-shaped.json").read_text())["apps"]


def details_by_path(raw: dict, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        normalize_app(raw, **kwargs)
    return {detail["path"]: detail["errors"] for detail in caught.value.details}


@pytest.fixture
def errors_of():
    """The ValidationError details of an app as {path: errors}; fails the test when the app is valid."""
    return details_by_path
