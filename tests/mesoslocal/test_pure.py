"""Pure parts: resources arithmetic, the allocator's filters, RecordIO, call validation, task states, liveness."""

from __future__ import annotations

from mesoslocal.master.agents import AgentRegistry
from mesoslocal.master.allocator import Allocator, refuse_seconds
from mesoslocal.master.liveness import Liveness
from mesoslocal.master.records import AgentRecord
from mesoslocal.wire import recordio
from mesoslocal.wire.resources import Resources, split_ports
from mesoslocal.wire.task_status import TERMINAL_STATES, is_terminal, releases_resources
from mesoslocal.wire.validation import check_call, check_call_shape


def test_fixed_point_scalars_and_ranges() -> None:
    total = Resources.parse_spec("cpus:1;mem:100;ports:[31000-31010]")
    used = Resources.from_v1([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}] * 10)
    assert (total - used).scalar("cpus") == 0.0 and "cpus" not in (total - used).scalars
    one_port = Resources.parse_spec("ports:[31005-31005]")
    left = total - one_port
    assert left.flatten()["ports"] == "[31000-31004, 31006-31010]"
    assert total.contains(one_port) and not left.contains(one_port)
    assert (left + one_port).flatten()["ports"] == "[31000-31010]"
    assert total.flatten()["gpus"] == 0.0


def test_split_ports_disjoint() -> None:
    slices = split_ports(Resources.parse_spec("cpus:4;ports:[31000-32000]"), 3)
    assert [s.flatten()["ports"] for s in slices] == ["[31000-31332]", "[31333-31665]", "[31666-31998]"]


def test_filters_block_only_subsets() -> None:
    allocator = Allocator()
    allocator.add_agent("a", Resources.parse_spec("cpus:4;mem:100"))
    allocator.add_framework("f")
    [(_, _, offered)] = allocator.allocate(now=0)
    allocator.take_offer("a", offered)
    allocator.refuse("f", "a", offered, refuse_seconds(None), now=0)
    assert allocator.allocate(now=1) == []
    assert allocator.allocate(now=5.1) != []
    assert refuse_seconds({"refuse_seconds": -1}) == 5.0 and refuse_seconds({"refuse_seconds": 0}) == 0


def test_filter_passes_a_superset() -> None:
    allocator = Allocator()
    allocator.add_agent("a", Resources.parse_spec("cpus:4"))
    allocator.add_framework("f")
    task = Resources.parse_spec("cpus:1")
    allocator.use("a", task)
    [(_, _, offered)] = allocator.allocate(now=0)
    allocator.take_offer("a", offered)
    allocator.refuse("f", "a", offered, 60, now=0)
    assert allocator.allocate(now=1) == []
    allocator.release("a", task)
    [(_, _, offered)] = allocator.allocate(now=2)
    assert offered.scalar("cpus") == 4


def test_recordio_bytes_not_characters() -> None:
    record = recordio.encode({"name": "é"})
    assert record.startswith(b"13\n")  # 12 characters, 13 bytes
    assert recordio.decode_all(record + record[:5]) == ([{"name": "é"}], record[:5])


def test_call_validation_texts() -> None:
    assert check_call_shape({"type": "KILL", "kill": {}}) == "Missing required fields: kill.task_id"
    assert check_call_shape({"type": "X", "v0_field": 1}) is None  # unknown keys are ignored
    assert check_call({"type": "BOGUS"}) == "Expecting 'type' to be present"
    assert check_call({"type": "SUBSCRIBE", "framework_id": {"value": "a"},
                       "subscribe": {"framework_info": {"id": {"value": "b"}}}}) == \
        "'framework_id' differs from 'subscribe.framework_info.id'"


def test_terminal_states_are_those_of_mesos() -> None:
    mesos_terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE",
                      "TASK_GONE_BY_OPERATOR", "TASK_LOST"}  # notes C6
    assert mesos_terminal == TERMINAL_STATES
    for state in ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE",
                  "TASK_UNKNOWN"):
        assert not is_terminal(state)
    assert releases_resources("TASK_UNREACHABLE") and not releases_resources("TASK_UNKNOWN")


class _Port:
    def __init__(self) -> None:
        self.answers = True

    def ping(self) -> bool:
        return self.answers


def test_liveness_counts_silence_from_the_last_answer() -> None:
    agents, port = AgentRegistry(), _Port()
    agent = AgentRecord("a", "host", "127.0.0.1", 5051, [], Resources(), port)  # type: ignore[arg-type]
    agents.add(agent)
    liveness = Liveness(agents, timeout=10.0)
    liveness.registered("a", now=100.0)
    port.answers = False
    assert liveness.silent(now=109.0) == []
    port.answers = True
    assert liveness.silent(now=115.0) == []  # answered: silence counts from here
    port.answers = False
    assert liveness.silent(now=124.0) == [] and liveness.silent(now=125.0) == [agent]
    agents.mark_unreachable(agent)
    assert liveness.silent(now=200.0) == []  # only active agents are pinged
