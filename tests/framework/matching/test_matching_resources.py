"""Offer parsing, fixed-point arithmetic and attribute flattening."""

import pytest

from framework.matching.reasons import INSUFFICIENT_CPUS, INSUFFICIENT_MEMORY
from framework.matching.resources import (
    OfferResources,
    ResourceNeed,
    flatten_attribute,
    flatten_attributes,
    format_scalar,
    merge_ranges,
    parse_offer,
    task_resources,
    to_fixed,
)


def test_point_one_plus_point_two_cpus_fit_exactly_in_point_three():
    pool = OfferResources(cpus=to_fixed(0.3), mem=to_fixed(100))
    after_first = pool.subtract(ResourceNeed.of(0.1, 10))
    assert after_first.fits(ResourceNeed.of(0.2, 10))
    assert after_first.subtract(ResourceNeed.of(0.2, 10)).cpus == 0
    # with floats 0.3 - 0.1 < 0.2, which is exactly the bug fixed point avoids
    assert 0.3 - 0.1 < 0.2


def test_fixed_point_rounds_like_mesos():
    assert to_fixed(0.0005) == 1  # half away from zero
    assert to_fixed(0.0004) == 0
    assert to_fixed(1.23456) == 1235


def test_shortfall_reports_the_first_missing_resource():
    pool = OfferResources(cpus=500, mem=64000)
    assert pool.shortfall(ResourceNeed.of(1.0, 128)) == INSUFFICIENT_CPUS
    assert pool.shortfall(ResourceNeed.of(0.5, 128)) == INSUFFICIENT_MEMORY
    assert pool.shortfall(ResourceNeed.of(0.5, 64)) is None


def test_subtract_refuses_what_does_not_fit():
    with pytest.raises(ValueError):
        OfferResources(cpus=100).subtract(ResourceNeed.of(1, 0))


def test_parse_offer_sums_and_merges_per_role(make_offer):
    offer = make_offer(3, cpus=2, mem=1024, ports=((31005, 31010), (31000, 31004)))
    offer["resources"].append({"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.5}, "role": "web"})
    parsed = parse_offer(offer)
    assert (parsed.offer_id, parsed.agent_id, parsed.hostname) == ("offer-3", "agent-3", "node3")
    assert [p.role for p in parsed.pools] == ["web", "*"]  # reserved first
    assert parsed.pools[0].cpus == 1500
    assert parsed.pools[1].cpus == 2000 and parsed.pools[1].mem == 1024000
    assert parsed.pools[1].ports == ((31000, 31010),)


def test_merge_ranges_sorts_and_joins_adjacent():
    assert merge_ranges([(10, 12), (1, 3), (4, 5), (20, 19)]) == ((1, 5), (10, 12))


@pytest.mark.parametrize(("attribute", "flat"), [
    ({"name": "rack", "type": "TEXT", "text": {"value": "r1"}}, "r1"),
    ({"name": "n", "type": "SCALAR", "scalar": {"value": 2.0}}, "2"),
    ({"name": "n", "type": "SCALAR", "scalar": {"value": 1.25}}, "1.25"),
    ({"name": "n", "type": "SCALAR", "scalar": {"value": 0.33333}}, "0.333"),
    ({"name": "r", "type": "RANGES", "ranges": {"range": [{"begin": 5, "end": 6}, {"begin": 1, "end": 2}]}},
     "[1-2,5-6]"),
    ({"name": "s", "type": "SET", "set": {"item": ["b", "a"]}}, "{a,b}"),
])
def test_attributes_flatten_as_marathon_compares_them(attribute, flat):
    assert flatten_attribute(attribute) == flat


def test_fault_domain_appears_as_region_and_zone(make_offer):
    offer = make_offer(attributes={"rack": "r1"})
    offer["domain"] = {"fault_domain": {"region": {"name": "eu"}, "zone": {"name": "eu-1a"}}}
    assert flatten_attributes(offer) == {"rack": "r1", "@region": "eu", "@zone": "eu-1a"}


def test_format_scalar_keeps_three_decimals():
    assert format_scalar(1000.0) == "1000"
    assert format_scalar(0.1 + 0.2) == "0.3"


def test_task_resources_shape():
    res = task_resources(ResourceNeed.of(0.5, 128), [31005, 31007, 31006])
    assert res == [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 128.0}},
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31005, "end": 31007}]}},
    ]
    reserved = task_resources(ResourceNeed.of(1, 0), [], role="web")
    assert reserved == [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}, "role": "web"}]
