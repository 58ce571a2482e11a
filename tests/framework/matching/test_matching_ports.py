"""Host port assignment."""

import random

from framework.matching.ports import PortAssignment, assign_ports, remove_port
from framework.matching.reasons import INSUFFICIENT_PORTS_CODE, Rejection


def test_dynamic_ports_take_the_lowest_free():
    result = assign_ports([0, 0], ((31000, 31001), (31005, 31010)))
    assert result == PortAssignment((31000, 31001), ((31005, 31010),))


def test_exact_ports_are_taken_before_dynamic_ones():
    result = assign_ports([0, 31000], ((31000, 31002),))
    assert isinstance(result, PortAssignment)
    assert result.ports == (31001, 31000)


def test_exact_port_outside_the_offer_is_rejected_with_a_reason():
    result = assign_ports([8080], ((31000, 32000),))
    assert result == Rejection(INSUFFICIENT_PORTS_CODE, "host port 8080 is not offered or already in use")


def test_same_exact_port_twice_conflicts():
    result = assign_ports([31000, 31000], ((31000, 32000),))
    assert isinstance(result, Rejection)
    assert "31000" in result.message


def test_not_enough_dynamic_ports():
    result = assign_ports([0, 0, 0], ((31000, 31001),))
    assert result == Rejection(INSUFFICIENT_PORTS_CODE, "not enough free ports")


def test_random_dynamic_ports_stay_in_range_and_distinct():
    rng = random.Random(7)
    result = assign_ports([0] * 5, ((31000, 31004), (31010, 31020)), rng=rng)
    assert isinstance(result, PortAssignment)
    assert len(set(result.ports)) == 5
    assert all(31000 <= p <= 31004 or 31010 <= p <= 31020 for p in result.ports)


def test_remove_port_splits_a_range():
    assert remove_port(((1, 5),), 3) == ((1, 2), (4, 5))
    assert remove_port(((1, 1), (3, 4)), 1) == ((3, 4),)
