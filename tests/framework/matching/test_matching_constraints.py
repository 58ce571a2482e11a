"""One test group per Marathon constraint operator, with the reason strings people will read."""

import pytest

from framework.matching.constraints import Constraint, FieldStats, Placement, check, check_offer
from framework.matching.reasons import UNFULFILLED_CONSTRAINT


def placed(*hosts_and_racks: tuple[str, str | None]) -> list[Placement]:
    return [
        Placement("/web", f"agent-{h}", h, {} if rack is None else {"rack": rack})
        for h, rack in hosts_and_racks
    ]


def reason(constraint, hostname="node1", attributes=None, placements=()):
    rejection = check_offer([constraint], hostname, attributes or {}, placements)
    if rejection is None:
        return None
    assert rejection.code == UNFULFILLED_CONSTRAINT
    return rejection.message


class TestUnique:
    def test_hostname(self):
        assert reason(["hostname", "UNIQUE"], "node1", placements=placed(("node2", None))) is None
        assert reason(["hostname", "UNIQUE"], "node1", placements=placed(("node1", None))) == (
            "hostname:UNIQUE: an instance already runs where hostname is 'node1'")

    def test_at_hostname_is_the_same_field(self):
        assert reason(["@hostname", "UNIQUE"], "node1", placements=placed(("node1", None))) is not None

    def test_attribute(self):
        assert reason(["rack", "UNIQUE"], attributes={"rack": "r1"}, placements=placed(("n", "r2"))) is None
        assert reason(["rack", "UNIQUE"], attributes={"rack": "r1"}, placements=placed(("n", "r1"))) == (
            "rack:UNIQUE: an instance already runs where rack is 'r1'")


class TestCluster:
    def test_with_value(self):
        assert reason(["rack", "CLUSTER", "r1"], attributes={"rack": "r1"}) is None
        assert reason(["rack", "CLUSTER", "r1"], attributes={"rack": "r2"}) == "rack:CLUSTER:r1: rack is 'r2', not 'r1'"

    def test_without_value_follows_the_first_placed(self):
        assert reason(["rack", "CLUSTER"], attributes={"rack": "r2"}) is None  # nothing placed yet
        first = placed(("a", "r1"), ("b", "r1"))
        assert reason(["rack", "CLUSTER"], attributes={"rack": "r1"}, placements=first) is None
        assert reason(["rack", "CLUSTER"], attributes={"rack": "r2"}, placements=first) == (
            "rack:CLUSTER: instances run where rack is 'r1', not 'r2'")

    def test_hostname_without_value(self):
        assert reason(["hostname", "CLUSTER"], "node2", placements=placed(("node1", None))) is not None


class TestGroupBy:
    def test_unused_value_is_always_accepted(self):
        assert reason(["rack", "GROUP_BY"], attributes={"rack": "r3"}, placements=placed(("a", "r1"))) is None

    def test_used_value_only_when_it_is_the_smallest_group(self):
        spread = placed(("a", "r1"), ("b", "r1"), ("c", "r2"))
        assert reason(["rack", "GROUP_BY"], attributes={"rack": "r2"}, placements=spread) is None
        assert reason(["rack", "GROUP_BY"], attributes={"rack": "r1"}, placements=spread) == (
            "rack:GROUP_BY: rack 'r1' has 2 instances, more than the smallest group (1)")

    def test_count_waits_for_enough_values(self):
        one = placed(("a", "r1"))
        assert reason(["rack", "GROUP_BY"], attributes={"rack": "r1"}, placements=one) is None
        assert reason(["rack", "GROUP_BY", "3"], attributes={"rack": "r1"}, placements=one) == (
            "rack:GROUP_BY:3: rack 'r1' already has an instance and only 1 of 3 values are used")


class TestLikeUnlike:
    def test_like_is_a_full_match(self):
        assert reason(["hostname", "LIKE", "node[0-9]"], "node1") is None
        assert reason(["hostname", "LIKE", "node"], "node1") == (
            "hostname:LIKE:node: hostname 'node1' does not match 'node'")

    def test_unlike(self):
        assert reason(["rack", "UNLIKE", "r[7-9]"], attributes={"rack": "r1"}) is None
        assert reason(["rack", "UNLIKE", "r[7-9]"], attributes={"rack": "r8"}) == (
            "rack:UNLIKE:r[7-9]: rack 'r8' matches 'r[7-9]'")

    def test_missing_regex_rejects(self):
        assert reason(["rack", "LIKE"], attributes={"rack": "r1"}) == "rack:LIKE: LIKE needs a regular expression"


class TestMaxPer:
    def test_limit(self):
        two = placed(("a", "r1"), ("b", "r1"))
        assert reason(["rack", "MAX_PER", "3"], attributes={"rack": "r1"}, placements=two) is None
        assert reason(["rack", "MAX_PER", "2"], attributes={"rack": "r1"}, placements=two) == (
            "rack:MAX_PER:2: rack 'r1' already has 2 instances")

    def test_non_integer_is_invalid(self):
        assert reason(["rack", "MAX_PER", "x"], attributes={"rack": "r1"}) == "rack:MAX_PER:x: MAX_PER needs an integer"


class TestIs:
    def test_exact(self):
        assert reason(["rack", "IS", "r1"], attributes={"rack": "r1"}) is None
        assert reason(["rack", "IS", "r1"], attributes={"rack": "r10"}) == "rack:IS:r1: rack is 'r10', not 'r1'"


@pytest.mark.parametrize("op", [["UNIQUE"], ["CLUSTER", "r1"], ["GROUP_BY"], ["LIKE", ".*"], ["MAX_PER", "1"],
                                ["IS", "r1"]])
def test_missing_attribute_fails_every_operator_but_unlike(op):
    assert reason(["rack", *op]) == f"rack:{':'.join(op)}: agent has no attribute 'rack'"


def test_missing_attribute_passes_unlike():
    assert reason(["rack", "UNLIKE", "r1"]) is None


def test_unknown_operator_rejects():
    assert reason(["rack", "NEAR", "x"], attributes={"rack": "x"}) == "rack:NEAR:x: unknown operator NEAR"


def test_field_stats_count_placements_missing_the_attribute_as_a_group():
    stats = FieldStats.of("rack", placed(("a", "r1"), ("b", None)))
    assert stats.counts == {"r1": 1, None: 1}
    assert check(Constraint.parse(["rack", "GROUP_BY"]), "r1", stats) is None
