"""Config change or only a scaling, and the version stamps Marathon gives a save."""

from __future__ import annotations

from framework.deploy.versions import is_config_change, stamped
from framework.timeutil import format_ts
from tests.framework.deploy.helpers import NEW, OLD, make_app

NOW = 1_795_000_000.0
AT = format_ts(NOW)


def test_only_instances_version_and_version_info_are_not_configuration() -> None:
    before = make_app(version=OLD, versionInfo={"lastScalingAt": OLD, "lastConfigChangeAt": OLD})
    assert not is_config_change(before, make_app(instances=9))
    assert not is_config_change(before, before)
    assert is_config_change(before, make_app(cmd="sleep 2000"))
    assert is_config_change(before, make_app(labels={"a": "b"}))
    assert is_config_change(None, before)


def test_a_scaling_keeps_the_last_config_change_and_moves_the_version() -> None:
    before = make_app(version=NEW, versionInfo={"lastScalingAt": NEW, "lastConfigChangeAt": OLD})
    scaled = stamped(make_app(instances=9), before, NOW)
    assert scaled["version"] == AT
    assert scaled["versionInfo"] == {"lastScalingAt": AT, "lastConfigChangeAt": OLD}


def test_a_scaling_of_an_app_without_version_info_counts_from_its_version() -> None:
    before = {key: value for key, value in make_app(version=OLD).items() if key != "versionInfo"}
    assert stamped(make_app(instances=9), before, NOW)["versionInfo"]["lastConfigChangeAt"] == OLD


def test_a_new_app_a_config_change_and_a_restart_are_new_configurations() -> None:
    before = make_app(version=OLD, versionInfo={"lastScalingAt": OLD, "lastConfigChangeAt": OLD})
    both = {"lastScalingAt": AT, "lastConfigChangeAt": AT}
    assert stamped(make_app(), None, NOW)["versionInfo"] == both
    assert stamped(make_app(cmd="sleep 2000"), before, NOW)["versionInfo"] == both
    assert stamped(make_app(), before, NOW, restart=True)["versionInfo"] == both


def test_stamping_leaves_its_inputs_alone() -> None:
    app, before = make_app(instances=9), make_app()
    copies = (dict(app), dict(before))
    stamped(app, before, NOW)
    assert (app, before) == copies
