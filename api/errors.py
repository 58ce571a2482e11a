"""One error type, rendered in Marathon's error JSON, and the handlers that make every failure use it.

Marathon's clients read ``message`` (and ``details`` for 400/422), so no response of ours, not even an
unexpected exception, may carry an HTML page or a stack trace.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An HTTP error with Marathon's body: ``{"message": ..., **extra}`` (e.g. ``details``, ``deployments``)."""

    def __init__(self, status: int, message: str, headers: dict | None = None, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> Response:
        body = {"message": self.message, **self.extra}
        response = jsonify(body)
        response.status_code = self.status
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


def invalid_json(reason: str) -> ApiError:
    """Marathon's 400 for a body that is not JSON at all."""
    return ApiError(400, "Invalid JSON", details=[{"path": "/", "errors": [reason]}])


def not_valid(details: list[dict]) -> ApiError:
    """Marathon's 422 for a definition that parses but breaks a rule."""
    return ApiError(422, "Object is not valid", details=details)


def app_not_found(app_id: str) -> ApiError:
    return ApiError(404, f"App '{app_id}' does not exist")


def group_not_found(group_id: str) -> ApiError:
    return ApiError(404, f"Group '{group_id}' does not exist")


def locked(deployment_ids: list[str]) -> ApiError:
    """Marathon's 409 when a running deployment already changes one of the apps."""
    return ApiError(
        409,
        # Marathon's wording, placeholder included: clients match on it.
        "App is locked by one or more deployments. Override with the option '?force=true'. "
        "View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
        deployments=[{"id": deployment_id} for deployment_id in deployment_ids],
    )


def init_app(app: Flask) -> None:
    """Routes every error, Flask's own included, through ApiError's JSON."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error.response()

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 413:
            return ApiError(413, "Request entity too large").response()
        response = ApiError(status, f"HTTP {status} {error.name}").response()
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error in %s", type(error).__name__)
        return ApiError(500, "An unexpected server error occurred.").response()
