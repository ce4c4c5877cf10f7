"""Translate Google API errors into the agentjobs error tree."""

from __future__ import annotations

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from common.errors import AgentJobsError, Forbidden, NotFound, PermanentError, TransientError

__all__ = ["translate"]

_TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
    gexc.TooManyRequests,
    gexc.ResourceExhausted,
    gexc.Aborted,
    gexc.Unknown,
    gexc.RetryError,
    auth_exc.TransportError,
    OSError,  # includes requests' ConnectionError and socket timeouts
)


def translate(error: Exception, *, what: str) -> AgentJobsError:
    """Map an SDK exception to a ``TransientError``, ``NotFound``, ``Forbidden`` or ``PermanentError``.

    Args:
        error: The exception raised by a Google client library.
        what: Short, content-free description of the operation, e.g. ``"read job"``.

    Returns:
        The agentjobs error to raise ``from error``.
    """
    if isinstance(error, gexc.NotFound):
        return NotFound(f"{what}: not found")
    if isinstance(error, (gexc.PermissionDenied, gexc.Unauthenticated)):
        return Forbidden(f"{what}: permission denied")
    if isinstance(error, _TRANSIENT):
        return TransientError(f"{what}: {type(error).__name__}", code="backend_unavailable")
    if isinstance(error, gexc.GoogleAPICallError):
        return PermanentError(f"{what}: {type(error).__name__}", code="backend_error")
    return TransientError(f"{what}: {type(error).__name__}", code="backend_unavailable")
