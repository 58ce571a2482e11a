"""A Mesos agent: runs command tasks, Docker tasks and custom executors, keeps their sandboxes, and feeds the
status-update pipeline (notes C6, C7, C10, D).

The master reaches the agent only through the `master.records.AgentPort` messages (run_task, kill_task, ...), and the
agent reaches the master only through its `MasterPort` (register, status_update, executor_exited,
executor_message): in the master's process through cluster.Link, in another process over HTTP through
remote_master.RemoteMaster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from aiohttp import web

from mesoslocal.agent import executor_api, fetcher
from mesoslocal.agent.command_runner import CommandTaskRunner, environment_of
from mesoslocal.agent.executors import ExecutorRun
from mesoslocal.agent.health import HealthChecker
from mesoslocal.agent.pretend_runner import PretendTaskRunner, pretends
from mesoslocal.agent.runner import LaunchError, TaskExit, TaskRunner
from mesoslocal.agent.status_updates import StatusUpdateManager
from mesoslocal.agent.task_run import TaskRun
from mesoslocal.wire import agent_link, state_json
from mesoslocal.wire.agent_info import agent_info
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.task_status import agent_status, container_status, is_terminal

log = logging.getLogger(__name__)
DEFAULT_KILL_GRACE = 3.0


class MasterPort(Protocol):
    """What an agent may tell the master."""

    def register_agent(self, agent: Agent) -> None:
        """(Re-)register `agent` (its `registration()`); the master's answer comes as `agent.registered(id)`."""
    def status_update(self, agent_id: str, framework_id: str, status: dict, latest_state: str) -> None: ...
    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, wait_status: int | None) -> None: ...
    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: str) -> None: ...


def _capable(framework_info: dict, capability: str) -> bool:
    return any(c.get("type") == capability for c in framework_info.get("capabilities", []))


def _executor_id(task: dict) -> str:
    """The id of the executor that runs `task`: its custom executor's, else (the command executor) the task's."""
    executor = task.get("executor")
    return executor["executor_id"]["value"] if executor else task["task_id"]["value"]


def kill_grace(kill_policy: dict | None) -> float:
    if kill_policy and "grace_period" in kill_policy:
        return int(kill_policy["grace_period"].get("nanoseconds", 0)) / 1e9
    return DEFAULT_KILL_GRACE


