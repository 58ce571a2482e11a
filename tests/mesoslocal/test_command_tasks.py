"""Command tasks driven by pymesos's own MesosSchedulerDriver: subscribe, offers, launch, updates, kill."""

from __future__ import annotations

from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, framework_info, running_driver
from tests.waiting import wait_for


def test_subscribe_offer_launch_finish(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        assert rec.framework_id.endswith("-0000")
        offer = rec.take_offer()
        assert offer["id"]["value"].startswith(mesos_cluster.master.id + "-O")
        task = command_task(offer, "echo hello; echo oops >&2")
        driver.launchTasks(offer["id"], [task])
        task_id = task["task_id"]["value"]
        finished = rec.wait_state(task_id, "TASK_FINISHED")
        assert rec.states(task_id) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
        running = rec.updates(task_id)[1]
        assert running["container_status"]["network_infos"][0]["ip_addresses"][0]["ip_address"] == offer["url"][
            "address"]["ip"]
        for status in rec.updates(task_id):
            assert status["source"] == "SOURCE_EXECUTOR"
            assert status["executor_id"]["value"] == task_id
            assert status["agent_id"] == offer["agent_id"]
            assert len(status["uuid"]) == 24
        assert finished["message"] == "Command exited with status 0"


def test_failed_command_reports_exit_status(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "exit 3")
        driver.launchTasks(offer["id"], [task])
        failed = rec.wait_state(task["task_id"]["value"], "TASK_FAILED")
        assert failed["message"] == "Command exited with status 3"


def test_kill_running_task(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "sleep 60")
        task_id = task["task_id"]["value"]
        driver.launchTasks(offer["id"], [task])
        rec.wait_state(task_id, "TASK_RUNNING")
        driver.killTask({"value": task_id})
        rec.wait_state(task_id, "TASK_KILLED")
        assert "TASK_KILLING" not in rec.states(task_id)  # only with TASK_KILLING_STATE (G7)


def test_kill_with_killing_state_and_grace(mesos_cluster: LocalCluster) -> None:
    info = framework_info(capabilities=("TASK_KILLING_STATE",))
    with running_driver(mesos_cluster.master_url, info) as (driver, rec):
        offer = rec.take_offer()
        # ignores SIGTERM: only the SIGKILL after the 0.5 s grace ends it
        task = command_task(offer, "trap '' TERM; sleep 60 & wait; sleep 60",
                            kill_policy={"grace_period": {"nanoseconds": 500_000_000}})
        task_id = task["task_id"]["value"]
        driver.launchTasks(offer["id"], [task])
        rec.wait_state(task_id, "TASK_RUNNING")
        driver.killTask({"value": task_id})
        rec.wait_state(task_id, "TASK_KILLED")
        assert rec.states(task_id)[-2:] == ["TASK_KILLING", "TASK_KILLED"]


def test_sandbox_and_environment(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, 'echo "$MESOS_SANDBOX|$MESOS_FRAMEWORK_ID|$MESOS_EXECUTOR_ID|$FOO|$PWD"')
        task["command"]["environment"] = {"variables": [{"name": "FOO", "value": "bar"}]}
        task_id = task["task_id"]["value"]
        driver.launchTasks(offer["id"], [task])
        rec.wait_state(task_id, "TASK_FINISHED")
        # the master moves a task to completed_tasks once the framework acknowledged its terminal update,
        # which the driver sends after handing the update to us
        state = wait_for(lambda: (found := mesos_cluster.state())["frameworks"][0]["completed_tasks"] and found,
                         10, "the finished task among the completed ones")
        agent = next(a for a in mesos_cluster.agents if a.id == offer["agent_id"]["value"])
        sandboxes = list(agent.agent.work_dir.rglob(f"executors/{task_id}/runs/*/stdout"))
        assert len(sandboxes) == 1
        sandbox, framework_id, executor_id, foo, pwd = sandboxes[0].read_text().strip().split("|")
        assert sandbox == pwd == str(sandboxes[0].parent)
        assert (framework_id, executor_id, foo) == (rec.framework_id, task_id, "bar")
        assert state["frameworks"][0]["completed_tasks"][0]["executor_id"] == ""


def test_argv_command(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "/bin/sh")
        task["command"].update(shell=False, arguments=["sh", "-c", "exit 7"])
        driver.launchTasks(offer["id"], [task])
        failed = rec.wait_state(task["task_id"]["value"], "TASK_FAILED")
        assert failed["message"] == "Command exited with status 7"


def test_staging_visible_in_state_and_offers_held(mesos_cluster: LocalCluster) -> None:
    with running_driver(mesos_cluster.master_url) as (driver, rec):
        wait_for(lambda: len(rec.offers) == 3, 10, "one offer per agent")
        state = mesos_cluster.state()
        assert len(state["frameworks"][0]["offers"]) == 3
        events_before = len(rec.of("offers"))
        wait_for(lambda: mesos_cluster.master.allocator is not None, 1, "")
        # held offers are not re-offered at the next allocations (G4)
        import time

        deadline = time.monotonic() + 0.8
        wait_for(lambda: time.monotonic() > deadline, 2, "a few allocation rounds")
        assert len(rec.of("offers")) == events_before
