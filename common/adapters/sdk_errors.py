"""Translate Google client-library errors into the agentjobs error tree.

Only what may succeed later is transient: unavailable, deadline exceeded, aborted, resource
exhausted (and their HTTP and network equivalents). Invalid argument, out of range, failed
precondition, and the client libraries' own validation errors (``ValueError`` for an empty field
name, ``UnicodeEncodeError`` for a lone surrogate, ``OverflowError`` for a 65-bit integer) can
never succeed and are permanent: a retry would loop until the message is dead-lettered.

Source: gRPC status codes and their retry guidance
(https://grpc.github.io/grpc/core/md_doc_statuscodes.html, https://google.aip.dev/194).
"""

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
    ConnectionError,
    TimeoutError,
)


def translate(error: Exception, *, what: str) -> AgentJobsError:
    """Map an SDK exception to ``TransientError``, ``NotFound``, ``Forbidden`` or ``PermanentError``.

    Args:
        error: The exception raised by a Google client library.
        what: Short, content-free description of the operation, e.g. ``"read job"``.

    Returns:
        The agentjobs error to raise ``from error``: ``backend_unavailable`` (transient),
        ``backend_rejected`` (permanent: the request can never succeed) or ``backend_error``
        (permanent: an error of unknown kind, which retrying is not known to fix).
    """
    if isinstance(error, gexc.NotFound):
        return NotFound(f"{what}: not found")
    if isinstance(error, (gexc.PermissionDenied, gexc.Unauthenticated)):
        return Forbidden(f"{what}: permission denied")
    if isinstance(error, _TRANSIENT):
        return TransientError(f"{what}: {type(error).__name__}", code="backend_unavailable")
    # requests' errors (storage, auth transports) derive from OSError; so do socket errors.
    if isinstance(error, OSError):
        return TransientError(f"{what}: {type(error).__name__}", code="backend_unavailable")
    if isinstance(error, (gexc.GoogleAPICallError, ValueError, TypeError, OverflowError)):
        return PermanentError(f"{what}: {type(error).__name__}", code="backend_rejected")
    return PermanentError(f"{what}: {type(error).__name__}", code="backend_error")
