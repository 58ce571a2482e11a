"""Runs a task's Docker container the way Mesos's Docker containerizer does (notes D4).

`container_options()` is pure: it turns a v1 TaskInfo into keyword arguments for the Docker SDK's
`containers.create()`, and raises `LaunchError` for what Mesos would refuse (ports outside the task's
resources, port mappings on a host network, unsupported parameters). `DockerTaskRunner` does the I/O.

Every Docker SDK call blocks, so each runs in a short-lived daemon thread and is awaited with a deadline.
Dedicated threads (not the loop's default executor) because `wait` and the log streams block for the
whole life of a task: a handful of tasks would otherwise exhaust the executor's few workers, and
`asyncio.run` would wait on a stuck pull at shutdown.

Containers carry the labels `mesoslocal.container_id`, `mesoslocal.task_id` and `mesoslocal.agent_id`,
so that `remove_containers()` can clear what a crashed agent left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import docker
import docker.errors
import docker.types

from mesoslocal.agent.runner import LaunchError, TaskExit

T = TypeVar("T")

SANDBOX_PATH = "/mnt/mesos/sandbox"
LABEL_CONTAINER_ID = "mesoslocal.container_id"
LABEL_TASK_ID = "mesoslocal.task_id"
LABEL_AGENT_ID = "mesoslocal.agent_id"

# Mesos's floor for Docker containers: 2 cpu shares, 32 MB of memory
MIN_CPU_SHARES = 2
MIN_MEMORY_MB = 32
API_TIMEOUT = 60.0  # seconds for one ordinary Docker API call
PULL_TIMEOUT = 300.0  # seconds for pulling an image
LOG_DRAIN_TIMEOUT = 5.0  # seconds to let log streams finish after the container exits


def _bool(value: str) -> bool:
    if value.lower() in ("", "true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _pair(value: str, separator: str = "=") -> tuple[str, str]:
    key, found, rest = value.partition(separator)
    if not found or not key:
        raise ValueError(f"expected KEY{separator}VALUE, got {value!r}")
    return key, rest


def _ulimit(value: str) -> docker.types.Ulimit:
    name, limits = _pair(value)
    soft, _, hard = limits.partition(":")
    return docker.types.Ulimit(name=name, soft=int(soft), hard=int(hard or soft))


# docker run option (long or short form, as in `parameters[].key`) -> (SDK keyword, how values combine).
# "str": the last value wins; "list": values accumulate; "dict": KEY=VALUE values accumulate into a dict.
_PARAMETERS: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "label": ("labels", "dict", _pair),
    "l": ("labels", "dict", _pair),
    "env": ("environment", "dict", _pair),
    "e": ("environment", "dict", _pair),
    "volume": ("volumes", "list", str),
    "v": ("volumes", "list", str),
    "user": ("user", "str", str),
    "u": ("user", "str", str),
    "hostname": ("hostname", "str", str),
    "h": ("hostname", "str", str),
    "workdir": ("working_dir", "str", str),
    "w": ("working_dir", "str", str),
    "entrypoint": ("entrypoint", "str", str),
    "add-host": ("extra_hosts", "dict", lambda v: _pair(v, ":")),
    "dns": ("dns", "list", str),
    "dns-search": ("dns_search", "list", str),
    "dns-opt": ("dns_opt", "list", str),
    "dns-option": ("dns_opt", "list", str),
    "cap-add": ("cap_add", "list", str),
    "cap-drop": ("cap_drop", "list", str),
    "security-opt": ("security_opt", "list", str),
    "device": ("devices", "list", str),
    "group-add": ("group_add", "list", str),
    "ulimit": ("ulimits", "list", _ulimit),
    "sysctl": ("sysctls", "dict", _pair),
    "tmpfs": ("tmpfs", "dict", lambda v: (v.partition(":")[0], v.partition(":")[2])),
    "log-driver": ("log_driver", "str", str),
    "log-opt": ("log_opts", "dict", _pair),
    "init": ("init", "str", _bool),
    "read-only": ("read_only", "str", _bool),
    "privileged": ("privileged", "str", _bool),
    "oom-kill-disable": ("oom_kill_disable", "str", _bool),
    "oom-score-adj": ("oom_score_adj", "str", int),
    "pids-limit": ("pids_limit", "str", int),
    "shm-size": ("shm_size", "str", str),
    "memory": ("mem_limit", "str", str),
    "m": ("mem_limit", "str", str),
    "memory-swap": ("memswap_limit", "str", str),
    "memory-reservation": ("mem_reservation", "str", str),
    "cpu-shares": ("cpu_shares", "str", int),
    "cpus": ("nano_cpus", "str", lambda v: int(float(v) * 1e9)),
    "cpuset-cpus": ("cpuset_cpus", "str", str),
    "stop-signal": ("stop_signal", "str", str),
    "ipc": ("ipc_mode", "str", str),
    "pid": ("pid_mode", "str", str),
    "uts": ("uts_mode", "str", str),
    "mac-address": ("mac_address", "str", str),
}
SUPPORTED_PARAMETERS = frozenset(_PARAMETERS) | {"net", "network"}


def _scalar(task_info: dict, name: str) -> float | None:
    for resource in task_info.get("resources", []):
        if resource.get("name") == name and resource.get("type", "SCALAR") == "SCALAR":
            return float(resource.get("scalar", {}).get("value", 0))
    return None


def _port_ranges(task_info: dict) -> list[tuple[int, int]]:
    return [(int(r["begin"]), int(r["end"]))
            for resource in task_info.get("resources", []) if resource.get("name") == "ports"
            for r in resource.get("ranges", {}).get("range", [])]


def _command(task_info: dict) -> dict[str, Any]:
    """Entrypoint and command as Mesos builds them: shell=true runs `/bin/sh -c value` whatever the image's
    entrypoint; shell=false passes `value` (if any) and every argument after the image's entrypoint."""
    command = task_info.get("command")
    if not command:
        return {}
    if command.get("shell", True):
        if not command.get("value"):
            raise LaunchError("Shell specified but no command value provided")
        return {"entrypoint": ["/bin/sh"], "command": ["-c", command["value"]]}
    argv = ([command["value"]] if command.get("value") else []) + list(command.get("arguments", []))
    return {"command": argv} if argv else {}


