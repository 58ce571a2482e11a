"""Soak: 50 clients — readers, writers and event subscribers — on the whole backend for 60 s."""

from __future__ import annotations

from tests.soak import Soak

SECONDS = 60


def test_fifty_mixed_clients_for_a_minute_get_no_5xx_and_no_failure(backend_stack, capsys):
    with Soak(backend_stack.api_url, readers=30, writers=10, subscribers=10) as soak:
        soak.run_for(SECONDS)
    with capsys.disabled():
        print(f"\nsoak {SECONDS} s, 50 clients: {soak.report()}")
    assert soak.server_errors == 0, soak.failures
    assert soak.failed == 0, soak.failures
    assert soak.writes >= 10 * SECONDS * 0.5  # the writers were not starved
    # every subscriber followed along: one api_post_event per accepted write, give or take those in flight
    assert min(soak.events_received()) >= soak.writes - 10
    apps = backend_stack.call("GET", "/v2/apps?id=/soak")["apps"]
    assert sorted(app["id"] for app in apps) == [f"/soak/writer-{n}" for n in range(10)]
