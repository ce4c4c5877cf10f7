"""The one error tree of agentjobs.

Every error the system raises on purpose derives from :class:`AgentJobsError` and carries a
machine-readable ``code`` and a human ``message``. The tree splits three ways, and each
branch has one delivery meaning:

* :class:`ClientError`: the caller sent something wrong. HTTP handlers answer with
  ``http_status`` (a 4xx) and a JSON body ``{"error": {"code", "message"}}``. Never retried.
* :class:`PermanentError`: the job can never succeed (a bad document, invalid input). The job
  ends ``failed`` with ``error{code, message}`` and the message is acked.
* :class:`TransientError`: the work may succeed later (storage unavailable, a timeout). The
  handler answers non-2xx so that Pub/Sub or Cloud Tasks redelivers.

Adapters translate SDK exceptions into this tree with ``raise ... from e``. Messages must never
contain document text, patient data or secrets: they are stored on jobs and logged.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AgentJobsError",
    "ClientError",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "PayloadTooLarge",
    "PermanentError",
    "TransientError",
    "Unauthenticated",
    "UnprocessableEntity",
]


class AgentJobsError(Exception):
    """Root of every deliberate agentjobs error.

    Args:
        message: A human-readable explanation. Must not contain document or patient content.
        code: A stable machine-readable code (snake_case). Defaults to the class's ``code``.
        details: Optional JSON-serialisable extra fields, e.g. the offending parameter name.
    """

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.error_code: str = code or type(self).code
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The error as ``{"code", "message", **details}``, the body of an HTTP error and of a job's ``error``."""
        return {"code": self.error_code, "message": self.message, **self.details}


class ClientError(AgentJobsError):
    """The request is wrong; answer 4xx and never retry."""

    code = "invalid_request"
    http_status = 400


class InvalidRequest(ClientError):
    """Malformed syntax: bad JSON, bad query parameters, a malformed event (HTTP 400)."""


class Unauthenticated(ClientError):
    """A missing or wrong API key (HTTP 401)."""

    code = "unauthenticated"
    http_status = 401


class Forbidden(ClientError):
    """Authenticated but not allowed, e.g. a model outside the tenant's allow-list (HTTP 403)."""

    code = "forbidden"
    http_status = 403


class NotFound(ClientError):
    """Unknown resource, or one that belongs to another tenant (HTTP 404)."""

    code = "not_found"
    http_status = 404


class Conflict(ClientError):
    """The resource is in a state that forbids the request, e.g. an original still being created (HTTP 409)."""

    code = "conflict"
    http_status = 409


class PayloadTooLarge(ClientError):
    """The request body exceeds the stated limit (HTTP 413)."""

    code = "payload_too_large"
    http_status = 413


class UnprocessableEntity(ClientError):
    """Well-formed but semantically invalid, e.g. a field that fails validation (HTTP 422)."""

    code = "validation_error"
    http_status = 422


class PermanentError(AgentJobsError):
    """The job can never succeed: mark it ``failed`` and ack the message."""

    code = "permanent_error"
    http_status = 422


class TransientError(AgentJobsError):
    """The work may succeed if retried: answer non-2xx so the message is redelivered."""

    code = "transient_error"
    http_status = 503