def _environment(task_info: dict, env: dict[str, str], container_name: str) -> dict[str, str]:
    merged = dict(env)
    merged["MESOS_SANDBOX"] = SANDBOX_PATH
    merged["MESOS_CONTAINER_NAME"] = container_name
    for variable in task_info.get("command", {}).get("environment", {}).get("variables", []):
        if variable.get("type", "VALUE") == "VALUE":  # SECRET variables need a secret resolver we lack
            merged[variable["name"]] = variable.get("value", "")
    return merged


def _network_mode(container: dict, docker_info: dict) -> str:
    """`--net` from `docker.network`; a `net`/`network` parameter overrides it (the last one wins)."""
    overrides = [p["value"] for p in docker_info.get("parameters", []) if p["key"].lstrip("-") in ("net", "network")]
    if overrides:
        return overrides[-1]
    network = docker_info.get("network", "HOST")
    if network == "USER":
        infos = container.get("network_infos", [])
        if not infos or not infos[0].get("name"):
            raise LaunchError("No network name given for a USER network")
        return infos[0]["name"]
    if network in ("HOST", "BRIDGE", "NONE"):
        return network.lower()
    raise LaunchError(f"Unsupported Docker network '{network}'")


def _ports(docker_info: dict, network_mode: str, task_info: dict, agent_ip: str) -> dict[str, list]:
    mappings = docker_info.get("port_mappings", [])
    if not mappings:
        return {}
    if network_mode in ("host", "none") or network_mode.startswith("container:"):
        raise LaunchError(f"Port mappings are not supported with network '{network_mode}'")
    ranges = _port_ranges(task_info)
    ports: dict[str, list] = {}
    for mapping in mappings:
        host_port = int(mapping["host_port"])
        if not any(begin <= host_port <= end for begin, end in ranges):
            raise LaunchError(f"Port [{host_port}] not included in resources")
        for protocol in (mapping.get("protocol") or "tcp").lower().split(","):
            ports.setdefault(f"{mapping['container_port']}/{protocol}", []).append((agent_ip, host_port))
    return ports


def _volumes(container: dict, sandbox: Path) -> list[str]:
    volumes = [f"{sandbox}:{SANDBOX_PATH}:rw"]
    for volume in container.get("volumes", []):
        host_path = volume.get("host_path")
        if not host_path:
            raise LaunchError(f"Volume '{volume.get('container_path')}' has no host_path (not supported)")
        if not host_path.startswith("/"):  # relative host paths live in the sandbox, as in Mesos
            host_path = str(sandbox / host_path)
        container_path = volume["container_path"]
        if not container_path.startswith("/"):
            container_path = f"{SANDBOX_PATH}/{container_path}"
        volumes.append(f"{host_path}:{container_path}:{'ro' if volume.get('mode') == 'RO' else 'rw'}")
    return volumes


