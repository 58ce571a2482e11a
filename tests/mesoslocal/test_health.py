"""Health checks: the D5 rules as a pure state machine, and the checker loop against real local servers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from launchers.process import free_port
from mesoslocal.agent.health import HealthChecker, HealthPolicy, HealthState, Verdict

# --- the pure state machine ---------------------------------------------------------------------------------


def feed(state: HealthState, *results: tuple[float, bool]) -> list[Verdict]:
    return [state.record(now, ok) for now, ok in results]


def fresh(grace: float = 10.0, failures: int = 3) -> HealthState:
    return HealthState(started_at=100.0, grace_period_seconds=grace, consecutive_failures=failures)


HEALTHY, UNHEALTHY, NOTHING, GIVE_UP = Verdict(True), Verdict(False), Verdict(), Verdict(False, give_up=True)


def test_first_success_reports_healthy_once() -> None:
    assert feed(fresh(), (101, True), (102, True), (103, True)) == [HEALTHY, NOTHING, NOTHING]


def test_failures_in_the_grace_period_before_any_success_are_ignored() -> None:
    assert feed(fresh(grace=10), (101, False), (109.9, False), (110, False)) == [NOTHING, NOTHING, UNHEALTHY]


def test_grace_period_no_longer_applies_after_the_first_success() -> None:
    assert feed(fresh(grace=10), (101, True), (102, False)) == [HEALTHY, UNHEALTHY]


def test_every_counted_failure_reports_unhealthy_and_the_last_gives_up() -> None:
    assert feed(fresh(grace=0), (100, False), (101, False), (102, False)) == [UNHEALTHY, UNHEALTHY, GIVE_UP]


def test_nothing_is_reported_after_giving_up() -> None:
    state = fresh(grace=0, failures=1)
    assert feed(state, (100, False), (101, True), (102, False)) == [GIVE_UP, NOTHING, NOTHING]
    assert state.gave_up


def test_a_success_after_failures_reports_healthy_and_resets_the_count() -> None:
    verdicts = feed(fresh(grace=0), (100, True), (101, False), (102, False), (103, True), (104, False),
                    (105, False), (106, False))
    assert verdicts == [HEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY, UNHEALTHY, UNHEALTHY, GIVE_UP]


def test_zero_consecutive_failures_never_gives_up() -> None:
    assert feed(fresh(grace=0, failures=0), *[(100 + i, False) for i in range(10)]) == [UNHEALTHY] * 10


def test_ignored_grace_failures_do_not_count_toward_giving_up() -> None:
    verdicts = feed(fresh(grace=10, failures=2), (101, False), (102, False), (111, False), (112, False))
    assert verdicts == [NOTHING, NOTHING, UNHEALTHY, GIVE_UP]


def test_policy_defaults_and_type_inference() -> None:
    assert HealthPolicy.from_health_check({"type": "TCP", "tcp": {"port": 1}}) == HealthPolicy(
        "TCP", delay_seconds=15, interval_seconds=10, timeout_seconds=20, consecutive_failures=3,
        grace_period_seconds=10)
    assert HealthPolicy.from_health_check({"command": {"value": "true"}}).kind == "COMMAND"
    assert HealthPolicy.from_health_check({"http": {"port": 80}, "interval_seconds": 1}).interval_seconds == 1
    with pytest.raises(ValueError):
        HealthPolicy.from_health_check({"delay_seconds": 1})
    with pytest.raises(ValueError):
        HealthPolicy.from_health_check({"type": "GRPC"})


# --- the checker loop, against real servers -----------------------------------------------------------------


class FakeRunner:
    """A task runner whose checks land on this machine; COMMAND checks return scripted exit codes."""

    check_host = "127.0.0.1"

    def __init__(self, codes: list[int] | None = None) -> None:
        self.codes = codes or []
        self.commands: list[dict] = []

    async def run_check_command(self, command: dict) -> int:
        self.commands.append(command)
        return self.codes.pop(0) if self.codes else 1


class Recorder:
    """The agent's callbacks; lets a test await a number of reports."""

    def __init__(self) -> None:
        self.results: list[bool] = []
        self.gave_up = asyncio.Event()
        self._changed = asyncio.Event()

    async def on_result(self, healthy: bool) -> None:
        self.results.append(healthy)
        self._changed.set()

    async def on_give_up(self) -> None:
        self.gave_up.set()

    async def until(self, count: int, timeout: float = 5.0) -> list[bool]:
        async def reached() -> None:
            while len(self.results) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reached(), timeout)
        return self.results


