"""The one place HTTP handlers turn exceptions into responses."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.exceptions import HTTPException

from common import telemetry
from common.api.responses import Response, error_response, json_response
from common.errors import AgentJobsError, InvalidRequest, TransientError
from common.telemetry.log import log, where

__all__ = ["MethodNotAllowed", "RouteNotFound", "ack_or_retry", "respond"]


class RouteNotFound(InvalidRequest):
    """No endpoint at that path."""

    code = "route_not_found"
    http_status = 404


class MethodNotAllowed(InvalidRequest):
    """The endpoint exists but not for that method; the answer carries ``Allow`` (RFC 9110 §15.5.6).

    Args:
        message: Human explanation.
        allow: The methods the endpoint accepts.
    """

    code = "method_not_allowed"
    http_status = 405

    def __init__(self, message: str, *, allow: tuple[str, ...]):
        super().__init__(message)
        self.allow = allow


def respond[T](function: str, call: Callable[[], T]) -> T | Response:
    """Run ``call`` and map errors: agentjobs errors to their status, anything else to 500.

    Args:
        function: The function's name, for logs.
        call: Produces the success response.
    """
    try:
        return call()
    except HTTPException:
        raise  # werkzeug's own (e.g. 413 while reading the body): the JSON error handlers answer it
    except AgentJobsError as e:
        telemetry.get().report(e)  # client error: a tag; transient: an event (the request is not retried)
        if e.http_status >= 500:
            log("http.backend_error", severity="WARNING", function=function, code=e.error_code)
        return error_response(e)
    except Exception as e:
        telemetry.get().report(e)  # a bug: a Sentry issue
        log(
            "http.unexpected_error",
            severity="ERROR",
            function=function,
            error_type=type(e).__name__,
            where=where(e),
        )
        return json_response({"error": {"code": "internal_error", "message": "unexpected server error"}}, 500)


def ack_or_retry(function: str, call: Callable[[], Response]) -> Response:
    """Map a push delivery's outcome to ack (2xx) or redelivery (non-2xx).

    Pub/Sub push and Cloud Tasks redeliver on any non-2xx answer. A
    :class:`~common.errors.TransientError` answers its status (503, or 429 for a busy job) so the
    message comes back; any other agentjobs error can never succeed and is acked (200) with its
    code; an unexpected exception answers 500 and is bounded by the subscription's dead-letter
    policy and the job's attempt limit.
    """
    try:
        return call()
    except TransientError as e:
        telemetry.get().report(e)  # breadcrumb; an event when the delivery says it is the last attempt
        log("delivery.retry", severity="WARNING", function=function, code=e.error_code)
        return error_response(e)
    except AgentJobsError as e:
        telemetry.get().report(e)
        log("delivery.dropped", severity="WARNING", function=function, code=e.error_code)
        return json_response({"outcome": "rejected", "code": e.error_code})
    except Exception as e:
        telemetry.get().report(e)
        log(
            "delivery.unexpected_error",
            severity="ERROR",
            function=function,
            error_type=type(e).__name__,
            where=where(e),
        )
        return json_response({"error": {"code": "internal_error", "message": "unexpected error; will retry"}}, 500)
