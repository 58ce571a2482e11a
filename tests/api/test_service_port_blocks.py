"""Service ports from reserved blocks (api/serviceports.py): unique across workers without a turn per write."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from api import serviceports
from api.serviceports import BLOCK, GRACE, LEASE, PortPool, PortsExhausted
from framework.model import normalize_app, service_ports
from framework.store import Change, Store

RANGE = (10000, 20000)


def apps(prefix: str, count: int, ports: int = 1) -> list[dict]:
    return [normalize_app({"id": f"{prefix}/a{n}", "cmd": "sleep 1", "portDefinitions": [{"port": 0}] * ports})
            for n in range(count)]


def record_version(store: Store) -> int:
    return store.nodes.client.get(store.nodes.layout.service_ports)[1].version


class Clock:
    """serviceports' wall clock, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_790_000_000.0
        monkeypatch.setattr(serviceports.time, "time", lambda: self.now)


def test_a_worker_writes_the_record_once_per_block_not_once_per_write(store: Store) -> None:
    pool = PortPool()
    taken: list[int] = []
    for app in apps("/one", BLOCK + 1):
        assert pool.assign([app], set(), dict, store.nodes, port_range=RANGE) is not None
        taken += service_ports(app)
    assert len(set(taken)) == BLOCK + 1 and all(RANGE[0] <= port <= RANGE[1] for port in taken)
    assert record_version(store) == 1  # created with the first block, set once for the second


def test_workers_never_share_a_port_and_a_block_is_used_only_during_its_lease(store: Store, monkeypatch) -> None:
    clock = Clock(monkeypatch)
    first, second = PortPool(), PortPool()
    given: list[int] = []
    for n, app in enumerate(apps("/two", 3 * BLOCK, ports=2)):
        lease = (first if n % 2 else second).assign([app], set(), dict, store.nodes, port_range=RANGE)
        assert lease is not None and first.valid(lease)
        given += service_ports(app)
    assert 0 not in given and len(given) == len(set(given))  # no mirror shows these apps: the blocks keep them apart

    [late] = apps("/late", 1)
    lease = first.assign([late], set(), dict, store.nodes, port_range=RANGE)
    clock.now += LEASE
    assert not first.valid(lease)  # the write that took it must not be committed now: it is retried
    version = record_version(store)
    [after] = apps("/after", 1)
    first.assign([after], set(), dict, store.nodes, port_range=RANGE)
    assert record_version(store) == version + 1  # a new block, though the old one had ports left
    clock.now += GRACE
    [fresh] = apps("/fresh", 1)
    first.assign([fresh], set(), dict, store.nodes, port_range=RANGE)
    blocks = serviceports.parse_record(store.nodes.client.get(store.nodes.layout.service_ports)[0])["blocks"]
    assert len(blocks) == 1  # expired blocks are dropped: the record does not grow with the apps


def test_an_explicit_port_is_reserved_so_that_no_other_worker_hands_it_out(store: Store) -> None:
    first, second = PortPool(), PortPool()
    [explicit] = [normalize_app({"id": "/explicit", "cmd": "sleep 1", "portDefinitions": [{"port": RANGE[0]}]})]
    assert first.assign([explicit], {RANGE[0]}, dict, store.nodes, port_range=RANGE) is None
    [other] = apps("/other", 1)
    second.assign([other], set(), dict, store.nodes, port_range=RANGE)  # its mirror does not show /explicit yet
    assert service_ports(other) == [RANGE[0] + 1]


def test_a_port_of_the_block_that_an_app_in_the_mirror_took_meanwhile_is_skipped(store: Store) -> None:
    """The pool follows the mirror's app changes (not a scan of every app per write)."""
    pool, mirrored = PortPool(), {}
    [first] = apps("/first", 1)
    pool.assign([first], set(), lambda: mirrored, store.nodes, port_range=RANGE)
    [taken_port] = service_ports(first)
    explicit = normalize_app({"id": "/explicit", "cmd": "sleep 1", "portDefinitions": [{"port": taken_port + 1}]})
    mirrored[explicit["id"]] = explicit  # e.g. written by another replica with that port given explicitly
    pool.app_changed(Change("app", explicit["id"], False))
    [second] = apps("/second", 1)
    pool.assign([second], set(), lambda: mirrored, store.nodes, port_range=RANGE)
    assert service_ports(second) == [taken_port + 2]
    del mirrored[explicit["id"]]
    pool.app_changed(Change("app", explicit["id"], True))
    [third] = apps("/third", 1)
    pool.assign([third], set(), lambda: mirrored, store.nodes, port_range=RANGE)
    assert service_ports(third) == [taken_port + 3]  # the block moves on; the freed port is not reused at once


def test_an_explicit_port_from_the_workers_own_block_is_not_handed_out_after_it(store: Store) -> None:
    pool = PortPool()
    [first] = apps("/first", 1)
    pool.assign([first], set(), dict, store.nodes, port_range=RANGE)
    [port] = service_ports(first)
    explicit = normalize_app({"id": "/explicit", "cmd": "sleep 1", "portDefinitions": [{"port": port + 1}]})
    pool.assign([explicit], {port + 1}, dict, store.nodes, port_range=RANGE)
    [after] = apps("/after", 1)
    pool.assign([after], set(), dict, store.nodes, port_range=RANGE)  # the explicit app is not mirrored yet
    assert service_ports(after) == [port + 2]


def test_running_out_of_ports_is_an_error_not_a_duplicate(store: Store) -> None:
    pool = PortPool()
    with pytest.raises(PortsExhausted):
        pool.assign(apps("/many", 1, ports=3), set(), dict, store.nodes, port_range=(10000, 10001))
    [two] = apps("/two", 1, ports=2)
    pool.assign([two], set(), dict, store.nodes, port_range=(10000, 10001))
    assert sorted(service_ports(two)) == [10000, 10001]


@pytest.mark.slow
def test_concurrent_creates_on_two_gunicorn_workers_get_unique_ports_and_are_read_back_at_once(gunicorn_api):
    """4 clients on keep-alive connections (each served by one of the 2 workers) create apps with two
    service ports each; every client reads each of its apps back right after creating it."""

    def client(index: int) -> list[int]:
        session = requests.Session()
        ports = []
        for n in range(15):
            app_id = f"/blocks/c{index}/a{n}"
            body = {"id": app_id, "cmd": "sleep 1", "instances": 0, "portDefinitions": [{"port": 0}, {"port": 0}]}
            created = session.post(f"{gunicorn_api}/v2/apps", json=body, timeout=30)
            assert created.status_code == 201, created.text
            read = session.get(f"{gunicorn_api}/v2/apps{app_id}", timeout=30)
            assert read.status_code == 200, f"{app_id} not visible to its creator at once"
            shown = [d["port"] for d in read.json()["app"]["portDefinitions"]]
            assert shown == [d["port"] for d in created.json()["portDefinitions"]] and 0 not in shown
            ports += shown
        return ports

    with ThreadPoolExecutor(4) as pool:
        ports = [port for batch in pool.map(client, range(4)) for port in batch]
    assert len(ports) == 120 and len(set(ports)) == 120
    listed = requests.get(f"{gunicorn_api}/v2/apps", params={"id": "/blocks"}, timeout=30).json()["apps"]
    assert sorted(d["port"] for app in listed for d in app["portDefinitions"]) == sorted(ports)