def _apply_parameters(options: dict[str, Any], parameters: list[dict]) -> None:
    for parameter in parameters:
        key, value = parameter["key"].lstrip("-"), str(parameter.get("value", ""))
        if key in ("net", "network"):
            continue
        if key not in _PARAMETERS:
            raise LaunchError(f"Unsupported Docker parameter '{key}' (supported: {', '.join(sorted(_PARAMETERS))})")
        keyword, kind, convert = _PARAMETERS[key]
        try:
            converted = convert(value)
        except ValueError as error:
            raise LaunchError(f"Invalid Docker parameter '{key}={value}': {error}") from None
        if kind == "list":
            options.setdefault(keyword, []).append(converted)
        elif kind == "dict":
            options.setdefault(keyword, {})[converted[0]] = converted[1]
        else:
            options[keyword] = converted
    if "log_driver" in options or "log_opts" in options:
        options["log_config"] = docker.types.LogConfig(type=options.pop("log_driver", "json-file"),
                                                       config=options.pop("log_opts", {}))


def container_options(task_info: dict, *, sandbox: Path, env: dict[str, str], container_id: str,
                      agent_ip: str) -> dict[str, Any]:
    """Keyword arguments for `DockerClient.containers.create()` for this TaskInfo (pure; no Docker calls).

    Raises LaunchError for a TaskInfo Mesos would fail to launch.
    """
    container = task_info.get("container") or {}
    docker_info = container.get("docker")
    if container.get("type", "DOCKER") != "DOCKER" or not docker_info or not docker_info.get("image"):
        raise LaunchError("The task has no Docker container with an image")
    name = f"mesos-{container_id}"
    network_mode = _network_mode(container, docker_info)
    cpus = _scalar(task_info, "cpus")
    mem = _scalar(task_info, "mem")
    options: dict[str, Any] = {
        "image": docker_info["image"],
        "name": name,
        "network_mode": network_mode,
        "ports": _ports(docker_info, network_mode, task_info, agent_ip),
        "environment": _environment(task_info, env, name),
        "volumes": _volumes(container, sandbox),
        "privileged": bool(docker_info.get("privileged", False)),
        "labels": {LABEL_CONTAINER_ID: container_id,
                   LABEL_TASK_ID: task_info.get("task_id", {}).get("value", ""),
                   LABEL_AGENT_ID: task_info.get("agent_id", {}).get("value", "")},
        **_command(task_info),
    }
    if cpus is not None:
        options["cpu_shares"] = max(int(1024 * cpus), MIN_CPU_SHARES)
    if mem is not None:
        options["mem_limit"] = int(max(mem, MIN_MEMORY_MB) * 1024 * 1024)
    if container.get("hostname"):
        options["hostname"] = container["hostname"]
    # parameters come last, so that (as with docker run's later flags) they override the options above
    _apply_parameters(options, docker_info.get("parameters", []))
    if isinstance(options["environment"], dict):
        options["environment"] = [f"{key}={value}" for key, value in options["environment"].items()]
    return options


