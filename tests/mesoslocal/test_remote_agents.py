"""Agents in processes of their own (`mesos-local-agent`) registered over HTTP with `mesos-local --agents 0`, on
loopback addresses of their own: tasks run and are killed there, custom executors reach their agent, a stopped agent
process is a real partition (its tasks TASK_UNREACHABLE after the agent timeout, back to TASK_RUNNING once it
re-registers), a launch lost on a briefly cut link does not stay staging, agents re-register with a restarted
master, SIGTERM kills their tasks."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pymesos import decode_data, encode_data

from launchers.process import Daemon, children, free_port, pid_alive, wait_gone
from tests.fixtures.mesoslocal import private_ports_resources
from tests.mesoslocal.sched import command_task, framework_info, running_driver
from tests.mesoslocal.test_executors import executor_task
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
AGENT_TIMEOUT = 2.0
AGENT_IPS = ("127.0.0.41", "127.0.0.42")


class RemoteCluster:
    """`mesos-local --agents 0` and one `mesos-local-agent` per address of AGENT_IPS, each in its own session."""

    def __init__(self, home: Path, agent_timeout: float) -> None:
        self.home, self.agent_timeout = home, agent_timeout
        self.port = free_port()
        self.master_url = f"127.0.0.1:{self.port}"
        self.started: list[Daemon] = []  # all of them, stopped by PID at the end
        self.agents: dict[str, Daemon] = {}

    def start(self) -> None:
        self.home.mkdir()
        self.master = self.start_master()
        self.agents = {ip: self._start(Daemon(
            _module("mesoslocal.agent_cli", "--master", self.master_url, "--ip", ip, "--port", str(free_port(ip)),
                    "--resources", private_ports_resources(20), "--attributes", f"rack:{ip}",
                    "--work-dir", str(self.home / ip)),
            self.home / f"agent-{ip}.log", cwd=ROOT)) for ip in AGENT_IPS}
        wait_for(lambda: len(self.slaves()) == 2, 30, "both agents registered")

    def _start(self, daemon: Daemon) -> Daemon:
        self.started.append(daemon)
        return daemon.start()

    def start_master(self) -> Daemon:
        name = f"master{len(self.started)}"
        return self._start(Daemon(
            _module("mesoslocal.cli", "--agents", "0", "--ip", "127.0.0.1", "--port", str(self.port),
                    "--agent-timeout", str(self.agent_timeout), "--heartbeat-interval", "1",
                    "--allocation-interval", "0.2", "--work-dir", str(self.home / name)),
            self.home / f"{name}.log", cwd=ROOT))

    def stop(self) -> None:
        for daemon in reversed(self.started):
            if daemon.alive():
                os.kill(daemon.pid, signal.SIGCONT)  # a stopped process would not see the SIGTERM
            daemon.stop()

    def slaves(self) -> list[dict]:
        return requests.get(f"http://{self.master_url}/master/slaves", timeout=2).json()["slaves"]

    def logs(self) -> str:
        return "\n".join(f"--- {d.log_path.name}\n{d.log_tail()}" for d in self.started)


def _module(name: str, *args: str) -> list[str]:
    return [sys.executable, "-m", name, *args]


@pytest.fixture
def remote_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RemoteCluster]:
    """A started RemoteCluster (its agent timeout AGENT_TIMEOUT, or the fixture's parameter); every process it
    started is stopped at the end."""
    cluster = RemoteCluster(tmp_path / "cluster", getattr(request, "param", AGENT_TIMEOUT))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_remote_agents_register_with_their_own_address(remote_cluster: RemoteCluster) -> None:
    slaves = {s["hostname"]: s for s in remote_cluster.slaves()}
    assert set(slaves) == set(AGENT_IPS)
    for ip, slave in slaves.items():
        assert slave["pid"] == f"slave(1)@{ip}:{slave['port']}"
        assert slave["attributes"] == {"rack": ip}
        state = requests.get(f"http://{ip}:{slave['port']}/state", timeout=2).json()
        assert state["id"] == slave["id"]


def test_tasks_on_remote_agents_run_are_killed_and_survive_a_partition(remote_cluster: RemoteCluster) -> None:
    framework = framework_info(capabilities=("PARTITION_AWARE",))
    with running_driver(remote_cluster.master_url, framework) as (driver, rec):
        wait_for(lambda: {o["hostname"] for o in rec.offers.values()} == set(AGENT_IPS), 10, "offers of both agents")
        first, second = (remote_cluster.agents[ip] for ip in AGENT_IPS)

        offer = rec.take_offer(where=lambda o: o["hostname"] == AGENT_IPS[0])
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 300", task_id="killed")])
        rec.wait_state("killed", "TASK_RUNNING")
        task_pids = wait_for(lambda: children(first.pid), 5, "the task's process")
        driver.killTask({"value": "killed"})
        rec.wait_state("killed", "TASK_KILLED")
        for pid in task_pids:
            wait_gone(pid)

        offer = rec.take_offer(where=lambda o: o["hostname"] == AGENT_IPS[1])
        agent_id = offer["agent_id"]["value"]
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 300", task_id="cut")])
        rec.wait_state("cut", "TASK_RUNNING")
        task_pids = wait_for(lambda: children(second.pid), 5, "the task's process")

        os.kill(second.pid, signal.SIGSTOP)  # the master hears nothing more from it: as if its link were cut
        unreachable = rec.wait_state("cut", "TASK_UNREACHABLE", timeout=AGENT_TIMEOUT + 10)
        assert unreachable["reason"] == "REASON_AGENT_REMOVED" and "unreachable_time" in unreachable
        assert [s["hostname"] for s in remote_cluster.slaves()] == [AGENT_IPS[0]]
        assert all(pid_alive(pid) for pid in task_pids)

        os.kill(second.pid, signal.SIGCONT)
        wait_for(lambda: len(remote_cluster.slaves()) == 2, 10, f"the agent back\n{remote_cluster.logs()}")
        driver.reconcileTasks([{"task_id": {"value": "cut"}}])
        back = wait_for(lambda: rec.updates("cut")[-1]["state"] == "TASK_RUNNING" and rec.updates("cut")[-1], 10,
                        "the task RUNNING again")
        assert back["agent_id"]["value"] == agent_id

        second.stop()
        assert second.process.returncode == 0
        for pid in task_pids:
            wait_gone(pid)


def test_a_custom_executor_talks_to_its_remote_agent(remote_cluster: RemoteCluster) -> None:
    """Every message type crosses the link: run_task and framework_message out, status_update, executor_message
    and executor_exited back; the executor reaches the agent's executor API at the agent's own address."""
    with running_driver(remote_cluster.master_url) as (driver, rec):
        offer = rec.take_offer(where=lambda o: o["hostname"] == AGENT_IPS[1])
        driver.launchTasks(offer["id"], [executor_task(offer, "e1")])
        running = rec.wait_state("e1", "TASK_RUNNING")
        assert running["source"] == "SOURCE_EXECUTOR" and running["executor_id"] == {"value": "echo"}
        driver.sendFrameworkMessage({"value": "echo"}, offer["agent_id"], encode_data(b"ping"))
        wait_for(lambda: rec.of("message"), 10, "the executor's answer")
        assert decode_data(rec.of("message")[0][2]) == b"pong:1"
        driver.sendFrameworkMessage({"value": "echo"}, offer["agent_id"], encode_data(b"exit"))
        assert rec.wait_state("e1", "TASK_FAILED")["reason"] == "REASON_EXECUTOR_TERMINATED"
        wait_for(lambda: rec.of("executor_lost"), 10, "FAILURE with executor_id")
        assert rec.of("executor_lost")[0][2] == 3 << 8


def test_agents_re_register_with_a_restarted_master(remote_cluster: RemoteCluster) -> None:
    with running_driver(remote_cluster.master_url) as (driver, rec):
        offer = rec.take_offer(where=lambda o: o["hostname"] == AGENT_IPS[0])
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 300", task_id="kept")])
        rec.wait_state("kept", "TASK_RUNNING")
    ids = {s["hostname"]: s["id"] for s in remote_cluster.slaves()}
    remote_cluster.master.stop()
    assert remote_cluster.master.process.returncode == 0
    remote_cluster.master = remote_cluster.start_master()
    wait_for(lambda: {s["hostname"]: s["id"] for s in remote_cluster.slaves()} == ids, 20,
             f"both agents back under their ids\n{remote_cluster.logs()}")
    state = requests.get(f"http://{remote_cluster.master_url}/master/state", timeout=2).json()
    [task] = [t for f in state["frameworks"] for t in f["tasks"]]
    assert (task["id"], task["state"], task["slave_id"]) == ("kept", "TASK_RUNNING", ids[AGENT_IPS[0]])


@pytest.mark.parametrize("remote_cluster", [30.0], indirect=True)  # longer than a message's timeout
def test_a_launch_lost_on_a_broken_link_does_not_stay_staging(remote_cluster: RemoteCluster) -> None:
    """A link cut for less than the agent timeout: the launch sent meanwhile times out, so the master has the agent
    re-register. The task then does not stay TASK_STAGING: the agent runs it if the launch reached it late after all
    (the kernel held the request while the agent was stopped), else it reports it TASK_DROPPED."""
    cluster = remote_cluster
    agent = cluster.agents[AGENT_IPS[1]]
    with running_driver(cluster.master_url, framework_info(capabilities=("PARTITION_AWARE",))) as (driver, rec):
        offer = rec.take_offer(where=lambda o: o["hostname"] == AGENT_IPS[1])
        os.kill(agent.pid, signal.SIGSTOP)
        driver.launchTasks(offer["id"], [command_task(offer, "sleep 300", task_id="late")])
        wait_for(lambda: "(run_task) and the 0 behind them" in cluster.master.log_path.read_text(), 10,
                 f"the launch dropped\n{cluster.logs()}")
        os.kill(agent.pid, signal.SIGCONT)
        wait_for(lambda: "registering again" in agent.log_path.read_text(), 10, "the agent registering again")
        wait_for(lambda: {"TASK_RUNNING", "TASK_DROPPED"} & set(rec.states("late")), 10,
                 f"the task out of TASK_STAGING\n{cluster.logs()}")
        assert rec.states("late")[-1] in ("TASK_RUNNING", "TASK_DROPPED")
