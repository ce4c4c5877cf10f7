"""HTTP responses as ``(body, status, headers)`` tuples, which functions-framework (Flask) accepts."""

from __future__ import annotations

from typing import Any

from common.errors import AgentJobsError, TransientError, Unauthenticated

__all__ = ["Response", "error_response", "json_response"]

Response = tuple[dict[str, Any], int, dict[str, str]]


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return body, status, {"Cache-Control": "no-store", **(headers or {})}


def error_response(error: AgentJobsError) -> Response:
    """``{"error": {"code", "message", ...}}`` with the error's HTTP status.

    401s carry ``WWW-Authenticate: Bearer`` (RFC 6750); 503s and 429s carry ``Retry-After`` (the
    error's ``retry_after_seconds`` when it has one, as do 402 ``budget_exceeded``);
    405s carry ``Allow``.
    """
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="agentjobs"'
    retry_after = error.details.get("retry_after_seconds")
    if isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool) and retry_after >= 0:
        headers["Retry-After"] = str(max(1, -(-int(retry_after * 1000) // 1000)))  # whole seconds, rounded up
    elif isinstance(error, TransientError):
        headers["Retry-After"] = "5"
    allow: tuple[str, ...] | None = getattr(error, "allow", None)
    if allow:
        headers["Allow"] = ", ".join(allow)
    return json_response({"error": error.to_dict()}, error.http_status, headers)