class Agent:
    def __init__(self, *, index: int, hostname: str, ip: str, resources: Resources, attributes: list[dict],
                 work_dir: Path, docker_host: str | None = None, port: int = 0,
                 executor_registration_timeout: float = 60.0, update_retry: float = 10.0,
                 executor_shutdown_grace_period: float = 5.0, fetch_timeout: float = fetcher.DEFAULT_TIMEOUT,
                 pretend_tasks: bool = False) -> None:
        self.pretend_tasks = pretend_tasks  # command tasks only pretended (pretend_runner)
        self.index, self.hostname, self.ip, self.port = index, hostname, ip, port
        self.resources, self.attributes = resources, attributes
        self.work_dir, self.docker_host = work_dir, docker_host
        self.executor_registration_timeout = executor_registration_timeout
        self.executor_shutdown_grace_period = executor_shutdown_grace_period  # the agent flag (D3)
        self.fetch_timeout = fetch_timeout
        self.id = ""
        self.master: MasterPort | None = None
        self.frameworks: dict[str, dict] = {}
        self.tasks: dict[tuple[str, str], TaskRun] = {}
        self.completed: list[TaskRun] = []
        self.executors: dict[tuple[str, str], ExecutorRun] = {}
        self.updates = StatusUpdateManager(self._forward, retry_initial=update_retry)
        self._runner: web.AppRunner | None = None
        self._jobs: set[asyncio.Task] = set()
        self.running = False

    # -- lifecycle ------------------------------------------------------------------------------------------
    async def start(self, master: MasterPort,
                    add_routes: Callable[[web.Application], None] | None = None) -> None:
        """Serve the agent's endpoints (and those `add_routes` adds) and register with `master`."""
        app = web.Application(client_max_size=agent_link.MAX_BODY_BYTES)
        app[executor_api.AGENT_KEY] = self
        executor_api.add_routes(app)
        if add_routes is not None:
            add_routes(app)
        for path in ("/state", "/slave(1)/state"):
            app.router.add_get(path, self._state)
        app.router.add_get("/version", _version)
        for path in ("/health", "/slave(1)/health"):
            app.router.add_get(path, _health)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.ip, self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.running = True
        self.register(master)

    def register(self, master: MasterPort) -> None:
        """(Re-)register with a master."""
        self.master = master
        master.register_agent(self)

    def registration(self) -> dict:
        """What a master learns when this agent (re-)registers: the keyword arguments of `registrar.register`,
        among them the tasks still running here (framework info, task info, latest status)."""
        running = [(self.frameworks[t.framework_id], t.info,
                    {"state": self.updates.latest_state(t.framework_id, t.id) or t.state})
                   for t in self.tasks.values()]
        return {"hostname": self.hostname, "ip": self.ip, "port": self.port, "attributes": self.attributes,
                "total": self.resources, "agent_id": self.id or None, "running": running}

    def registered(self, agent_id: str) -> None:
        """The master's answer: our id; what it has not acknowledged is sent again."""
        self.id = agent_id
        for framework_id in self.frameworks:
            self.updates.resend(framework_id)

    async def stop(self) -> None:
        """Kill everything this agent runs and close its endpoint (no updates are sent any more)."""
        self.running = False
        self.updates.close()
        for run in list(self.tasks.values()):
            if run.checker:
                run.checker.stop()
        await asyncio.gather(*(self._destroy(run) for run in list(self.tasks.values())), return_exceptions=True)
        await asyncio.gather(*(e.destroy(0.0) for e in list(self.executors.values())), return_exceptions=True)
        for job in list(self._jobs):
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
        self.tasks.clear()
        self.executors.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _destroy(self, run: TaskRun) -> None:
        if run.runner is not None:
            with contextlib.suppress(Exception):
                await run.runner.kill(0.0)
            remove = getattr(run.runner, "remove", None)
            if remove is not None:
                with contextlib.suppress(Exception):
                    await remove()

    def spawn(self, coroutine) -> asyncio.Task:
        job = asyncio.get_running_loop().create_task(coroutine)
        self._jobs.add(job)
        job.add_done_callback(self._job_done)
        return job

    def _job_done(self, job: asyncio.Task) -> None:
        self._jobs.discard(job)
        if not job.cancelled() and job.exception() is not None:
            log.error("agent %s: job failed", self.id, exc_info=job.exception())

    def runs_of(self, framework_id: str, executor_id: str) -> list[TaskRun]:
        """The tasks here that run under executor `executor_id` of `framework_id`."""
        return [r for r in self.tasks.values() if r.framework_id == framework_id and r.executor_id == executor_id]

    def endpoint(self) -> str:
        return f"{self.ip}:{self.port}"

    def info(self) -> dict:
        return agent_info(self.id, self.hostname, self.port, self.resources, self.attributes)

    # -- status updates ---------------------------------------------------------------------------------------
    def _forward(self, framework_id: str, status: dict, latest_state: str) -> None:
        if self.running and self.master is not None:
            self.master.status_update(self.id, framework_id, status, latest_state)

    def send_update(self, run: TaskRun, state: str, **fields: object) -> None:
        """Record an update for `run` and hand it to the status-update manager."""
        if not self.running:
            return
        fields.setdefault("source", "SOURCE_EXECUTOR")
        status = agent_status(run.id, state, agent_id=self.id, executor_id=run.executor_id, **fields)
        self.accept_update(run, status)

    def accept_update(self, run: TaskRun, status: dict) -> None:
        run.state = status["state"]
        run.statuses.append({"state": status["state"], "timestamp": status["timestamp"]})
        if status["state"] == "TASK_RUNNING" and "container_status" not in status and run.runner is not None:
            status["container_status"] = container_status(run.container_id, run.runner.ip_address)
        log.info("agent %s: framework %s task %s %s", self.id, run.framework_id, run.id, status["state"])
        self.updates.add(run.framework_id, status)

    # -- master → agent messages --------------------------------------------------------------------------------
    def ping(self) -> bool:
        return self.running

    def run_task(self, framework_info: dict, task: dict) -> None:
        framework_id = framework_info["id"]["value"]
        self.frameworks[framework_id] = framework_info
        executor = task.get("executor")
        task_id = task["task_id"]["value"]
        executor_id = _executor_id(task)
        container_id = str(uuid.uuid4())
        sandbox = (self.work_dir / "slaves" / self.id / "frameworks" / framework_id / "executors" / executor_id
                   / "runs" / container_id)
        run = TaskRun(framework_id, task, executor_id, container_id, sandbox)
        self.tasks[(framework_id, task_id)] = run
        if executor:
            self._run_with_executor(framework_info, run, executor)
        else:
            self.spawn(self._run_container(framework_info, run))

    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None) -> None:
        run = self.tasks.get((framework_id, task_id))
        if run is None or is_terminal(run.state) or run.killing:
            return
        executor = self.executors.get((framework_id, run.executor_id)) if run.info.get("executor") else None
        if executor is not None:
            if not executor.deliver_kill(run):
                self.send_update(run, "TASK_KILLED", source="SOURCE_AGENT",
                                 reason="REASON_TASK_KILLED_DURING_LAUNCH",
                                 message="Task killed before it was launched")
            return
        run.killing = True
        if run.runner is None or not run.launched:
            return  # _run_container sees `killing` once the launch finishes and kills then
        self.spawn(self._kill(run, kill_policy or run.info.get("kill_policy")))

    async def _kill(self, run: TaskRun, kill_policy: dict | None) -> None:
        if run.checker:
            run.checker.stop()
        if _capable(self.frameworks[run.framework_id], "TASK_KILLING_STATE"):
            self.send_update(run, "TASK_KILLING")
        assert run.runner is not None
        await run.runner.kill(kill_grace(kill_policy))

    def shutdown_framework(self, framework_id: str) -> None:
        """The framework was removed: kill its tasks and executors, send nothing more for it (C9)."""
        log.info("agent %s: shutting down framework %s", self.id, framework_id)
        self.updates.forget(framework_id)
        for key, run in list(self.tasks.items()):
            if key[0] == framework_id:
                del self.tasks[key]
                if run.checker:
                    run.checker.stop()
                self.spawn(self._destroy(run))
        for key, executor in list(self.executors.items()):
            if key[0] == framework_id:
                executor.shutdown()
        self.frameworks.pop(framework_id, None)

    def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        """The scheduler's SHUTDOWN call: SHUTDOWN to the executor, its container destroyed after the grace
        period; its unfinished tasks then fail as on any executor exit (C10). A command executor (its id is the
        task id) kills its task."""
        executor = self.executors.get((framework_id, executor_id))
        if executor is not None:
            log.info("agent %s: shutting down executor %s of framework %s", self.id, executor_id, framework_id)
            executor.shutdown()
            return
        run = self.tasks.get((framework_id, executor_id))
        if run is not None and not run.info.get("executor"):
            log.info("agent %s: shutting down the command executor of task %s", self.id, executor_id)
            self.kill_task(framework_id, executor_id, None)
            return
        log.info("agent %s: cannot shut down unknown executor %s of framework %s", self.id, executor_id,
                 framework_id)

    def acknowledge(self, framework_id: str, task_id: str, uuid_: str) -> None:
        acked = self.updates.acknowledge(framework_id, task_id, uuid_)
        if acked is None:
            return
        run = self.tasks.get((framework_id, task_id))
        if run is not None and is_terminal(acked["state"]) and not self.updates.pending(framework_id, task_id):
            del self.tasks[(framework_id, task_id)]
            self.completed.append(run)
            del self.completed[:-200]

    def framework_message(self, framework_id: str, executor_id: str, data: str) -> None:
        executor = self.executors.get((framework_id, executor_id))
        if executor is not None:
            executor.send({"type": "MESSAGE", "message": {"data": data}})

    def resend_unacknowledged(self, framework_id: str) -> None:
        self.updates.resend(framework_id)

    def reconcile_tasks(self, framework_info: dict, tasks: list[dict]) -> None:
        """The master placed these tasks here: those this agent never received (their launch was lost) are reported
        TASK_DROPPED, TASK_LOST to a framework that is not partition-aware, so that the master forgets them."""
        framework_id = framework_info["id"]["value"]
        aware = _capable(framework_info, "PARTITION_AWARE")
        for task in tasks:
            task_id = task["task_id"]["value"]
            if (framework_id, task_id) not in self.tasks and not self.updates.pending(framework_id, task_id):
                log.info("agent %s: framework %s task %s is unknown here", self.id, framework_id, task_id)
                self.updates.add(framework_id, agent_status(
                    task_id, "TASK_DROPPED" if aware else "TASK_LOST", agent_id=self.id,
                    executor_id=_executor_id(task), source="SOURCE_AGENT", reason="REASON_RECONCILIATION",
                    message="Reconciliation: task unknown to the agent"))

    # -- command and Docker tasks -----------------------------------------------------------------------------
    def executor_env(self, framework_info: dict, executor_id: str, sandbox: Path,
                     grace: str | None = None) -> dict[str, str]:
        """The environment the agent gives every executor (D3); the command executor passes it to the task."""
        grace = grace or f"{self.executor_shutdown_grace_period:g}secs"
        checkpoint = bool(framework_info.get("checkpoint", False))
        env = dict(os.environ)
        # executors installed with this Python (balalaika-executor in a virtualenv) are found by name, as on
        # a Mesos agent where they are on the PATH
        scripts = str(Path(sys.executable).parent)
        if scripts not in env.get("PATH", "").split(os.pathsep):
            env["PATH"] = os.pathsep.join(filter(None, [scripts, env.get("PATH")]))
        env.update({"MESOS_FRAMEWORK_ID": framework_info["id"]["value"], "MESOS_EXECUTOR_ID": executor_id,
                    "MESOS_DIRECTORY": str(sandbox), "MESOS_SANDBOX": str(sandbox), "MESOS_SLAVE_ID": self.id,
                    "MESOS_SLAVE_PID": f"slave(1)@{self.endpoint()}", "MESOS_AGENT_ENDPOINT": self.endpoint(),
                    "MESOS_CHECKPOINT": "1" if checkpoint else "0", "MESOS_HTTP_COMMAND_EXECUTOR": "0",
                    "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": grace, "LIBPROCESS_PORT": "0",
                    "LIBPROCESS_IP": self.ip})
        if checkpoint:
            env.update({"MESOS_RECOVERY_TIMEOUT": "15mins", "MESOS_SUBSCRIPTION_BACKOFF_MAX": "2secs"})
        return env

    def _make_runner(self, framework_info: dict, run: TaskRun) -> TaskRunner:
        if self.pretend_tasks and pretends(run.info):
            return PretendTaskRunner(self.ip)
        env = self.executor_env(framework_info, run.executor_id, run.sandbox)
        env["MESOS_ALLOCATION_ROLE"] = "*"
        env.update(environment_of(run.info.get("command", {})))
        container = run.info.get("container")
        if container and container.get("type") == "DOCKER":
            if not self.docker_host:
                raise LaunchError("Docker containerizer is not enabled on this agent (no docker host)")
            from mesoslocal.agent.docker_runner import DockerTaskRunner

            env.update({"MESOS_SANDBOX": "/mnt/mesos/sandbox", "MESOS_CONTAINER_NAME": f"mesos-{run.container_id}"})
            return DockerTaskRunner(run.info, sandbox=run.sandbox, env=env, docker_host=self.docker_host,
                                    container_id=run.container_id, agent_ip=self.ip)
        return CommandTaskRunner(run.info, sandbox=run.sandbox, env=env, agent_ip=self.ip)

    async def _run_container(self, framework_info: dict, run: TaskRun) -> None:
        """One command or Docker task from launch to its terminal update (D2)."""
        if not await self._prepare(run) or not await self._launch(framework_info, run):
            return
        self._supervise(run)
        outcome: TaskExit = await run.runner.wait()
        if run.checker:
            run.checker.stop()
        await self._destroy_after_exit(run)
        if (run.framework_id, run.id) in self.tasks:  # else the framework was shut down
            self._report_exit(run, outcome)

    async def _prepare(self, run: TaskRun) -> bool:
        """Creates the sandbox and fetches the task's URIs. False when the task is not to be launched: its
        framework was shut down meanwhile, or the fetch failed or the task was killed (its update sent)."""
        pretended = self.pretend_tasks and pretends(run.info)
        if not pretended:  # a pretended task has no sandbox and fetches nothing
            # off the loop: four directory levels per task, ~1 ms under load, held up the master and every agent
            await asyncio.to_thread(run.sandbox.mkdir, parents=True, exist_ok=True)
        if (run.framework_id, run.id) not in self.tasks:
            return False  # the framework was shut down meanwhile
        uris = [] if pretended else run.info.get("command", {}).get("uris", [])
        if uris and not run.killing and not await self._fetch(run, uris):
            return False
        if run.killing:
            self.send_update(run, "TASK_KILLED", source="SOURCE_AGENT", reason="REASON_TASK_KILLED_DURING_LAUNCH",
                             message="Task killed before it was launched")
            return False
        return True

    async def _fetch(self, run: TaskRun, uris: list[dict]) -> bool:
        """Fetches ``uris`` into the sandbox. False when the fetch failed (TASK_FAILED sent) or the framework
        was shut down while fetching."""
        try:
            await fetcher.fetch(uris, run.sandbox, run.container_id, timeout=self.fetch_timeout)
        except fetcher.FetchFailed as error:
            log.info("agent %s: task %s: %s (log in %s/stderr)", self.id, run.id, error, run.sandbox)
            self.send_update(run, "TASK_FAILED", source="SOURCE_AGENT", reason="REASON_CONTAINER_LAUNCH_FAILED",
                             message=f"Failed to launch container: {error}")
            return False
        return (run.framework_id, run.id) in self.tasks

    async def _launch(self, framework_info: dict, run: TaskRun) -> bool:
        """Starts the task's runner and reports TASK_STARTING (a Docker task's once its container runs) and
        TASK_RUNNING. False when it could not start (TASK_FAILED sent)."""
        docker = run.info.get("container", {}).get("type") == "DOCKER"
        if not docker:
            self.send_update(run, "TASK_STARTING")
        try:
            run.runner = self._make_runner(framework_info, run)
            await run.runner.start()
        except LaunchError as error:
            await self._destroy(run)
            self.send_update(run, "TASK_FAILED", source="SOURCE_AGENT", reason="REASON_CONTAINER_LAUNCH_FAILED",
                             message=f"Failed to launch container: {error}")
            return False
        run.launched = True
        if docker:
            self.send_update(run, "TASK_STARTING")
        self.send_update(run, "TASK_RUNNING")
        return True

    def _supervise(self, run: TaskRun) -> None:
        """A task killed during its launch is killed now; any other starts its health check, if it has one."""
        if run.killing:
            self.spawn(self._kill(run, run.info.get("kill_policy")))
        elif "health_check" in run.info:
            run.checker = HealthChecker(run.info["health_check"], run.runner,
                                        on_result=lambda healthy: self._health_result(run, healthy),
                                        on_give_up=lambda: self._health_give_up(run))
            run.checker.start()

    def _report_exit(self, run: TaskRun, outcome: TaskExit) -> None:
        """The terminal update of a task whose process ended: KILLED if it was being killed (a health kill
        also says unhealthy), else FINISHED or FAILED by its exit code."""
        extra = {"healthy": False} if run.killed_unhealthy else {}
        if run.killing:
            self.send_update(run, "TASK_KILLED", message=outcome.message, **extra)
        elif outcome.exit_code == 0:
            self.send_update(run, "TASK_FINISHED", message=outcome.message)
        else:
            self.send_update(run, "TASK_FAILED", message=outcome.message)

    async def _destroy_after_exit(self, run: TaskRun) -> None:
        remove = getattr(run.runner, "remove", None)
        if remove is not None:
            with contextlib.suppress(Exception):
                await remove()

    async def _health_result(self, run: TaskRun, healthy: bool) -> None:
        if not run.killing and not is_terminal(run.state):
            self.send_update(run, "TASK_RUNNING", healthy=healthy, reason="REASON_TASK_HEALTH_CHECK_STATUS_UPDATED")

    async def _health_give_up(self, run: TaskRun) -> None:
        if run.killing or is_terminal(run.state):
            return
        log.info("agent %s: task %s failed its health check; killing it", self.id, run.id)
        run.killing = True
        run.killed_unhealthy = True
        self.spawn(self._kill(run, run.info.get("kill_policy")))

    # -- custom executors -------------------------------------------------------------------------------------
    def _run_with_executor(self, framework_info: dict, run: TaskRun, executor_info: dict) -> None:
        key = (run.framework_id, run.executor_id)
        executor = self.executors.get(key)
        if executor is None:
            run.sandbox.mkdir(parents=True, exist_ok=True)
            grace = executor_info.get("shutdown_grace_period", {}).get("nanoseconds")
            grace_text = f"{int(grace) / 1e9:g}secs" if grace is not None else None
            env = self.executor_env(framework_info, run.executor_id, run.sandbox, grace_text)
            env.update(environment_of(executor_info.get("command", {})))
            executor = ExecutorRun(self, framework_info, executor_info, run.container_id, run.sandbox, env,
                                   fetch_timeout=self.fetch_timeout,
                                   registration_timeout=self.executor_registration_timeout)
            self.executors[key] = executor
            self.spawn(executor.run())
        else:
            run.container_id, run.sandbox = executor.container_id, executor.sandbox
        executor.queue(run)

    def executor_exited(self, executor: ExecutorRun, wait_status: int | None) -> None:
        """A custom executor ended: fail its non-terminal tasks, then tell the framework (C10)."""
        key = (executor.framework_id, executor.executor_id)
        if self.executors.get(key) is executor:
            del self.executors[key]
        if not self.running or executor.framework_id not in self.frameworks:
            return
        for run in [r for r in self.tasks.values() if r.framework_id == executor.framework_id
                    and r.executor_id == executor.executor_id and not is_terminal(r.state)]:
            reason = ("REASON_EXECUTOR_REGISTRATION_TIMEOUT" if executor.registration_timed_out
                      else "REASON_EXECUTOR_TERMINATED")
            self.send_update(run, "TASK_FAILED", source="SOURCE_AGENT", reason=reason,
                             message="Executor terminated")
        if self.master is not None:
            self.master.executor_exited(self.id, executor.framework_id, executor.executor_id, wait_status)

    def executor_message(self, executor: ExecutorRun, data: str) -> None:
        if self.running and self.master is not None:
            self.master.executor_message(self.id, executor.framework_id, executor.executor_id, data)

    # -- /state -----------------------------------------------------------------------------------------------
    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(agent_state(self))


