"""Typed reads of JSON members that record an error instead of raising.

Every reader returns a usable value even when the input is wrong (the default, or None), so that one
pass over a definition finds all of its errors. ``null`` counts as absent, as it does for Marathon's
optional fields (its own responses contain ``"args": null``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from framework.model.errors import Errors, element, member

MISSING_MESSAGE = "is required"


def is_number(value: Any) -> bool:
    """JSON numbers only: bool is an int in Python but not in JSON, and NaN/Infinity are not JSON."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_integer(value: Any) -> bool:
    return is_number(value) and float(value).is_integer()


class Fields:
    """One JSON object at ``path``; reads its members and records type and range errors in ``errors``."""

    def __init__(self, obj: dict, path: str, errors: Errors) -> None:
        self.obj = obj
        self.path = path
        self.errors = errors

    def at(self, key: str) -> str:
        return member(self.path, key)

    def has(self, key: str) -> bool:
        return self.obj.get(key) is not None

    def error(self, key: str | None, message: str) -> None:
        """An error on a member, or on this object itself when key is None."""
        self.errors.add(self.path if key is None else self.at(key), message)

    def number(self, key: str, default: Any, *, minimum: float | None = None,
               maximum: float | None = None) -> Any:
        value = self.obj.get(key)
        if value is None:
            return default
        if not is_number(value):
            self.error(key, "expected a number")
            return default
        return value if in_range(value, self.at(key), self.errors, minimum, maximum) else default

    def integer(self, key: str, default: Any, *, minimum: int | None = None,
                maximum: int | None = None) -> Any:
        return check_integer(self.obj.get(key), self.at(key), self.errors, default, minimum=minimum,
                             maximum=maximum)

    def boolean(self, key: str, default: Any) -> Any:
        value = self.obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, "expected a boolean")
            return default
        return value

    def string(self, key: str, default: Any = None, *, required: bool = False, non_empty: bool = False,
               max_length: int | None = None, pattern: re.Pattern | None = None,
               choices: Iterable[str] | None = None) -> Any:
        value = self.obj.get(key)
        if value is None:
            if required:
                self.error(key, MISSING_MESSAGE)
            return default
        if not isinstance(value, str):
            self.error(key, "expected a string")
            return default
        problem = string_problem(value, non_empty=non_empty, max_length=max_length, pattern=pattern,
                                 choices=choices)
        if problem:
            self.error(key, problem)
            return default
        return value

    def array(self, key: str) -> list | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.error(key, "expected an array")
            return None
        return value

    def object(self, key: str) -> dict | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(key, "expected an object")
            return None
        return value

    def objects(self, key: str) -> list[Fields]:
        """The elements of an array of objects, each as Fields; non-objects are reported and skipped."""
        result = []
        for index, item in enumerate(self.array(key) or []):
            path = element(self.at(key), index)
            if isinstance(item, dict):
                result.append(Fields(item, path, self.errors))
            else:
                self.errors.add(path, "expected an object")
        return result

    def strings(self, key: str, *, pattern: re.Pattern | None = None, non_empty: bool = False) -> list[str] | None:
        """An array of strings; wrong elements are reported at their index and dropped."""
        items = self.array(key)
        if items is None:
            return None
        result = []
        for index, item in enumerate(items):
            path = element(self.at(key), index)
            if not isinstance(item, str):
                self.errors.add(path, "expected a string")
                continue
            problem = string_problem(item, non_empty=non_empty, pattern=pattern)
            if problem:
                self.errors.add(path, problem)
                continue
            result.append(item)
        return result

    def string_map(self, key: str) -> dict[str, str]:
        """A JSON object of string values (labels); wrong values are reported at ``/key/name``."""
        value = self.object(key)
        if value is None:
            return {}
        result = {}
        for name, item in value.items():
            if isinstance(item, str):
                result[name] = item
            else:
                self.errors.add(member(self.at(key), name), "expected a string")
        return result


def string_problem(value: str, *, non_empty: bool = False, max_length: int | None = None,
                   pattern: re.Pattern | None = None, choices: Iterable[str] | None = None) -> str | None:
    """Why a string is unacceptable, or None."""
    if non_empty and not value:
        return "must not be empty"
    if max_length is not None and len(value) > max_length:
        return f"must be at most {max_length} characters long"
    if choices is not None:
        allowed = list(choices)
        if value not in allowed:
            return f"must be one of {', '.join(allowed)}"
    if pattern is not None and not pattern.fullmatch(value):
        return f"must fully match regular expression '{pattern.pattern}'"
    return None


def in_range(value: float, path: str, errors: Errors, minimum: float | None, maximum: float | None) -> bool:
    """Records Marathon's range message and returns False when value is out of range."""
    if minimum is not None and value < minimum:
        errors.add(path, f"got {value}, expected {minimum} or more")
        return False
    if maximum is not None and value > maximum:
        errors.add(path, f"got {value}, expected {maximum} or less")
        return False
    return True


def check_integer(value: Any, path: str, errors: Errors, default: Any, *, minimum: int | None = None,
                  maximum: int | None = None) -> Any:
    """An integer JSON value (2.0 counts, as in Marathon), or default after recording why not."""
    if value is None:
        return default
    if not is_integer(value):
        errors.add(path, "expected an integer")
        return default
    value = int(value)
    return value if in_range(value, path, errors, minimum, maximum) else default
