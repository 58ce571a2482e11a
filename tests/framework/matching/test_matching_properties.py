"""Hypothesis properties of the batch matcher over random apps, offers and running instances."""

from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from framework.matching import Demand, Placement, match
from framework.matching.resources import parse_offer, to_fixed
from tests.framework.matching.conftest import build_app, build_offer

RACKS = ["r0", "r1", "r2"]


@st.composite
def offers(draw):
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        start = draw(st.sampled_from([31000, 31003, 31010]))
        span = draw(st.integers(0, 6))
        out.append(build_offer(
            i,
            cpus=draw(st.sampled_from([0.1, 0.3, 1.0, 2.5])),
            mem=draw(st.sampled_from([64.0, 100.0, 512.0])),
            disk=draw(st.sampled_from([0.0, 100.0])),
            ports=((start, start + span),) if draw(st.booleans()) else ((start, start + span), (31050, 31052)),
            attributes={"rack": draw(st.sampled_from(RACKS))},
            hostname=f"node{draw(st.integers(0, 3))}",  # several offers may come from one host
        ))
    return out


@st.composite
def demands(draw):
    out = []
    for i in range(draw(st.integers(1, 4))):
        constraints = draw(st.lists(st.sampled_from([
            ["hostname", "UNIQUE"], ["rack", "UNIQUE"], ["rack", "MAX_PER", "2"], ["rack", "GROUP_BY", "3"],
            ["rack", "LIKE", "r[01]"],
        ]), max_size=2, unique_by=lambda c: c[1]))
        exact = draw(st.booleans())
        ports = [{"port": draw(st.sampled_from([31000, 31004, 31051])) if exact else 0, "protocol": "tcp"}
                 for _ in range(draw(st.integers(0, 2)))]
        app = build_app(
            f"/app{i}",
            cpus=draw(st.sampled_from([0.1, 0.2, 0.5])),
            mem=draw(st.sampled_from([16.0, 32.0, 64.0])),
            disk=draw(st.sampled_from([0.0, 10.0])),
            constraints=constraints,
            requirePorts=exact,
            portDefinitions=ports,
        )
        out.append(Demand(app, draw(st.integers(0, 6))))
    return out


running = st.lists(st.builds(
    lambda app, host, rack: Placement(f"/app{app}", f"agent-x{host}", f"node{host}", {"rack": rack}),
    st.integers(0, 3), st.integers(0, 3), st.sampled_from(RACKS),
), max_size=4)


@settings(max_examples=150, deadline=None)
@given(demands(), offers(), running)
def test_launches_fit_their_offers(ds, os_, placed):
    result = match(ds, os_, placed)
    pools = {o["id"]["value"]: parse_offer(o).pools[0] for o in os_}
    used = defaultdict(lambda: [0, 0, 0])
    for launch in result.launches:
        used[launch.offer_id][0] += launch.need.cpus
        used[launch.offer_id][1] += launch.need.mem
        used[launch.offer_id][2] += launch.need.disk
    for offer_id, (cpus, mem, disk) in used.items():
        pool = pools[offer_id]
        assert cpus <= pool.cpus and mem <= pool.mem and disk <= pool.disk
    # and the resource dicts say the same as the need, in Mesos's three decimals
    for launch in result.launches:
        scalars = {r["name"]: to_fixed(r["scalar"]["value"]) for r in launch.resources if r["type"] == "SCALAR"}
        assert scalars.get("cpus", 0) == launch.need.cpus


@settings(max_examples=150, deadline=None)
@given(demands(), offers(), running)
def test_no_host_port_is_used_twice_on_an_agent_and_all_are_offered(ds, os_, placed):
    result = match(ds, os_, placed)
    ranges = {o["id"]["value"]: parse_offer(o).pools[0].ports for o in os_}
    seen = Counter((launch.agent_id, p) for launch in result.launches for p in launch.ports)
    assert all(n == 1 for n in seen.values())
    for launch in result.launches:
        assert all(any(b <= p <= e for b, e in ranges[launch.offer_id]) for p in launch.ports)


@settings(max_examples=150, deadline=None)
@given(demands(), offers(), running)
def test_unique_and_max_per_are_never_violated_and_counts_respected(ds, os_, placed):
    result = match(ds, os_, placed)
    by_offer = {o["id"]["value"]: o for o in os_}
    for demand in ds:
        app = demand.app
        mine = [launch for launch in result.launches if launch.app_id == app["id"]]
        assert len(mine) <= demand.count
        hosts = [p.hostname for p in placed if p.app_id == app["id"]] + [launch.hostname for launch in mine]
        racks = [p.attributes["rack"] for p in placed if p.app_id == app["id"]] + [
            by_offer[launch.offer_id]["attributes"][0]["text"]["value"] for launch in mine]
        for field, op, *value in app["constraints"]:
            values = hosts if field == "hostname" else racks
            if op == "UNIQUE":
                new = values[len(values) - len(mine):]
                assert all(values.count(v) == 1 for v in new)
            if op == "MAX_PER":
                new = set(values[len(values) - len(mine):])
                assert all(values.count(v) <= max(int(value[0]), 0) or v not in new for v in set(values))
