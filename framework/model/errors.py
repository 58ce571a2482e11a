"""Validation errors in Marathon's 422 shape.

Marathon answers an invalid definition with ``{"message": "Object is not valid", "details": [...]}`` where
every detail is ``{"path": "/container/portMappings(0)/hostPort", "errors": ["..."]}``: object members are
``/name``, array elements ``(index)``, and a rule about the whole object has the path ``/``. We collect every
violation before raising, because a client fixing one field at a time against a server that reports only
the first error is a poor experience.
"""

from __future__ import annotations


class ValidationError(Exception):
    """A definition that Marathon would reject; ``details`` is the list Marathon puts in its 422 body."""

    message = "Object is not valid"

    def __init__(self, details: list[dict]) -> None:
        super().__init__(f"{self.message}: {details}")
        self.details = details

    def to_json(self) -> dict:
        """The body of Marathon's 422 response."""
        return {"message": self.message, "details": self.details}


class Errors:
    """Collects violations by path, in the order they were found."""

    def __init__(self) -> None:
        self._by_path: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        messages = self._by_path.setdefault(path or "/", [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self._by_path)

    def details(self) -> list[dict]:
        return [{"path": path, "errors": list(errors)} for path, errors in self._by_path.items()]

    def raise_if_any(self) -> None:
        """Raises ValidationError when anything was collected."""
        if self._by_path:
            raise ValidationError(self.details())


def member(path: str, key: str) -> str:
    """The path of an object member: ``member("/container", "docker") == "/container/docker"``."""
    return f"{path}/{key}"


def element(path: str, index: int) -> str:
    """The path of an array element, Marathon style: ``element("/ports", 0) == "/ports(0)"``."""
    return f"{path}({index})"
