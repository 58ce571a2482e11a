"""Matching pending instances against a batch of offers in one pass.

The pass walks the offers in order and, for each, the demands in priority order, placing as many
instances of a demand as fit before moving to the next demand. Per (demand, offer) the checks run
cheapest first: scalar resources (with role), host ports, then constraints. The first failure ends that
demand's turn on that offer, because the offer only shrinks from there.

How it aims at 10,000 pending instances against 1,000 offers in 100 ms (see bench/RESULTS.md):

* offers are parsed once, when a pass first reaches them (a pass stops once nothing is pending, so
  with room to spare most of a batch is never parsed); demands are compiled once (needs in fixed
  point, port requests, constraints paired with their field's counts of placed instances, which are
  updated incrementally, and their numeric argument parsed);
* identical instances go on an offer as one block, as many as resources, ports and the constraints'
  ``room`` allow, instead of one check round per instance;
* an offer that cannot hold the smallest remaining need of any demand is abandoned at once, and the
  demands not tried on it are charged that resource in bulk (a difference array resolved at the end).
  The charge names the first scalar below the smallest need, which may differ from what a full check
  of a bigger demand would have named first;
* finished demands leave the active list, and the pass stops once nothing is pending.

GROUP_BY is the one constraint that can become satisfiable again as placements grow (a value is
refused until the other values catch up), so demands with GROUP_BY that are still pending after a
pass that placed something get further passes over the leftovers. Rejections are counted in the first
pass only, so each (app, offer) pair is counted at most once.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from framework.matching.constraints import HOSTNAME, Constraint, FieldStats, Placement, check, room
from framework.matching.ports import PortAssignment, assign_ports, take_lowest
from framework.matching.reasons import (
    INSUFFICIENT_CPUS,
    INSUFFICIENT_DISK,
    INSUFFICIENT_GPUS,
    INSUFFICIENT_MEMORY,
    NO_ACCEPTED_ROLE,
    NOT_ENOUGH_PORTS,
    Rejection,
)
from framework.matching.resources import (
    UNRESERVED,
    OfferResources,
    ParsedOffer,
    Ranges,
    ResourceNeed,
    count_ports,
    parse_offer,
    task_resources,
)
from framework.model import appfields
from framework.model.ports import host_port_requests

if TYPE_CHECKING:
    from framework.executors import SharedExecutor


@dataclass(frozen=True)
class Demand:
    """``count`` pending instances of ``app`` (a normalized app dict); list order is priority.

    ``executor``: the shared executor its tasks run under (framework.executors), whose resources an
    offer must also hold where it does not run yet."""

    app: Mapping[str, Any]
    count: int
    executor: SharedExecutor | None = None


class Launch(NamedTuple):
    """One instance placed on one offer.

    ``ports`` is parallel to ``framework.model.host_port_requests(app)``. The task's v1 resource dicts are
    built on access (``resources``) rather than stored: a pass makes 10,000 launches, and the dicts
    would triple the objects allocated (and the garbage collector's work) during matching.
    """

    offer_id: str
    agent_id: str
    hostname: str
    app_id: str
    ports: tuple[int, ...]
    need: ResourceNeed
    role: str = UNRESERVED

    @property
    def resources(self) -> list[dict]:
        """The v1 Resource dicts for the task (a fresh list each time)."""
        return task_resources(self.need, self.ports, self.role)


@dataclass
class MatchResult:
    launches: list[Launch]  # grouped by offer, offers in input order
    unused_offer_ids: list[str]
    reasons: dict[str, Counter[Rejection]]  # app id -> offers rejected per reason

    def by_offer(self) -> dict[str, list[Launch]]:
        """Launches per offer id, so each offer is accepted with one ACCEPT call."""
        out: dict[str, list[Launch]] = {}
        for launch in self.launches:
            out.setdefault(launch.offer_id, []).append(launch)
        return out


_new_tuple = tuple.__new__


class _Plan:
    """A demand compiled for matching."""

    __slots__ = ("app_id", "remaining", "need", "port_requests", "exact_ports", "dynamic_ports",
                 "roles", "checks", "stats", "has_group_by", "reasons", "executor")

    def __init__(
        self,
        demand: Demand,
        placed: Sequence[Placement],
        stats: dict[str, FieldStats],
        reasons: Counter[Rejection],
    ):
        """``placed`` are the app's instances already running; ``stats`` and ``reasons`` are shared by all
        demands of the app (filled in here for the fields this demand's constraints read)."""
        app = demand.app
        self.app_id = appfields.app_id(app)
        self.remaining = demand.count
        self.need = ResourceNeed.of(
            appfields.resource(app, "cpus"),
            appfields.resource(app, "mem"),
            appfields.resource(app, "disk"),
            appfields.resource(app, "gpus"),
        )
        self.port_requests = tuple(host_port_requests(app))
        self.exact_ports = any(self.port_requests)
        self.dynamic_ports = sum(1 for port in self.port_requests if port == 0)
        self.roles = appfields.accepted_roles(app)
        constraints = [Constraint.parse(c) for c in appfields.constraints(app)]
        for c in constraints:
            if c.key not in stats:
                stats[c.key] = FieldStats.of(c.key, placed)
        # Each constraint with its field's counts, looked up once here rather than per offer.
        self.checks = tuple((c, stats[c.key]) for c in constraints)
        self.stats = stats
        self.has_group_by = any(c.operator == "GROUP_BY" for c in constraints)
        self.reasons = reasons
        self.executor = demand.executor


class _Offer:
    """An offer's state during the match. It is parsed when a pass first reaches it: a pass stops once
    nothing is pending, and with room to spare most offers of a batch are never looked at."""

    __slots__ = ("raw", "offer_id", "parsed", "source", "pools", "fields", "launches", "executors")

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw
        self.offer_id: str = raw["id"]["value"]
        self.parsed: ParsedOffer | None = None
        self.source: tuple[str, str, str] = ("", "", "")  # offer id, agent id, hostname, for launches
        self.pools: list[OfferResources] = []
        self.fields: dict[str, str] = {}  # attributes and HOSTNAME, for the constraints
        self.launches: list[Launch] = []
        self.executors: set[str] = set()  # running on the agent, or placed there in this match

    def load(self) -> None:
        if self.parsed is None:
            self.parsed = parse_offer(self.raw)
            self.source = (self.parsed.offer_id, self.parsed.agent_id, self.parsed.hostname)
            self.pools = list(self.parsed.pools)
            self.fields = {**self.parsed.attributes, HOSTNAME: self.parsed.hostname}
            self.executors = {e.get("value") for e in self.raw.get("executor_ids") or ()}


def _capacity(plan: _Plan, pools: Sequence[OfferResources]) -> tuple[int, int] | Rejection:
    """(pool index, how many instances it holds) for the first accepted pool holding one, else why not.

    Instances with exact host ports go one at a time (an exact port cannot be taken twice from one
    offer); constraints may cap the block further (``constraints.room``).
    """
    need = plan.need
    cpus, mem, disk, gpus = need
    rejection: Rejection | None = None
    roles = plan.roles
    for i, pool in enumerate(pools):
        if roles is not None and pool.role not in roles:
            continue
        if cpus > pool.cpus or mem > pool.mem or disk > pool.disk or gpus > pool.gpus:
            rejection = rejection or pool.shortfall(need)
            continue
        k = 1 if plan.exact_ports else plan.remaining
        if cpus and pool.cpus < k * cpus:
            k = pool.cpus // cpus
        if mem and pool.mem < k * mem:
            k = pool.mem // mem
        if disk and pool.disk < k * disk:
            k = pool.disk // disk
        if gpus and pool.gpus < k * gpus:
            k = pool.gpus // gpus
        return i, k
    return rejection or NO_ACCEPTED_ROLE


def _reserve_executor(plan: _Plan, offer: _Offer) -> Rejection | None:
    """Takes the shared executor's resources from the first accepted pool that also holds one instance."""
    executor = plan.executor
    assert executor is not None
    both = ResourceNeed(*(a + b for a, b in zip(executor.need, plan.need, strict=True)))
    rejection: Rejection | None = None
    for i, pool in enumerate(offer.pools):
        if plan.roles is not None and pool.role not in plan.roles:
            continue
        shortfall = pool.shortfall(both)
        if shortfall is None:
            offer.pools[i] = pool.subtract(executor.need)
            offer.executors.add(executor.executor_id)
            return None
        rejection = rejection or shortfall
    return rejection or NO_ACCEPTED_ROLE


def _fill(plan: _Plan, offer: _Offer, rng: random.Random | None) -> Rejection | None:
    """Place as many instances of ``plan`` on ``offer`` as fit, consuming it (and, for the first instance
    of a shared executor not yet on the agent, the executor's resources: given back if none is placed).

    Returns None when the plan has nothing pending any more, else why the offer takes no more of it.
    """
    if plan.executor is None or plan.executor.executor_id in offer.executors:
        return _place(plan, offer, rng)
    before, placed = list(offer.pools), len(offer.launches)
    outcome = _reserve_executor(plan, offer) or _place(plan, offer, rng)
    if len(offer.launches) == placed:
        offer.pools[:] = before
        offer.executors.discard(plan.executor.executor_id)
    return outcome


def _place(plan: _Plan, offer: _Offer, rng: random.Random | None) -> Rejection | None:
    """Places blocks of ``plan``'s instances on ``offer`` until none is pending (None) or the offer takes no
    more (why not). Each block is sized by a pool's resources, then by its free ports and the constraints'
    room, given its host ports, and taken from the pool."""
    pools, fields = offer.pools, offer.fields
    while True:
        capacity = _capacity(plan, pools)
        if isinstance(capacity, Rejection):
            return capacity
        chosen, k = capacity
        pool = pools[chosen]
        size = _block_size(plan, pool, fields, k)
        if isinstance(size, Rejection):
            return size
        k, limiting = size
        ports = _block_ports(plan, pool.ports, k, rng)
        if isinstance(ports, Rejection):
            return ports
        _take_block(plan, offer, chosen, k, ports)
        if plan.remaining == 0:
            return None
        if limiting is not None and limiting[0].operator != "GROUP_BY":
            # The block used up what this constraint allows here; its check now says why, which
            # spares a full round of resource and port checks. (GROUP_BY may allow another one.)
            c, stats = limiting
            failed = check(c, fields.get(c.key), stats)
            if failed is not None:
                return failed


def _block_size(
    plan: _Plan, pool: OfferResources, fields: Mapping[str, str], k: int
) -> tuple[int, tuple[Constraint, FieldStats] | None] | Rejection:
    """How many of the ``k`` instances that ``pool``'s resources hold also fit its free ports and every
    constraint's room, with the constraint that cut the block (None if none did); or why none fits."""
    dynamic = plan.dynamic_ports
    if dynamic:
        free = count_ports(pool.ports) // dynamic
        if free == 0:
            return NOT_ENOUGH_PORTS
        if free < k:
            k = free
    limiting: tuple[Constraint, FieldStats] | None = None
    for c, stats in plan.checks:
        value = fields.get(c.key)
        failed = check(c, value, stats)
        if failed is not None:
            return failed
        allowed = room(c, value, stats)
        if allowed < k:
            k, limiting = allowed, (c, stats)
    return k, limiting


def _block_ports(
    plan: _Plan, free: Ranges, k: int, rng: random.Random | None
) -> tuple[list[tuple[int, ...]], Ranges] | Rejection:
    """Host ports for ``k`` instances from the ranges ``free``: one tuple per instance, parallel to the
    plan's port requests, and the ranges left; or why an instance cannot have its ports."""
    if not plan.port_requests:
        return [()] * k, free
    if rng is None and not plan.exact_ports:
        dynamic = plan.dynamic_ports
        picked, remaining = take_lowest(free, k * dynamic)
        # k groups of ``dynamic`` consecutive ports (zip over one iterator, repeated, groups them).
        return list(zip(*[iter(picked)] * dynamic, strict=True)), remaining
    port_lists, remaining = [], free
    for _ in range(k):
        assignment = assign_ports(plan.port_requests, remaining, rng=rng)
        if not isinstance(assignment, PortAssignment):
            return assignment
        port_lists.append(assignment.ports)
        remaining = assignment.remaining
    return port_lists, remaining


def _take_block(
    plan: _Plan, offer: _Offer, chosen: int, k: int, ports: tuple[list[tuple[int, ...]], Ranges]
) -> None:
    """Takes ``k`` instances from the offer's pool ``chosen``: their resources, and their host ports
    (``ports``: per instance, and the pool's ranges left); counts them in the constraints' fields and
    adds their launches."""
    port_lists, remaining = ports
    pools, need = offer.pools, plan.need
    pool = pools[chosen]
    # tuple.__new__ skips the NamedTuples' Python-level __new__: this runs once per placed block.
    pools[chosen] = _new_tuple(OfferResources, (
        pool.role, pool.cpus - k * need.cpus, pool.mem - k * need.mem,
        pool.disk - k * need.disk, pool.gpus - k * need.gpus, remaining,
    ))
    fields = offer.fields
    for key, stats in plan.stats.items():
        stats.add(fields.get(key), k)
    append = offer.launches.append
    head = (*offer.source, plan.app_id)
    tail = (need, pool.role)
    for instance_ports in port_lists:
        append(_new_tuple(Launch, (*head, instance_ports, *tail)))
    plan.remaining -= k


class _Pass:
    """One walk over the offers for a set of plans."""

    def __init__(self, plans: list[_Plan], record: bool, rng: random.Random | None):
        self.record = record
        self.rng = rng
        self.versions: list[list[_Plan]] = []
        self.charges: dict[tuple[int, Rejection], list[int]] = {}
        self.placed = 0
        self._activate([p for p in plans if p.remaining > 0])

    def _activate(self, active: list[_Plan]) -> None:
        self.active = active
        self.versions.append(active)
        if active:
            cpus, mem, disk, gpus = map(min, zip(*[p.need for p in active], strict=True))
            self.mins = (cpus, mem, disk, gpus, min([p.dynamic_ports for p in active]))

    def _exhausted(self, pools: Sequence[OfferResources]) -> Rejection | None:
        """Why no active plan can fit any more, judged by the smallest needs; None if some may."""
        cpus, mem, disk, gpus, ports = self.mins
        if len(pools) == 1:
            pool = pools[0]
            if pool.cpus < cpus:
                return INSUFFICIENT_CPUS
            if pool.mem < mem:
                return INSUFFICIENT_MEMORY
            if pool.disk < disk:
                return INSUFFICIENT_DISK
            if pool.gpus < gpus:
                return INSUFFICIENT_GPUS
            if ports and count_ports(pool.ports) < ports:
                return NOT_ENOUGH_PORTS
            return None
        if max(p.cpus for p in pools) < cpus:
            return INSUFFICIENT_CPUS
        if max(p.mem for p in pools) < mem:
            return INSUFFICIENT_MEMORY
        if max(p.disk for p in pools) < disk:
            return INSUFFICIENT_DISK
        if max(p.gpus for p in pools) < gpus:
            return INSUFFICIENT_GPUS
        if ports and max(count_ports(p.ports) for p in pools) < ports:
            return NOT_ENOUGH_PORTS
        return None

    def _charge_rest(self, start: int, rejection: Rejection) -> None:
        if self.record:
            key = (len(self.versions) - 1, rejection)
            diff = self.charges.get(key)
            if diff is None:
                diff = self.charges[key] = [0] * (len(self.active) + 1)
            diff[start] += 1

    def offer(self, offer: _Offer) -> None:
        if not offer.pools:
            self._charge_rest(0, NO_ACCEPTED_ROLE)
            return
        exhausted = self._exhausted(offer.pools)
        if exhausted is not None:
            self._charge_rest(0, exhausted)
            return
        finished = False
        launched = len(offer.launches)  # earlier passes may have used this offer already
        pools = offer.pools
        single = pools[0] if len(pools) == 1 else None
        for index, plan in enumerate(self.active):
            if plan.remaining == 0:
                continue
            # The common miss, without a call: one unreserved-role pool too small in the first scalars.
            if single is not None and plan.roles is None and plan.need.cpus > single.cpus:
                rejection = INSUFFICIENT_CPUS
            elif single is not None and plan.roles is None and plan.need.mem > single.mem:
                rejection = INSUFFICIENT_MEMORY
            else:
                rejection = _fill(plan, offer, self.rng)
            if rejection is not None and self.record:
                plan.reasons[rejection] = plan.reasons.get(rejection, 0) + 1  # no Counter.__missing__
            finished = finished or plan.remaining == 0
            if len(offer.launches) > launched:
                self.placed += len(offer.launches) - launched
                launched = len(offer.launches)
                exhausted = self._exhausted(pools)
                if exhausted is not None:
                    self._charge_rest(index + 1, exhausted)
                    break
                single = pools[0] if len(pools) == 1 else None
        if finished:
            self._activate([p for p in self.active if p.remaining > 0])

    def run(self, offers: Iterable[_Offer]) -> None:
        for offer in offers:
            if not self.active:
                break
            offer.load()
            self.offer(offer)
        for (version, rejection), diff in self.charges.items():
            running = 0
            for i, plan in enumerate(self.versions[version]):
                running += diff[i]
                if running:
                    plan.reasons[rejection] += running


def match(
    demands: Sequence[Demand],
    offers: Sequence[Mapping[str, Any]],
    placements: Iterable[Placement],
    *,
    rng: random.Random | None = None,
) -> MatchResult:
    """Place pending instances on offers; pure (no I/O, no clock), deterministic unless ``rng`` is given.

    ``offers`` are v1 offer dicts; ``placements`` are the instances already running or launching,
    of any app (only an app's own instances count for its constraints). ``rng`` picks dynamic host
    ports at random instead of lowest-first.
    """
    by_app: dict[str, list[Placement]] = {}
    for p in placements:
        by_app.setdefault(p.app_id, []).append(p)
    stats_by_app: dict[str, dict[str, FieldStats]] = {}
    reasons: dict[str, Counter[Rejection]] = {}
    plans: list[_Plan] = []
    for demand in demands:
        app_id = appfields.app_id(demand.app)
        counter = reasons.setdefault(app_id, Counter())
        stats = stats_by_app.setdefault(app_id, {})
        plans.append(_Plan(demand, by_app.get(app_id, []), stats, counter))

    state = [_Offer(o) for o in offers]
    first = _Pass(plans, record=True, rng=rng)
    first.run(state)
    placed = first.placed
    while placed:
        retry = [p for p in plans if p.remaining > 0 and p.has_group_by]
        if not retry:
            break
        again = _Pass(retry, record=False, rng=rng)
        again.run(state)
        placed = again.placed

    launches = [launch for offer in state for launch in offer.launches]
    unused = [offer.offer_id for offer in state if not offer.launches]
    return MatchResult(launches, unused, reasons)
