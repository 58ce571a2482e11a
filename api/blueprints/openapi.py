"""The OpenAPI 3 document of this API, served at /v2/openapi.json and /openapi.json.

Built from a table rather than written out by hand so that every endpoint gets the same parameter and
error declarations; tests fuzz the API from this document, so it must list every route we serve.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

bp = Blueprint("openapi", __name__)

APP_ID = {"name": "app_id", "in": "path", "required": True, "schema": {"type": "string"}}
GROUP_ID = {"name": "group_id", "in": "path", "required": True, "schema": {"type": "string"}}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
VERSION = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}
DEPLOYMENT_ID = {"name": "deployment_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name: str, kind: str = "string", *, array: bool = False, enum: tuple[str, ...] = ()) -> dict:
    schema: dict = {"type": kind}
    if enum:
        schema["enum"] = list(enum)
    if array:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "schema": schema,
            **({"style": "form", "explode": True} if array else {})}


FORCE = _query("force", "boolean")
SCALE = _query("scale", "boolean")
WIPE = _query("wipe", "boolean")
DRY_RUN = _query("dryRun", "boolean")
PARTIAL = _query("partialUpdate", "boolean")
EMBED = _query("embed", array=True, enum=("apps.tasks", "apps.counts", "apps.deployments", "apps.readiness",
                                          "apps.lastTaskFailure", "apps.failures", "apps.taskStats"))
APP_FILTERS = [_query("cmd"), _query("id"), _query("label"), EMBED]
STATUS = _query("status", enum=("running", "staging", "staged", "killing", "finished", "failed", "killed"))

APP = {"$ref": "#/components/schemas/App"}
GROUP = {"$ref": "#/components/schemas/Group"}
DEPLOYMENT_RESULT = {"$ref": "#/components/schemas/DeploymentResult"}

# path -> method -> (summary, parameters, request body schema or None, success status, success schema)
ENDPOINTS: dict[str, dict[str, tuple]] = {
    "/v2/apps": {
        "get": ("List apps", APP_FILTERS, None, 200, {"type": "object"}),
        "post": ("Create an app", [FORCE], APP, 201, APP),
        "put": ("Create or update many apps", [FORCE, PARTIAL], {"type": "array", "items": APP}, 200,
                DEPLOYMENT_RESULT),
        "patch": ("Partially update many apps", [FORCE], {"type": "array", "items": APP}, 200, DEPLOYMENT_RESULT),
    },
    "/v2/apps/{app_id}": {
        "get": ("Show an app", [APP_ID, EMBED], None, 200, {"type": "object"}),
        "put": ("Update or create an app", [APP_ID, FORCE, PARTIAL], APP, 200, DEPLOYMENT_RESULT),
        "patch": ("Partially update an app", [APP_ID, FORCE], APP, 200, DEPLOYMENT_RESULT),
        "delete": ("Destroy an app", [APP_ID, FORCE], None, 200, DEPLOYMENT_RESULT),
    },
    "/v2/apps/{app_id}/restart": {
        "post": ("Rolling restart of an app", [APP_ID, FORCE], None, 200, DEPLOYMENT_RESULT),
    },
    "/v2/apps/{app_id}/tasks": {
        "get": ("Tasks of an app", [APP_ID], None, 200, {"type": "object"}),
        "delete": ("Kill tasks of an app", [APP_ID, _query("host"), SCALE, WIPE, FORCE], None, 200,
                   {"type": "object"}),
    },
    "/v2/apps/{app_id}/tasks/{task_id}": {
        "delete": ("Kill one task", [APP_ID, TASK_ID, SCALE, WIPE, FORCE], None, 200, {"type": "object"}),
    },
    "/v2/apps/{app_id}/versions": {"get": ("Versions of an app", [APP_ID], None, 200, {"type": "object"})},
    "/v2/apps/{app_id}/versions/{version}": {
        "get": ("One version of an app", [APP_ID, VERSION], None, 200, APP),
    },
    "/v2/tasks": {"get": ("All tasks", [STATUS], None, 200, {"type": "object"})},
    "/v2/tasks/delete": {
        "post": ("Kill tasks by id", [SCALE, WIPE, FORCE], {"$ref": "#/components/schemas/TaskIds"}, 200,
                 {"type": "object"}),
    },
    "/v2/deployments": {"get": ("Running deployments", [], None, 200, {"type": "array"})},
    "/v2/deployments/{deployment_id}": {
        "delete": ("Roll back (or with force, cancel) a deployment", [DEPLOYMENT_ID, FORCE], None, 200,
                   DEPLOYMENT_RESULT),
    },
    "/v2/groups": {
        "get": ("The root group", [EMBED], None, 200, GROUP),
        "post": ("Create a group", [FORCE, DRY_RUN], GROUP, 201, DEPLOYMENT_RESULT),
        "put": ("Update the root group", [FORCE, DRY_RUN], GROUP, 200, DEPLOYMENT_RESULT),
        "delete": ("Destroy every group", [FORCE], None, 200, DEPLOYMENT_RESULT),
    },
    "/v2/groups/{group_id}": {
        "get": ("A group", [GROUP_ID, EMBED], None, 200, GROUP),
        "post": ("Create a group under this one", [GROUP_ID, FORCE, DRY_RUN], GROUP, 201, DEPLOYMENT_RESULT),
        "put": ("Update a group", [GROUP_ID, FORCE, DRY_RUN], GROUP, 200, DEPLOYMENT_RESULT),
        "delete": ("Destroy a group", [GROUP_ID, FORCE], None, 200, DEPLOYMENT_RESULT),
    },
    "/v2/groups/{group_id}/versions": {"get": ("Versions of a group", [GROUP_ID], None, 200, {"type": "array"})},
    "/v2/queue": {"get": ("The launch queue", [_query("embed")], None, 200, {"type": "object"})},
    "/v2/queue/{app_id}/delay": {"delete": ("Reset an app's launch delay", [APP_ID], None, 204, None)},
    "/v2/events": {
        "get": ("Server-sent events", [_query("event_type", array=True), _query("plan-format", enum=("light",))],
                None, 200, None),
    },
    "/v2/info": {"get": ("About this server", [], None, 200, {"type": "object"})},
    "/v2/leader": {"get": ("The scheduler leader", [], None, 200, {"type": "object"})},
    "/v2/audit": {"get": ("Accepted writes, newest first (admin on /)", [_query("limit", "integer")], None, 200,
                          {"type": "object"})},
    "/ping": {"get": ("Liveness", [], None, 200, None)},
    "/metrics": {"get": ("Prometheus metrics", [], None, 200, None)},
}

ERRORS = {
    "400": "Invalid JSON or parameter", "401": "Not authenticated", "403": "Not authorized",
    "404": "Unknown id", "409": "Locked by a deployment", "413": "Body too large",
    "422": "Object is not valid",
}

SCHEMAS = {
    "App": {"type": "object", "description": "Marathon AppDefinition", "additionalProperties": True,
            "properties": {"id": {"type": "string"}, "cmd": {"type": "string"}, "instances": {"type": "integer"},
                           "cpus": {"type": "number"}, "mem": {"type": "number"}}},
    "Group": {"type": "object", "additionalProperties": True,
              "properties": {"id": {"type": "string"}, "apps": {"type": "array", "items": APP},
                             "groups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}}}},
    "DeploymentResult": {"type": "object", "properties": {"deploymentId": {"type": "string"},
                                                          "version": {"type": "string"}}},
    "TaskIds": {"type": "object", "required": ["ids"],
                "properties": {"ids": {"type": "array", "items": {"type": "string"}}}},
    "Error": {"type": "object", "required": ["message"],
              "properties": {"message": {"type": "string"}, "details": {"type": "array"}}},
}


def document() -> dict:
    """The OpenAPI 3.0 document."""
    paths: dict = {}
    for path, methods in ENDPOINTS.items():
        for method, (summary, parameters, body, status, schema) in methods.items():
            responses: dict = {str(status): {"description": "success"}}
            if schema is not None:
                responses[str(status)]["content"] = {"application/json": {"schema": schema}}
            for code, text in ERRORS.items():
                responses[code] = {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}
            operation = {"summary": summary, "operationId": f"{method}{_camel(path)}",
                         "parameters": parameters, "responses": responses}
            if body is not None:
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Balalaika Marathon v2 API", "version": "1.10.0",
                 "description": "Marathon-compatible REST API of Balalaika."},
        "paths": paths,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                           "bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _camel(path: str) -> str:
    parts = path.replace("{", "").replace("}", "").replace("-", "_").split("/")
    return "".join(part[:1].upper() + part[1:] for part in parts if part)


@bp.get("/v2/openapi.json")
@bp.get("/openapi.json")
def openapi_json() -> Response:
    """Served by the API itself, so a client can discover what this server speaks."""
    return jsonify(document())
