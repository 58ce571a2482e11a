"""Offer matching: which pending instances go on which offers, and why the others do not.

The no-I/O rule: everything in this package is pure. It takes plain data (normalized app dicts, v1
offer dicts, ``Placement`` records, and ``now`` or a random generator when a caller needs them) and
returns plain results. It imports neither pymesos nor kazoo nor Flask, opens no sockets or files,
reads no clock and keeps no module state, so it is tested without any server and can be replayed.

What an app needs (resources, host ports, roles, constraints) is read with framework.model's
``appfields`` and ``ports``, the rules every package shares. Modules, cheapest concern first:

* ``resources``   -- offers as immutable fixed-point values; attribute flattening; task resource dicts
* ``ports``       -- host port assignment from the offer's free ranges
* ``constraints`` -- one checker per Marathon operator, each rejection with a readable reason
* ``reasons``     -- ``Rejection(code, message)``; codes are Marathon's /v2/queue reason names
* ``match``       -- the batch pass: ``match(demands, offers, placements) -> MatchResult``
"""

from framework.matching.constraints import Placement
from framework.matching.match import Demand, Launch, MatchResult, match
from framework.matching.reasons import Rejection
from framework.matching.resources import OfferResources, ResourceNeed, parse_offer

__all__ = [
    "Demand",
    "Launch",
    "MatchResult",
    "OfferResources",
    "Placement",
    "Rejection",
    "ResourceNeed",
    "match",
    "parse_offer",
]