async def _version(request: web.Request) -> web.Response:
    return web.json_response(state_json.BUILD)


async def _health(request: web.Request) -> web.Response:
    return web.Response()


def _agent_task_json(agent: Agent, run: TaskRun) -> dict:
    resources = Resources.from_v1(run.info.get("resources", []))
    return {"id": run.id, "name": run.info.get("name", ""), "framework_id": run.framework_id,
            "executor_id": run.executor_id if run.info.get("executor") else "", "slave_id": agent.id,
            "state": run.state, "resources": resources.flatten(), "role": "*", "statuses": run.statuses}


def agent_state(agent: Agent) -> dict:
    frameworks = []
    for framework_id, info in agent.frameworks.items():
        executors: dict[str, dict] = {}
        for run in agent.tasks.values():
            if run.framework_id != framework_id:
                continue
            executor = executors.setdefault(run.executor_id, {
                "id": run.executor_id, "name": run.info.get("executor", {}).get("name", ""),
                "source": "", "container": run.container_id, "directory": str(run.sandbox),
                "resources": Resources.from_v1(run.info.get("executor", {}).get("resources", [])).flatten(),
                "tasks": [], "queued_tasks": [], "completed_tasks": []})
            bucket = "tasks" if run.launched or run.info.get("executor") else "queued_tasks"
            executor[bucket].append(_agent_task_json(agent, run))
        frameworks.append({"id": framework_id, "name": info.get("name", ""), "executors": list(executors.values()),
                           "completed_executors": []})
    master_hostname = ""
    return {"id": agent.id, "pid": f"slave(1)@{agent.endpoint()}", "hostname": agent.hostname,
            "resources": agent.resources.flatten(), "attributes": state_json.flatten_attributes(agent.attributes),
            "master_hostname": master_hostname, "frameworks": frameworks, "completed_frameworks": [],
            "flags": {"work_dir": str(agent.work_dir), "port": str(agent.port)},
            "version": state_json.VERSION}
