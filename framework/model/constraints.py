"""Placement constraints: ``[field, OPERATOR]`` or ``[field, OPERATOR, value]``.

Only the form is checked here (operator known, value of the right kind); what a constraint means for an
offer is ``framework.matching``'s business.
"""

from __future__ import annotations

import re

from framework.model import defaults
from framework.model.errors import element
from framework.model.fields import Fields

OPERATOR_MESSAGE = ("operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE "
                    "or IS")
# IS compares with Mesos text or scalar attributes only; ranges and sets are kept for later.
IS_VALUE = re.compile(r"[a-zA-Z0-9_/.-]*")


def read_constraints(app: Fields) -> list[list[str]]:
    """Validated constraints, operators upper-cased, duplicates dropped (Marathon keeps a set)."""
    result: list[list[str]] = []
    for index, item in enumerate(app.array("constraints") or []):
        path = element(app.at("constraints"), index)
        constraint = read_constraint(item, path, app)
        if constraint is not None and constraint not in result:
            result.append(constraint)
    return result


def read_constraint(item: object, path: str, app: Fields) -> list[str] | None:
    if not isinstance(item, list):
        app.errors.add(path, "expected an array")
        return None
    if not all(isinstance(part, str) for part in item):
        app.errors.add(path, "expected an array of strings")
        return None
    if not 2 <= len(item) <= 3:
        app.errors.add(path, "Each constraint must have either 2 or 3 fields")
        return None
    field, operator = item[0], item[1].upper()
    value = item[2] if len(item) == 3 else None
    if not field:
        app.errors.add(path, "missing field for constraint declaration")
        return None
    if operator not in defaults.CONSTRAINT_OPERATORS:
        app.errors.add(path, OPERATOR_MESSAGE)
        return None
    problem = value_problem(operator, value)
    if problem:
        app.errors.add(path, problem)
        return None
    if operator == "UNIQUE":
        # ["hostname", "UNIQUE", ""] appears in Marathon's own examples; the empty value means none.
        value = None
    return [field, operator] if value is None else [field, operator, value]


def value_problem(operator: str, value: str | None) -> str | None:
    """Why value does not suit operator, in Marathon's words, or None."""
    if operator == "UNIQUE" and value:
        return "UNIQUE does not accept a value"
    if operator == "GROUP_BY" and value is not None and not is_int(value):
        return "GROUP BY must define an integer value or else no value at all"
    if operator == "MAX_PER" and (value is None or not is_int(value)):
        return "MAX_PER requires an integer value"
    if operator in ("LIKE", "UNLIKE"):
        if not value:
            return "LIKE and UNLIKE require a non-empty, regular expression value"
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError):
            return "is not a valid regular expression"
    if operator == "IS" and not IS_VALUE.fullmatch(value or ""):
        return ("IS only supports Mesos text and float values "
                "(see http://mesos.apache.org/documentation/latest/attributes-resources/)")
    return None


def is_int(value: str) -> bool:
    """Java's Integer.parseInt, roughly: an optional sign and decimal digits within 32 bits."""
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        return False
    return -(2**31) <= int(value) < 2**31
