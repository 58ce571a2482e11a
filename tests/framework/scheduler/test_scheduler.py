"""The scheduler keeps apps at their instance count on a Mesos-compatible master, and survives failover."""

import signal

import pytest

from framework.store import DEFAULT_EVENTS_KEPT, Layout
from tests.framework.scheduler.harness import kill_task_process, tasks_in_master
from tests.waiting import wait_for

SLEEPER = {"cmd": "sleep 600", "cpus": 0.1, "mem": 16, "instances": 0}


@pytest.fixture
def leader(schedulers):
    schedulers.start_scheduler()
    wait_for(schedulers.leader, 30, "an elected scheduler")
    wait_for(lambda: schedulers.store.get_framework_id(), 30, "the framework id to be persisted")
    return schedulers


def test_scale_up_and_down_converges_to_exactly_the_instance_count(leader) -> None:
    leader.put_app({**SLEEPER, "id": "/scale"})
    leader.scale("/scale", 5)
    first = leader.wait_running("/scale", 5)
    leader.scale("/scale", 2)
    kept = leader.wait_running("/scale", 2)
    assert {t["id"] for t in kept} <= {t["id"] for t in first}, "scaling down must not start new tasks"


def test_a_killed_task_is_replaced(leader) -> None:
    leader.put_app({**SLEEPER, "id": "/heal", "instances": 2})
    before = leader.wait_running("/heal", 2)
    victim = before[0]
    kill_task_process(victim["id"])
    after = wait_for(lambda: (lambda run: run if len(run) == 2 and victim["id"] not in {t["id"] for t in run}
                              else None)(leader.tasks("/heal")), 30, "a replacement task")
    assert victim["id"] not in {t["id"] for t in after}


def test_a_failing_command_backs_off_visibly_in_the_queue(leader) -> None:
    leader.put_app({"id": "/crash", "cmd": "exit 1", "cpus": 0.1, "mem": 16, "instances": 1,
                    "backoffSeconds": 2, "backoffFactor": 2, "maxLaunchDelaySeconds": 60})
    delays: list[int] = []

    def delay_grew() -> bool:
        entry = leader.queue_entry("/crash")
        if entry:
            delays.append(entry["delay"]["timeLeftSeconds"])
        return max(delays, default=0) >= 3  # 2 s after the first failure, 4 s after the second

    wait_for(delay_grew, 40, "a growing launch delay in the queue")
    assert min(d for d in delays if d > 0) <= 2


def test_unique_hostname_places_one_per_agent_and_leaves_the_rest_waiting(leader) -> None:
    leader.put_app({**SLEEPER, "id": "/unique", "instances": 4, "constraints": [["hostname", "UNIQUE"]]})
    running = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(leader.tasks("/unique")), 30,
                       "three tasks on three agents")
    assert len({t["host"] for t in running}) == 3
    wait_for(lambda: (leader.queue_entry("/unique") or {}).get("count") == 1, 10, "the fourth instance queued")
    assert len(leader.tasks("/unique", None)) == 3, "nothing may be placed against the constraint"


def test_leader_sigkill_hands_over_without_losing_or_duplicating_tasks(schedulers, mesos_cluster) -> None:
    """With the default session timeout: the standby that takes over adopts the running tasks, Mesos and
    ZooKeeper agree on them, and nothing is launched twice."""
    for _ in range(3):
        schedulers.start_scheduler()
    first = wait_for(schedulers.leader, 30, "an elected scheduler")
    framework_id = wait_for(schedulers.store.get_framework_id, 30, "the framework id")
    schedulers.put_app({**SLEEPER, "id": "/survivor", "instances": 3})
    before = {t["id"] for t in schedulers.wait_running("/survivor", 3)}

    schedulers.schedulers[int(first["host"].removeprefix("scheduler"))].stop(signal.SIGKILL)

    def new_leader() -> dict | None:
        current = schedulers.leader()
        return current if current and current["host"] != first["host"] else None

    second = wait_for(new_leader, 40, "a new leader")
    assert second["id"] != first["id"]

    schedulers.scale("/survivor", 4)
    after = {t["id"] for t in schedulers.wait_running("/survivor", 4, timeout=40)}
    assert before < after, "the new leader must keep every running task and add exactly one"
    assert schedulers.store.get_framework_id() == framework_id
    assert tasks_in_master(mesos_cluster, framework_id) == dict.fromkeys(after, "TASK_RUNNING")


def test_a_leader_frozen_past_its_session_wakes_as_a_standby_without_acting(schedulers, mesos_cluster) -> None:
    """SIGSTOP for longer than the (default) session timeout: the standby takes over and scales; the old
    leader, woken, neither launches nor kills nor takes the framework back, and contends again."""
    schedulers.start_leader()
    framework_id = schedulers.store.get_framework_id()
    schedulers.start_scheduler()
    election = schedulers.client.Election(Layout().leader_dir)
    wait_for(lambda: len(election.contenders()) == 2, 30, "the standby contending")
    schedulers.put_app({**SLEEPER, "id": "/frozen", "instances": 2})
    before = {t["id"] for t in schedulers.wait_running("/frozen", 2)}

    frozen = schedulers.schedulers[0].process
    frozen.send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: (schedulers.leader() or {}).get("host") == "scheduler1", 30, "the standby to lead")
        schedulers.scale("/frozen", 3)
        after = {t["id"] for t in schedulers.wait_running("/frozen", 3)}
    finally:
        frozen.send_signal(signal.SIGCONT)

    wait_for(lambda: len(election.contenders()) == 2, 30, "the woken scheduler contending again")
    assert schedulers.leader()["host"] == "scheduler1"
    assert before < after
    assert tasks_in_master(mesos_cluster, framework_id) == dict.fromkeys(after, "TASK_RUNNING")
    frameworks = mesos_cluster.state()["frameworks"]
    assert [(f["id"], f["active"]) for f in frameworks] == [(framework_id, True)], "still the new leader's"


def test_master_restart_resubscribes_and_keeps_tasks(leader, mesos_cluster) -> None:
    leader.put_app({**SLEEPER, "id": "/steady", "instances": 2})
    before = {t["id"] for t in leader.wait_running("/steady", 2)}
    mesos_cluster.restart_master()
    leader.scale("/steady", 3)
    after = {t["id"] for t in leader.wait_running("/steady", 3, timeout=60)}
    assert before < after


def test_the_leader_trims_the_events_to_the_newest(schedulers) -> None:
    written = DEFAULT_EVENTS_KEPT + 300
    for result in schedulers.store.events.append_many({"eventType": "old", "n": n} for n in range(written)):
        result.get(timeout=10)
    schedulers.start_leader()
    schedulers.put_app({**SLEEPER, "id": "/events", "instances": 2})
    schedulers.wait_running("/events", 2)
    directory = schedulers.store.nodes.layout.events_dir
    wait_for(lambda: len(schedulers.client.get_children(directory)) == DEFAULT_EVENTS_KEPT, 20,
             f"events trimmed to the newest {DEFAULT_EVENTS_KEPT}")
    kept = schedulers.events()
    old = [event["n"] for event in kept if event["eventType"] == "old"]
    assert old == list(range(written - len(old), written))  # the newest of them
    assert any(event["eventType"] == "status_update_event" for event in kept)  # the leader's own, kept
