"""The batch matcher: placement, constraints within a batch, ports, reasons."""

import random
from collections import Counter

from framework.matching import Demand, Placement, match
from framework.matching.reasons import (
    INSUFFICIENT_CPUS,
    INSUFFICIENT_MEMORY,
    NO_ACCEPTED_ROLE,
    UNFULFILLED_CONSTRAINT,
)


def test_unique_hostname_places_three_of_four_on_three_agents(make_app, make_offer):
    app = make_app(constraints=[["hostname", "UNIQUE"]])
    result = match([Demand(app, 4)], [make_offer(i) for i in range(3)], [])
    assert sorted(launch.hostname for launch in result.launches) == ["node0", "node1", "node2"]
    reasons = result.reasons["/web"]
    assert sum(reasons.values()) == 3
    assert all(r.code == UNFULFILLED_CONSTRAINT for r in reasons)
    assert "hostname:UNIQUE: an instance already runs where hostname is 'node0'" in {str(r) for r in reasons}


def test_unique_respects_instances_already_running(make_app, make_offer):
    app = make_app(constraints=[["hostname", "UNIQUE"]])
    running = [Placement("/web", "agent-0", "node0", {})]
    result = match([Demand(app, 2)], [make_offer(0), make_offer(1)], running)
    assert [launch.hostname for launch in result.launches] == ["node1"]
    assert result.unused_offer_ids == ["offer-0"]


def test_group_by_spreads_evenly_within_one_batch(make_app, make_offer):
    app = make_app(constraints=[["rack", "GROUP_BY", "3"]])
    offers = [make_offer(i, attributes={"rack": f"r{i % 3}"}) for i in range(3)]
    result = match([Demand(app, 6)], offers, [])
    assert len(result.launches) == 6
    assert Counter(launch.hostname for launch in result.launches) == {"node0": 2, "node1": 2, "node2": 2}


def test_group_by_evens_out_an_existing_imbalance(make_app, make_offer):
    app = make_app(constraints=[["rack", "GROUP_BY", "3"]])
    running = [Placement("/web", "a", "x", {"rack": "r0"}), Placement("/web", "b", "y", {"rack": "r0"})]
    offers = [make_offer(i, attributes={"rack": f"r{i}"}) for i in range(3)]
    result = match([Demand(app, 4)], offers, running)
    racks = Counter(launch.hostname for launch in result.launches)
    assert racks == {"node1": 2, "node2": 2}


def test_group_by_without_count_only_knows_values_already_used(make_app, make_offer):
    # Marathon's documented caveat: with one value in use, that value is the smallest group.
    app = make_app(constraints=[["rack", "GROUP_BY"]])
    running = [Placement("/web", "a", "x", {"rack": "r0"})]
    result = match([Demand(app, 2)], [make_offer(0, attributes={"rack": "r0"})], running)
    assert len(result.launches) == 2


def test_max_per_holds_within_the_batch(make_app, make_offer):
    app = make_app(constraints=[["hostname", "MAX_PER", "2"]])
    result = match([Demand(app, 5)], [make_offer(0), make_offer(1)], [])
    assert Counter(launch.hostname for launch in result.launches) == {"node0": 2, "node1": 2}


def test_several_instances_per_offer_get_distinct_ports(make_app, make_offer):
    app = make_app(portDefinitions=[{"port": 0, "protocol": "tcp", "name": "http"},
                                    {"port": 0, "protocol": "tcp", "name": "admin"}])
    result = match([Demand(app, 3)], [make_offer(0, ports=((31000, 31010),))], [])
    ports = [p for launch in result.launches for p in launch.ports]
    assert len(ports) == 6 and len(set(ports)) == 6
    assert list(result.by_offer()) == ["offer-0"]


def test_require_ports_conflict_leaves_one_instance_per_offer(make_app, make_offer):
    app = make_app(requirePorts=True, portDefinitions=[{"port": 31500, "protocol": "tcp"}])
    result = match([Demand(app, 2)], [make_offer(0)], [])
    assert [launch.ports for launch in result.launches] == [(31500,)]
    assert [str(r) for r in result.reasons["/web"]] == ["host port 31500 is not offered or already in use"]


def test_bridge_host_port_zero_gets_a_random_port_in_range(make_app, make_offer):
    app = make_app(
        networks=[{"mode": "container/bridge"}],
        container={"type": "DOCKER", "docker": {"image": "nginx"},
                   "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]},
    )
    result = match([Demand(app, 2)], [make_offer(0, ports=((31000, 31999),))], [], rng=random.Random(3))
    ports = [launch.ports[0] for launch in result.launches]
    assert len(set(ports)) == 2
    assert all(31000 <= p <= 31999 for p in ports)
    assert ports != [31000, 31001]  # not lowest-first with a generator


def test_bridge_fixed_host_port_must_be_offered(make_app, make_offer):
    app = make_app(
        networks=[{"mode": "container/bridge"}],
        container={"type": "DOCKER", "docker": {"image": "nginx"},
                   "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]},
    )
    result = match([Demand(app, 1)], [make_offer(0)], [])
    assert result.launches == []
    assert result.unused_offer_ids == ["offer-0"]


def test_priority_order_and_resource_reasons(make_app, make_offer):
    big = make_app("/big", cpus=3.0)
    small = make_app("/small", cpus=1.0, mem=64.0)
    result = match([Demand(big, 2), Demand(small, 2)], [make_offer(0, cpus=4.0)], [])
    assert [launch.app_id for launch in result.launches] == ["/big", "/small"]
    assert result.reasons["/big"] == Counter({INSUFFICIENT_CPUS: 1})
    assert result.reasons["/small"] == Counter({INSUFFICIENT_CPUS: 1})


def test_exhausted_offers_still_count_as_reasons(make_app, make_offer):
    app = make_app(mem=1024.0)
    other = make_app("/other", mem=2048.0)
    offers = [make_offer(i, mem=512.0) for i in range(3)]
    result = match([Demand(app, 1), Demand(other, 1)], offers, [])
    assert result.launches == []
    assert result.reasons["/web"] == Counter({INSUFFICIENT_MEMORY: 3})
    assert result.reasons["/other"] == Counter({INSUFFICIENT_MEMORY: 3})
    assert result.unused_offer_ids == ["offer-0", "offer-1", "offer-2"]


def test_accepted_resource_roles(make_app, make_offer):
    app = make_app(acceptedResourceRoles=["web"])
    unreserved = match([Demand(app, 1)], [make_offer(0)], [])
    assert unreserved.reasons["/web"] == Counter({NO_ACCEPTED_ROLE: 1})
    reserved = match([Demand(app, 1)], [make_offer(0, role="web")], [])
    assert reserved.launches[0].role == "web"
    assert all(r["role"] == "web" for r in reserved.launches[0].resources)


def test_launches_are_grouped_by_offer(make_app, make_offer):
    a = make_app("/a", constraints=[["rack", "GROUP_BY", "2"]])
    offers = [make_offer(i, attributes={"rack": f"r{i}"}) for i in range(2)]
    result = match([Demand(a, 4)], offers, [])
    assert [launch.offer_id for launch in result.launches] == ["offer-0", "offer-0", "offer-1", "offer-1"]
    assert {k: len(v) for k, v in result.by_offer().items()} == {"offer-0": 2, "offer-1": 2}


def test_nothing_pending_leaves_every_offer_unused(make_offer):
    result = match([], [make_offer(0)], [])
    assert result.launches == [] and result.unused_offer_ids == ["offer-0"] and result.reasons == {}