async def _in_thread(function: Callable[..., T], *args: Any, deadline: float | None = None,
                     **kwargs: Any) -> T:
    """Runs a blocking call in its own daemon thread; raises TimeoutError after `deadline` seconds (the
    thread is then abandoned, its result dropped)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(error: BaseException | None, result: Any) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            result, error = function(*args, **kwargs), None
        except BaseException as raised:  # handed to the awaiting coroutine
            result, error = None, raised
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, error, result)

    threading.Thread(target=target, name=f"docker-{getattr(function, '__name__', 'call')}", daemon=True).start()
    return await asyncio.wait_for(future, deadline)


class DockerTaskRunner:
    """One task in one Docker container: the agent's `TaskRunner` for TaskInfos with a DOCKER container."""

    def __init__(self, task_info: dict, *, sandbox: Path, env: dict[str, str], docker_host: str,
                 container_id: str, agent_ip: str) -> None:
        self.task_info = task_info
        self.sandbox = Path(sandbox)
        self.env = env
        self.docker_host = docker_host
        self.container_id = container_id
        self.agent_ip = agent_ip
        self.name = f"mesos-{container_id}"
        self._client: docker.DockerClient | None = None
        self._container: Any = None
        self._network_mode = "host"
        self._container_ip: str | None = None
        self._log_threads: list[threading.Thread] = []
        self._exit: asyncio.Task[TaskExit] | None = None
        self._killed = False
        self._owns_name = False  # whether a container named `self.name` may be ours to remove

    @property
    def ip_address(self) -> str:
        """The container's IP on its Docker network, or the agent's IP when it shares the host's network."""
        return self._container_ip or self.agent_ip

    @property
    def check_host(self) -> str:
        """Health checks run in the task's network namespace in Mesos (notes D5): so they reach the container
        IP (and container ports) on a bridge, and the agent IP on the host network."""
        return self.ip_address

    async def start(self) -> None:
        """Pulls the image if needed, creates and starts the container and streams its logs to the sandbox.

        Raises LaunchError (with Docker's reason) when the options are refused or Docker fails.
        """
        options = container_options(self.task_info, sandbox=self.sandbox, env=self.env,
                                    container_id=self.container_id, agent_ip=self.agent_ip)
        self._network_mode = options["network_mode"]
        self.sandbox.mkdir(parents=True, exist_ok=True)
        try:
            self._client = await _in_thread(docker.DockerClient, base_url=self.docker_host, timeout=API_TIMEOUT,
                                            deadline=API_TIMEOUT)
        except (docker.errors.DockerException, TimeoutError) as error:
            raise LaunchError(f"Failed to connect to Docker: {error}") from error
        try:
            await self._ensure_image(options["image"])
            await self._run(options)
        except BaseException:
            # a failed (or cancelled) launch holds nothing: our container is removed, the client closed
            if self._owns_name:
                await self.remove()
            else:
                self._close_client()
            raise
        self._container_ip = self._find_ip(self._container.attrs)
        for stream in ("stdout", "stderr"):
            thread = threading.Thread(target=self._copy_logs, args=(self._container, stream),
                                      name=f"{self.name}-{stream}", daemon=True)
            thread.start()
            self._log_threads.append(thread)

    async def _run(self, options: dict[str, Any]) -> None:
        assert self._client is not None
        self._owns_name = True  # from here: a create cut short (timeout, cancel) may still complete later
        try:
            self._container = await _in_thread(self._client.containers.create, **options, deadline=API_TIMEOUT)
        except docker.errors.DockerException as error:
            self._owns_name = False  # refused; a 409 means the name is another container's: leave that one be
            raise LaunchError(f"Failed to create container '{self.name}': {_reason(error)}") from error
        except TimeoutError as error:
            raise LaunchError(f"Failed to create container '{self.name}': timed out") from error
        try:
            await _in_thread(self._container.start, deadline=API_TIMEOUT)
            await _in_thread(self._container.reload, deadline=API_TIMEOUT)
        except (docker.errors.DockerException, TimeoutError) as error:
            raise LaunchError(f"Failed to run container '{self.name}': {_reason(error)}") from error

    async def _ensure_image(self, image: str) -> None:
        assert self._client is not None
        force = bool(self.task_info["container"]["docker"].get("force_pull_image", False))
        if not force:
            try:
                await _in_thread(self._client.images.get, image, deadline=API_TIMEOUT)
                return
            except docker.errors.ImageNotFound:
                pass
            except (docker.errors.DockerException, TimeoutError) as error:
                raise LaunchError(f"Failed to inspect image '{image}': {_reason(error)}") from error
        try:
            await _in_thread(self._client.images.pull, image, deadline=PULL_TIMEOUT)
        except (docker.errors.DockerException, TimeoutError) as error:
            raise LaunchError(f"Failed to pull image '{image}': {_reason(error)}") from error

    def _find_ip(self, attrs: dict) -> str | None:
        if self._network_mode in ("host", "none") or self._network_mode.startswith("container:"):
            return None
        networks = attrs.get("NetworkSettings", {}).get("Networks") or {}
        preferred = networks.get(self._network_mode) or next(iter(networks.values()), {})
        return preferred.get("IPAddress") or None

    def _copy_logs(self, container: Any, stream: str) -> None:
        """Appends the container's stdout or stderr to the sandbox file of that name until it exits."""
        try:
            chunks = container.logs(stdout=stream == "stdout", stderr=stream == "stderr", stream=True,
                                    follow=True)
            with open(self.sandbox / stream, "ab", buffering=0) as out:
                for chunk in chunks:
                    out.write(chunk)
        except Exception as error:  # the container was removed under us: note it, never crash the thread
            with contextlib.suppress(OSError), open(self.sandbox / stream, "ab") as out:
                out.write(f"\n[mesoslocal] log stream ended: {error}\n".encode())

    async def wait(self) -> TaskExit:
        """Waits for the container to exit; may be awaited by several callers, all get the same TaskExit."""
        if self._container is None:
            raise RuntimeError("wait() before a successful start()")
        if self._exit is None:
            self._exit = asyncio.ensure_future(self._wait_exit())
        return await asyncio.shield(self._exit)

    async def _wait_exit(self) -> TaskExit:
        try:
            status = await _in_thread(self._container.wait)
            await _in_thread(self._container.reload, deadline=API_TIMEOUT)
        except (docker.errors.DockerException, TimeoutError) as error:
            return TaskExit(None, None, f"Failed to wait for container '{self.name}': {_reason(error)}")
        for thread in self._log_threads:
            await _in_thread(thread.join, LOG_DRAIN_TIMEOUT)
        state = self._container.attrs.get("State", {})
        code = int(status.get("StatusCode", state.get("ExitCode", -1)))
        return describe_exit(code, oom_killed=bool(state.get("OOMKilled")), killed=self._killed,
                             mem_mb=_scalar(self.task_info, "mem"),
                             error=(status.get("Error") or {}).get("Message") or "")

    async def kill(self, grace_seconds: float) -> None:
        """`docker stop`: the image's stop signal (SIGTERM), then SIGKILL after `grace_seconds` (whole seconds,
        rounded up, as Docker counts them)."""
        if self._client is None:
            return
        self._killed = True
        grace = max(0, math.ceil(grace_seconds))
        with contextlib.suppress(docker.errors.NotFound):
            await _in_thread(self._client.api.stop, self.name, timeout=grace, deadline=grace + API_TIMEOUT)

    async def run_check_command(self, command: dict) -> int:
        """Runs a COMMAND health check (v1 CommandInfo) inside the container with `docker exec`; returns its exit
        code. shell=true runs `sh -c value`; shell=false execs `value` with `arguments[1:]` (argv0 is
        `arguments[0]` in Mesos, which exec cannot set). Raises docker.errors.DockerException when the
        container is gone."""
        if self._container is None:
            raise RuntimeError("run_check_command() before a successful start()")
        if command.get("shell", True):
            argv = ["/bin/sh", "-c", command.get("value", "")]
        else:
            argv = [command["value"], *command.get("arguments", [])[1:]]
        environment = {variable["name"]: variable.get("value", "")
                       for variable in command.get("environment", {}).get("variables", [])}
        result = await _in_thread(self._container.exec_run, argv, environment=environment or None)
        return int(result.exit_code)

    async def remove(self) -> None:
        """Removes the container (forcefully, with its anonymous volumes) and closes the Docker client."""
        if self._client is None:
            return
        with contextlib.suppress(docker.errors.NotFound):
            try:
                await _in_thread(self._client.api.remove_container, self.name, force=True, v=True,
                                 deadline=API_TIMEOUT)
            except docker.errors.APIError as error:
                if error.status_code != 409:  # 409: removal already in progress
                    raise
        self._close_client()

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def describe_exit(code: int, *, oom_killed: bool = False, killed: bool = False, mem_mb: float | None = None,
                  error: str = "") -> TaskExit:
    """A TaskExit from Docker's exit code. Docker reports death by signal N as 128+N; we read it as a signal
    only when we know one was sent (we killed it, or the kernel's OOM killer did)."""
    if oom_killed:
        requested = f" Requested: {mem_mb:g}MB" if mem_mb is not None else ""
        return TaskExit(None, signal.SIGKILL, f"Memory limit exceeded:{requested}")
    if killed and 128 < code < 128 + 65:
        return TaskExit(None, code - 128, f"Container terminated with signal {signal.strsignal(code - 128)}")
    message = f"Container exited with status {code}"
    return TaskExit(code, None, f"{message}: {error}" if error else message)


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, docker.errors.APIError) and error.explanation:
        return str(error.explanation)
    return str(error)


async def remove_containers(docker_host: str, agent_id: str | None = None) -> list[str]:
    """Removes the containers mesoslocal started (on one agent, when given); returns their names. For an agent
    restarting after a crash, whose containers no runner owns any more."""

    def sweep() -> list[str]:
        client = docker.DockerClient(base_url=docker_host, timeout=API_TIMEOUT)
        try:
            label = f"{LABEL_AGENT_ID}={agent_id}" if agent_id is not None else LABEL_CONTAINER_ID
            names = []
            for container in client.containers.list(all=True, filters={"label": label}):
                with contextlib.suppress(docker.errors.NotFound):
                    container.remove(force=True, v=True)
                    names.append(container.name)
            return names
        finally:
            client.close()

    return await _in_thread(sweep, deadline=PULL_TIMEOUT)
