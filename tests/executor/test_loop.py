"""The executor's task lifecycle on real processes: exits, failures, checks, kills, logs, no orphans."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

import pytest

from executor.loop import Kill, Shutdown
from launchers.process import free_port
from tests.executor.harness import RunningExecutor, gone, task_info
from tests.waiting import wait_for


@pytest.fixture
def executor(tmp_path):
    running = RunningExecutor(tmp_path)
    yield running
    running.executor.events.put(Shutdown(grace=2))
    running.thread.join(timeout=10)
    assert not running.thread.is_alive()


def test_exit_0_finishes_and_exit_3_fails_with_its_code(executor):
    executor.launch(task_info("ok", "exit 0"))
    executor.launch(task_info("bad", "exit 3"))
    executor.wait_state("ok", "TASK_FINISHED")
    failed = executor.wait_state("bad", "TASK_FAILED")
    assert executor.states("ok") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert failed["message"] == "Command exited with status 3" and failed["reason"] == "REASON_COMMAND_EXECUTOR_FAILED"


def test_one_failing_task_leaves_the_others_running(executor):
    for n in range(4):
        executor.launch(task_info(f"sleeper{n}", "exec sleep 60"))
    executor.launch(task_info("crasher", "sleep 0.2; exit 1"))
    executor.wait_state("crasher", "TASK_FAILED")
    assert all(executor.states(f"sleeper{n}") == ["TASK_STARTING", "TASK_RUNNING"] for n in range(4))
    assert len(executor.executor.tasks) == 4


def test_a_bad_task_info_and_a_command_that_cannot_start_fail_cleanly(executor):
    executor.launch({"task_id": {"value": "nodata"}})
    assert "no command" in executor.wait_state("nodata", "TASK_FAILED")["message"]
    info = task_info("nobinary", "x")
    info["data"] = base64.b64encode(json.dumps({"shell": False, "value": "/no/such/binary"}).encode()).decode()
    executor.launch(info)
    assert "Failed to start" in executor.wait_state("nobinary", "TASK_FAILED")["message"]


def test_an_http_server_goes_healthy_then_unhealthy_and_is_killed(executor, tmp_path):
    port = free_port()
    marker = tmp_path / "serve"
    marker.write_text("")
    check = {"type": "HTTP", "http": {"port": port, "path": "/"}, "delay_seconds": 0, "interval_seconds": 0.3,
             "timeout_seconds": 1, "consecutive_failures": 2, "grace_period_seconds": 5}
    # serves while the marker file exists, then stops answering (but keeps running)
    cmd = (f"echo ok > index.html; busybox httpd -f -p 127.0.0.1:{port} -h . & server=$!; "
           f"while [ -e {marker} ]; do sleep 0.1; done; kill $server; exec sleep 60")
    executor.launch(task_info("web", cmd, health_check=check))
    healthy = wait_for(lambda: [s for s in executor.statuses if s.get("healthy") is True], 15, "a healthy update")
    assert healthy[0]["reason"] == "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"
    marker.unlink()
    killed = executor.wait_state("web", "TASK_KILLED")
    assert killed["healthy"] is False
    assert executor.states("web")[-2:] == ["TASK_KILLING", "TASK_KILLED"]
    assert [s.get("healthy") for s in executor.statuses if s["state"] == "TASK_RUNNING" and "healthy" in s][-1] is False


def test_a_task_ignoring_sigterm_gets_sigkill_after_its_grace_period(executor):
    executor.launch(task_info("stubborn", "trap '' TERM; while true; do sleep 0.1; done", grace=1.0))
    executor.wait_state("stubborn", "TASK_RUNNING")
    pid = executor.pid("stubborn")
    started = time.monotonic()
    executor.executor.events.put(Kill("stubborn"))
    killed = executor.wait_state("stubborn", "TASK_KILLED")
    assert time.monotonic() - started >= 1.0
    assert killed["message"] == "Command terminated with signal SIGKILL"
    wait_for(lambda: gone(pid), 5, "the stubborn task to be gone")


def test_log_rotation_caps_the_sandbox(tmp_path):
    running = RunningExecutor(tmp_path, log_max_bytes=10_000)
    running.launch(task_info("chatty", "i=0; while [ $i -lt 2000 ]; do echo 0123456789012345678901234567890123456789; "
                                      "i=$((i+1)); done"))
    running.wait_state("chatty", "TASK_FINISHED")
    task_dir = tmp_path / "tasks" / "chatty"
    wait_for(lambda: (task_dir / "stdout.1").exists(), 5, "a rotated stdout")
    total = sum(path.stat().st_size for path in task_dir.iterdir() if path.name.startswith("stdout"))
    assert total <= 20_000  # 82 KB written, at most max_bytes x (keep + 1) kept
    running.executor.events.put(Shutdown(grace=1))
    running.thread.join(timeout=10)


def test_shutdown_kills_every_task_and_leaves_no_process(tmp_path):
    running = RunningExecutor(tmp_path)
    for n in range(3):
        running.launch(task_info(f"t{n}", "sleep 60 & exec sleep 60"))
    for n in range(3):
        running.wait_state(f"t{n}", "TASK_RUNNING")
    pids = [running.pid(f"t{n}") for n in range(3)]
    children = [int(c) for pid in pids for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    shutdown = Shutdown(grace=3)
    running.executor.events.put(shutdown)
    assert shutdown.done.wait(10)
    running.thread.join(timeout=10)
    assert all(running.states(f"t{n}")[-1] == "TASK_KILLED" for n in range(3))
    wait_for(lambda: all(gone(pid) for pid in pids + children), 5, "every task process to be gone")


def test_an_agent_gone_for_good_gets_its_tasks_killed_not_orphaned(tmp_path):
    from executor.loop import Disconnected, Executor, Launch, Registered, Settings
    from executor.tasks import LogLimits

    statuses: list[dict] = []
    executor = Executor(statuses.append, Settings(sandbox=tmp_path, logs=LogLimits(1 << 20, 1),
                                                   recovery_timeout=1.0, idle_exit=3600))
    executor.events.put(Registered(killing_state=False))
    executor.events.put(Launch(task_info("left", "exec sleep 60")))
    thread = threading.Thread(target=executor.run, daemon=True)
    thread.start()
    wait_for(lambda: any(s["state"] == "TASK_RUNNING" for s in statuses), 10, "the task running")
    pid = executor.tasks["left"].process.pid
    executor.events.put(Disconnected())
    thread.join(timeout=15)
    assert not thread.is_alive()  # the executor gave up on the agent and left
    wait_for(lambda: gone(pid), 5, "the task killed")
    assert statuses[-1]["state"] == "TASK_KILLED"  # kept to be sent if the agent ever comes back
