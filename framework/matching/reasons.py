"""Why an offer was not used for an app: a Marathon reason code plus a human-readable message.

The code is one of the names Marathon reports in ``/v2/queue`` (``rejectSummaryLastOffers``), so the
API can summarise by code; the message says what exactly was missing, for people.
"""

from __future__ import annotations

from typing import NamedTuple

UNFULFILLED_ROLE = "UnfulfilledRole"
UNFULFILLED_CONSTRAINT = "UnfulfilledConstraint"
INSUFFICIENT_CPUS_CODE = "InsufficientCpus"
INSUFFICIENT_MEMORY_CODE = "InsufficientMemory"
INSUFFICIENT_DISK_CODE = "InsufficientDisk"
INSUFFICIENT_GPUS_CODE = "InsufficientGpus"
INSUFFICIENT_PORTS_CODE = "InsufficientPorts"


class Rejection(NamedTuple):
    """Hashable, so a ``Counter[Rejection]`` can count offers per reason (a NamedTuple: cheap to hash)."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


INSUFFICIENT_CPUS = Rejection(INSUFFICIENT_CPUS_CODE, "insufficient cpus")
INSUFFICIENT_MEMORY = Rejection(INSUFFICIENT_MEMORY_CODE, "insufficient memory")
INSUFFICIENT_DISK = Rejection(INSUFFICIENT_DISK_CODE, "insufficient disk")
INSUFFICIENT_GPUS = Rejection(INSUFFICIENT_GPUS_CODE, "insufficient gpus")
NOT_ENOUGH_PORTS = Rejection(INSUFFICIENT_PORTS_CODE, "not enough free ports")
NO_ACCEPTED_ROLE = Rejection(UNFULFILLED_ROLE, "offer has no resources in the app's acceptedResourceRoles")


def constraint_rejection(message: str) -> Rejection:
    # tuple.__new__ skips the NamedTuple's Python-level __new__: matching makes one per rejected offer.
    return tuple.__new__(Rejection, (UNFULFILLED_CONSTRAINT, message))


def ports_rejection(message: str) -> Rejection:
    return Rejection(INSUFFICIENT_PORTS_CODE, message)
