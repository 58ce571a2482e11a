"""TaskInfo building: the v1 JSON Mesos expects, with Marathon's environment and naming."""

import base64
import json

from framework.matching import Demand, match
from framework.matching.match import Launch
from framework.matching.resources import ResourceNeed
from framework.taskinfo import build_task_info, task_name

TASK_ID = "web.3f1e"


def docker_bridge_app(**fields):
    app = {
        "id": "/web", "cpus": 0.5, "mem": 128.0, "disk": 0.0, "gpus": 0, "instances": 1,
        "version": "2026-11-26T20:00:00.000Z", "cmd": None, "args": [], "env": {}, "labels": {},
        "networks": [{"mode": "container/bridge"}], "portDefinitions": [], "requirePorts": False,
        "container": {
            "type": "DOCKER",
            "docker": {"image": "nginx:1.25", "privileged": False, "parameters": [], "forcePullImage": False},
            "portMappings": [{"containerPort": 80, "hostPort": 0, "servicePort": 10000, "protocol": "tcp",
                              "name": "http"}],
            "volumes": [],
        },
        "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 30,
                          "intervalSeconds": 5, "timeoutSeconds": 20, "maxConsecutiveFailures": 3,
                          "delaySeconds": 15}],
        "taskKillGracePeriodSeconds": 5,
        "fetch": [],
    }
    app.update(fields)
    return app


def launch_for(ports=(31005,), hostname="node1"):
    return Launch("7f3c-O12", "7f3c-S0", hostname, "/web", ports, ResourceNeed.of(0.5, 128))


def env_of(task):
    return {v["name"]: v["value"] for v in task["command"]["environment"]["variables"]}


def test_docker_bridge_task_matches_the_notes_example_shape():
    task = build_task_info(docker_bridge_app(), launch_for(), TASK_ID)
    assert task["name"] == "web"
    assert task["task_id"] == {"value": TASK_ID}
    assert task["agent_id"] == {"value": "7f3c-S0"}
    assert task["resources"] == [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 128.0}},
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31005, "end": 31005}]}},
    ]
    assert task["command"]["shell"] is False and "value" not in task["command"]
    assert env_of(task)["PORT0"] == "31005"
    assert task["container"] == {"type": "DOCKER", "docker": {
        "image": "nginx:1.25", "network": "BRIDGE", "privileged": False, "force_pull_image": False,
        "port_mappings": [{"host_port": 31005, "container_port": 80, "protocol": "tcp"}]}}
    health = task["health_check"]
    assert health["type"] == "HTTP" and health["http"] == {"port": 80, "path": "/"}  # container port
    assert (health["grace_period_seconds"], health["interval_seconds"]) == (30, 5)
    assert health["consecutive_failures"] == 3
    assert task["kill_policy"] == {"grace_period": {"nanoseconds": 5_000_000_000}}
    json.dumps(task)  # plain JSON all the way down


def test_environment_follows_marathon():
    app = docker_bridge_app(labels={"owner": "zeus", "ha-proxy.group": "ext"}, env={"PORT": "9", "X": "1",
                                                                                     "S": {"secret": "s1"}})
    env = env_of(build_task_info(app, launch_for(), TASK_ID))
    assert env["MESOS_TASK_ID"] == TASK_ID
    assert env["MARATHON_APP_ID"] == "/web"
    assert env["MARATHON_APP_VERSION"] == "2026-11-26T20:00:00.000Z"
    assert env["MARATHON_APP_DOCKER_IMAGE"] == "nginx:1.25"
    assert (env["MARATHON_APP_RESOURCE_CPUS"], env["MARATHON_APP_RESOURCE_MEM"]) == ("0.5", "128.0")
    assert (env["MARATHON_APP_RESOURCE_DISK"], env["MARATHON_APP_RESOURCE_GPUS"]) == ("0.0", "0")
    assert env["MARATHON_APP_LABELS"] == "OWNER HA_PROXY_GROUP"
    assert env["MARATHON_APP_LABEL_HA_PROXY_GROUP"] == "ext"
    assert env["HOST"] == "node1"
    assert env["PORTS"] == "31005"
    assert env["PORT_80"] == "31005"  # the declared container port
    assert env["PORT"] == "9"  # the app's own env wins
    assert env["X"] == "1" and "S" not in env