def fast(check: dict, failures: int = 2, grace: float = 0) -> dict:
    return {"delay_seconds": 0, "interval_seconds": 0.05, "timeout_seconds": 0.5, "consecutive_failures": failures,
            "grace_period_seconds": grace, **check}


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_http_check_follows_the_server_status_until_giving_up() -> None:
    port = free_port()
    status = {"code": 200}

    async def handler(request: web.Request) -> web.Response:
        assert request.path == "/health"
        return web.Response(status=status["code"])

    async def scenario() -> None:
        app = web.Application()
        app.router.add_get("/health", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        recorder = Recorder()
        checker = HealthChecker(fast({"type": "HTTP", "http": {"port": port, "path": "/health"}}), FakeRunner(),
                                recorder.on_result, recorder.on_give_up)
        try:
            checker.start()
            assert await recorder.until(1) == [True]
            status["code"] = 503
            await asyncio.wait_for(recorder.gave_up.wait(), 5)
            assert recorder.results == [True, False, False]
            assert not checker.running
        finally:
            checker.stop()
            await runner.cleanup()

    run(scenario)


def test_http_redirect_counts_as_healthy_and_a_slow_answer_fails() -> None:
    port = free_port()
    never = asyncio.Event()

    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/missing"})

    async def slow(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    async def scenario() -> None:
        app = web.Application()
        app.router.add_get("/moved", redirect)
        app.router.add_get("/slow", slow)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        moved, stuck = Recorder(), Recorder()
        checkers = [HealthChecker(fast({"http": {"port": port, "path": "/moved"}}), FakeRunner(),
                                  moved.on_result, moved.on_give_up),
                    HealthChecker(fast({"http": {"port": port, "path": "slow"}, "timeout_seconds": 0.2},
                                       failures=1), FakeRunner(), stuck.on_result, stuck.on_give_up)]
        try:
            for checker in checkers:
                checker.start()
            assert await moved.until(1) == [True]
            await asyncio.wait_for(stuck.gave_up.wait(), 5)
            assert stuck.results == [False]
        finally:
            for checker in checkers:
                checker.stop()
            await runner.cleanup()

    run(scenario)


def test_tcp_check_passes_while_the_port_listens() -> None:
    port = free_port()

    async def scenario() -> None:
        server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", port)
        recorder = Recorder()
        checker = HealthChecker(fast({"type": "TCP", "tcp": {"port": port}}, failures=1), FakeRunner(),
                                recorder.on_result, recorder.on_give_up)
        checker.start()
        try:
            assert await recorder.until(1) == [True]
            server.close()
            await server.wait_closed()
            await asyncio.wait_for(recorder.gave_up.wait(), 5)
            assert recorder.results == [True, False]
        finally:
            checker.stop()
            server.close()

    run(scenario)


def test_command_check_uses_the_runner_and_its_exit_code() -> None:
    command = {"shell": True, "value": "test -f /ready"}

    async def scenario() -> None:
        runner = FakeRunner(codes=[1, 0, 0, 2, 0])
        recorder = Recorder()
        checker = HealthChecker(fast({"type": "COMMAND", "command": command}, failures=5), runner,
                                recorder.on_result, recorder.on_give_up)
        checker.start()
        try:
            assert await recorder.until(4) == [False, True, False, True]
        finally:
            checker.stop()
        assert runner.commands[0] == command

    run(scenario)


def test_failures_in_the_grace_period_report_nothing() -> None:
    async def scenario() -> None:
        runner = FakeRunner()  # every command fails
        probed = asyncio.Event()
        original = runner.run_check_command

        async def counting(command: dict) -> int:
            if len(runner.commands) >= 4:
                probed.set()
            return await original(command)

        runner.run_check_command = counting  # type: ignore[method-assign]
        recorder = Recorder()
        checker = HealthChecker(fast({"command": {"value": "false"}}, failures=1, grace=60), runner,
                                recorder.on_result, recorder.on_give_up)
        checker.start()
        try:
            await asyncio.wait_for(probed.wait(), 5)
            assert recorder.results == [] and not recorder.gave_up.is_set() and checker.running
        finally:
            checker.stop()

    run(scenario)


def test_injected_clock_decides_the_grace_period() -> None:
    now = {"t": 0.0}

    async def scenario() -> None:
        runner = FakeRunner()
        recorder = Recorder()
        checker = HealthChecker(fast({"command": {"value": "false"}}, failures=1, grace=60), runner,
                                recorder.on_result, recorder.on_give_up, clock=lambda: now["t"])
        checker.start()
        now["t"] = 61.0  # the grace period is over for every check from now on
        try:
            await asyncio.wait_for(recorder.gave_up.wait(), 5)
            assert recorder.results == [False]
        finally:
            checker.stop()

    run(scenario)


def test_stop_ends_checking() -> None:
    async def scenario() -> None:
        runner = FakeRunner(codes=[0] * 1000)
        recorder = Recorder()
        checker = HealthChecker(fast({"command": {"value": "true"}}), runner, recorder.on_result,
                                recorder.on_give_up)
        checker.start()
        await recorder.until(1)
        checker.stop()
        await checker.join()
        assert not checker.running and recorder.results == [True]

    run(scenario)
