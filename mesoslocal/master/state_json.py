"""The master's read-only endpoints: /version, /health, /master/state (v0 naming, flattened resources),
/master/redirect (notes E)."""

from __future__ import annotations

from aiohttp import web

from mesoslocal.master.http_scheduler import MASTER_KEY
from mesoslocal.master.master import Master
from mesoslocal.master.records import AgentRecord, Framework, Offer, Task
from mesoslocal.wire.resources import Resources
from mesoslocal.wire.state_json import BUILD, VERSION, flatten_attributes


def task_json(task: Task) -> dict:
    info = task.info
    body = {"id": task.id, "name": info.get("name", ""), "framework_id": task.framework_id,
            "executor_id": task.executor_id, "slave_id": task.agent_id, "state": task.state,
            "resources": task.resources.flatten(), "role": "*", "statuses": list(task.statuses)}
    for key in ("labels", "discovery", "container", "health_check", "kill_policy"):
        if key in info:
            body[key] = info[key]
    if "user" in info.get("command", {}):
        body["user"] = info["command"]["user"]
    if task.unreachable_time is not None:
        body["unreachable_time"] = {"nanoseconds": int(task.unreachable_time * 1e9)}
    return body


def offer_json(offer: Offer) -> dict:
    return {"id": offer.id, "framework_id": offer.framework_id, "slave_id": offer.agent_id,
            "allocation_info": {"role": "*"}, "resources": offer.resources.flatten()}


def framework_json(framework: Framework, offers: list[Offer], active: bool = True) -> dict:
    info = framework.info
    used = Resources()
    for task in framework.tasks.values():
        if not task.released:
            used = used + task.resources
    offered = Resources()
    for offer in offers:
        offered = offered + offer.resources
    body = {"id": framework.id, "name": info.get("name", ""), "hostname": info.get("hostname", ""),
            "webui_url": info.get("webui_url", ""), "active": active and framework.connected,
            "connected": framework.connected, "recovered": framework.recovered,
            "capabilities": [c["type"] for c in info.get("capabilities", []) if "type" in c],
            "user": info.get("user", ""), "failover_timeout": float(info.get("failover_timeout", 0.0)),
            "checkpoint": bool(info.get("checkpoint", False)), "role": info.get("role", "*"),
            "registered_time": framework.registered_time, "unregistered_time": framework.unregistered_time,
            "used_resources": used.flatten(), "offered_resources": offered.flatten(),
            "resources": (used + offered).flatten(),
            "tasks": [task_json(t) for t in framework.tasks.values()],
            "unreachable_tasks": [task_json(t) for t in framework.unreachable.values()],
            "completed_tasks": [task_json(t) for t in framework.completed],
            "offers": [offer_json(o) for o in offers],
            "executors": [{"executor_id": e["executor_id"]["value"], "name": e.get("name", ""),
                           "framework_id": framework.id, "slave_id": agent_id,
                           "resources": Resources.from_v1(e.get("resources", [])).flatten()}
                          for agent_id, executors in framework.executors.items() for e in executors.values()]}
    if framework.reregistered_time is not None:
        body["reregistered_time"] = framework.reregistered_time
    if "principal" in info:
        body["principal"] = info["principal"]
    return body


def agent_json(master: Master, agent: AgentRecord) -> dict:
    used, offered = master.allocator.used(agent.id), master.allocator.offered(agent.id)
    return {"id": agent.id, "hostname": agent.hostname, "port": agent.port,
            "pid": f"slave(1)@{agent.ip}:{agent.port}", "attributes": flatten_attributes(agent.attributes),
            "registered_time": agent.registered_time, "resources": agent.total.flatten(),
            "used_resources": used.flatten(), "offered_resources": offered.flatten(), "reserved_resources": {},
            "unreserved_resources": agent.total.flatten(), "active": True, "deactivated": False,
            "version": VERSION, "capabilities": ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT",
                                                 "RESOURCE_PROVIDER", "RESIZE_VOLUME", "AGENT_OPERATION_FEEDBACK",
                                                 "AGENT_DRAINING", "TASK_RESOURCE_LIMITS"]}


def _frameworks_json(master: Master) -> dict:
    return {"frameworks": [framework_json(f, master.offers.held_by(f.id)) for f in master.frameworks],
            "completed_frameworks": [framework_json(f, [], active=False) for f in master.frameworks.completed()]}


def master_state(master: Master) -> dict:
    pid = f"master@{master.ip}:{master.port}"
    active = master.agents.active()
    return {"version": VERSION, "git_tag": VERSION, "build_date": BUILD["build_date"],
            "build_time": BUILD["build_time"], "build_user": BUILD["build_user"],
            "start_time": master.start_time, "elected_time": master.start_time, "id": master.id, "pid": pid,
            "hostname": master.hostname, "leader": pid,
            "leader_info": {"id": master.id, "pid": pid, "port": master.port, "hostname": master.hostname},
            "activated_slaves": len(active), "deactivated_slaves": 0,
            "unreachable_slaves": sum(1 for a in master.agents if a.state == "unreachable"),
            "flags": {k: str(v) for k, v in master.flags.items()},
            "slaves": [agent_json(master, a) for a in active],
            **_frameworks_json(master),
            "orphan_tasks": [], "unregistered_frameworks": [], "recovered_slaves": []}


async def _version(request: web.Request) -> web.Response:
    return web.json_response(BUILD)


async def _health(request: web.Request) -> web.Response:
    return web.Response(status=200)


async def _state(request: web.Request) -> web.Response:
    return web.json_response(master_state(request.app[MASTER_KEY]))


async def _frameworks(request: web.Request) -> web.Response:
    master = request.app[MASTER_KEY]
    return web.json_response({**_frameworks_json(master), "unregistered_frameworks": []})


async def _slaves(request: web.Request) -> web.Response:
    master = request.app[MASTER_KEY]
    return web.json_response({"slaves": [agent_json(master, a) for a in master.agents.active()],
                              "recovered_slaves": []})


async def _redirect(request: web.Request) -> web.Response:
    master = request.app[MASTER_KEY]
    return web.Response(status=307, headers={"Location": f"//{master.hostname}:{master.port}"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/version", _version)
    for path in ("/health", "/master/health"):
        app.router.add_get(path, _health)
    for path in ("/state", "/master/state"):
        app.router.add_get(path, _state)
    app.router.add_get("/master/frameworks", _frameworks)
    app.router.add_get("/master/slaves", _slaves)
    for path in ("/redirect", "/master/redirect"):
        app.router.add_get(path, _redirect)