def test_named_port_env_var():
    app = {"id": "/shop/api", "cmd": "serve", "cpus": 1, "mem": 64, "networks": [{"mode": "host"}],
           "portDefinitions": [{"port": 10001, "protocol": "tcp", "name": "http"},
                               {"port": 10002, "protocol": "udp,tcp", "name": "metrics"}]}
    launch = Launch("o", "a", "h", "/shop/api", (31000, 31001), ResourceNeed.of(1, 64))
    task = build_task_info(app, launch, "shop_api.1")
    env = env_of(task)
    assert (env["PORT_HTTP"], env["PORT_METRICS"]) == ("31000", "31001")
    assert (env["PORT0"], env["PORT1"], env["PORT"]) == ("31000", "31001", "31000")
    assert env["PORT_10001"] == "31000"  # service port -> host port
    assert task["name"] == task_name("/shop/api") == "api.shop"
    assert task["discovery"] == {"visibility": "FRAMEWORK", "name": "api.shop", "ports": {"ports": [
        {"number": 31000, "protocol": "tcp", "name": "http"},
        {"number": 31001, "protocol": "udp", "name": "metrics"},
        {"number": 31001, "protocol": "tcp", "name": "metrics"},
    ]}}
    assert "container" not in task


def test_command_app_with_cmd_and_with_args():
    base = {"id": "/tools/job", "cpus": 0.1, "mem": 32, "user": "nobody",
            "fetch": [{"uri": "https://x/a.tgz", "destPath": "a.tgz"}]}
    launch = Launch("o", "a", "h", "/tools/job", (), ResourceNeed.of(0.1, 32))
    shell = build_task_info({**base, "cmd": "echo hi"}, launch, "t")["command"]
    assert (shell["shell"], shell["value"], shell["user"]) == (True, "echo hi", "nobody")
    assert shell["uris"] == [{"value": "https://x/a.tgz", "executable": False, "extract": True, "cache": False,
                              "output_file": "a.tgz"}]
    argv = build_task_info({**base, "args": ["sleep", "10"]}, launch, "t")["command"]
    assert (argv["shell"], argv["value"], argv["arguments"]) == (False, "sleep", ["sleep", "10"])


def test_health_check_port_in_host_mode_is_the_host_port():
    app = {"id": "/web", "cmd": "serve", "portDefinitions": [{"port": 0, "name": "a"}, {"port": 0, "name": "b"}],
           "healthChecks": [{"protocol": "HTTP", "portIndex": 1, "path": "/health"},
                            {"protocol": "TCP", "portIndex": 0}]}
    task = build_task_info(app, launch_for(ports=(31000, 31001)), TASK_ID)
    assert task["health_check"]["http"] == {"port": 31001, "path": "/health"}
    tcp_only = {**app, "healthChecks": [{"protocol": "MESOS_TCP", "portName": "a"}]}
    assert build_task_info(tcp_only, launch_for(ports=(31000, 31001)), TASK_ID)["health_check"]["tcp"] == {
        "port": 31000}


def test_executor_branch_carries_the_command_in_data():
    executor = {"executor_id": {"value": "balalaika-web"}, "command": {"value": "balalaika-executor"}}
    app = {"id": "/web", "cmd": "serve", "labels": {"a": "b"}}
    task = build_task_info(app, launch_for(ports=()), TASK_ID, framework_id="fw-1", executor=executor)
    assert "command" not in task
    assert task["executor"]["framework_id"] == {"value": "fw-1"}
    assert json.loads(base64.b64decode(task["data"]))["value"] == "serve"
    assert task["labels"] == {"labels": [{"key": "a", "value": "b"}]}


def test_launch_from_match_builds_a_task():
    app = docker_bridge_app()
    offer = {"id": {"value": "o1"}, "agent_id": {"value": "a1"}, "hostname": "h1", "resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}, "role": "*"},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 512.0}, "role": "*"},
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31001}]}, "role": "*"}]}
    [launch] = match([Demand(app, 1)], [offer], []).launches
    task = build_task_info(app, launch, "web.1")
    assert task["container"]["docker"]["port_mappings"][0]["host_port"] == 31000
