"""Marathon's own example data (tests/data/marathon, see its README) and a helper for error details."""

import pytest

from framework.model import ValidationError, normalize_app
from tests import marathon_data


@pytest.fixture(scope="session")
def example():
    """Reads one of Marathon's REST API examples by file name."""
    return marathon_data.example


@pytest.fixture(scope="session")
def real_apps() -> list[dict]:
    return marathon_data.real_apps()


def details_by_path(raw: dict, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        normalize_app(raw, **kwargs)
    return {detail["path"]: detail["errors"] for detail in caught.value.details}


@pytest.fixture
def errors_of():
    """The ValidationError details of an app as {path: errors}; fails the test when the app is valid."""
    return details_by_path
