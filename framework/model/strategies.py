"""How Marathon replaces, backs off from and gives up on an app's tasks."""

from __future__ import annotations

from framework.model import defaults
from framework.model.fields import Fields


def read_upgrade_strategy(app: Fields, resident: bool, single_instance: bool) -> dict:
    """Both capacities are fractions of ``instances`` in [0, 1]; a missing one takes its default."""
    default = defaults.RESIDENT_UPGRADE_STRATEGY if resident else defaults.UPGRADE_STRATEGY
    raw = app.object("upgradeStrategy")
    if raw is None:
        strategy = dict(default)
        if single_instance:
            # A single-instance app may never run two tasks, nor none while healthy: both must be 0.
            strategy = {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}
        return strategy
    fields = Fields(raw, app.at("upgradeStrategy"), app.errors)
    strategy = {key: fields.number(key, default[key], minimum=0.0, maximum=1.0)
                for key in ("minimumHealthCapacity", "maximumOverCapacity")}
    if resident and fields.has("maximumOverCapacity") and strategy["maximumOverCapacity"] != 0:
        fields.error("maximumOverCapacity", f"got {strategy['maximumOverCapacity']}, expected 0.0")
    if single_instance:
        for key in ("minimumHealthCapacity", "maximumOverCapacity"):
            if strategy[key] != 0:
                fields.error(key, f"got {strategy[key]}, expected 0.0")
    return strategy


def read_unreachable_strategy(app: Fields, resident: bool) -> dict | str:
    """``"disabled"`` or the seconds after which an unreachable task is replaced, then forgotten."""
    raw = app.obj.get("unreachableStrategy")
    if raw is None:
        return defaults.UNREACHABLE_DISABLED if resident else dict(defaults.UNREACHABLE_STRATEGY)
    if raw == defaults.UNREACHABLE_DISABLED:
        return raw
    if resident:
        app.error("unreachableStrategy", "unreachableStrategy must be disabled for resident tasks")
    if not isinstance(raw, dict):
        app.error("unreachableStrategy", 'expected "disabled" or an object')
        return dict(defaults.UNREACHABLE_STRATEGY)
    fields = Fields(raw, app.at("unreachableStrategy"), app.errors)
    strategy = {key: fields.integer(key, default, minimum=0)
                for key, default in defaults.UNREACHABLE_STRATEGY.items()}
    if strategy["inactiveAfterSeconds"] > strategy["expungeAfterSeconds"]:
        fields.error("inactiveAfterSeconds",
                     f"inactiveAfterSeconds ({strategy['inactiveAfterSeconds']}) must be less or equal to "
                     f"expungeAfterSeconds, which is {strategy['expungeAfterSeconds']}")
    return strategy


def read_backoff(app: Fields, out: dict) -> None:
    out["backoffSeconds"] = app.integer("backoffSeconds", defaults.BACKOFF_SECONDS, minimum=0)
    out["backoffFactor"] = app.number("backoffFactor", defaults.BACKOFF_FACTOR, minimum=1.0)
    out["maxLaunchDelaySeconds"] = app.integer("maxLaunchDelaySeconds", defaults.MAX_LAUNCH_DELAY_SECONDS,
                                               minimum=0)
