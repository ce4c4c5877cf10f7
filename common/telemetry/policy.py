"""Which failures become Sentry events. Pure.

Issue 6's rule, from Sentry's guidance that issues are for bugs, not for expected outcomes:

* an unexpected exception (anything outside :class:`~common.errors.AgentJobsError`) is a bug:
  an **error event**, so it becomes a Sentry issue;
* a permanent failure (bad PDF, invalid input, a client error) is an expected outcome: **no
  event**; it is a tag on the transaction (``outcome=failed``, ``error_code``) and a metric;
* a transient failure is a **breadcrumb** while retries remain, and an **error event** after the
  final attempt (it will not be retried, so someone must look).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from common.errors import AgentJobsError, TransientError

__all__ = ["Outcome", "Reaction", "classify"]


class Outcome(StrEnum):
    """How a failure is reported."""

    BUG = "bug"
    """Unexpected exception: error event (a Sentry issue)."""
    PERMANENT = "permanent"
    """Expected failure: transaction tag and metric, no event."""
    TRANSIENT = "transient"
    """Will be retried: breadcrumb only."""
    TRANSIENT_FINAL = "transient_final"
    """Transient, but no attempt remains: error event."""


@dataclass(frozen=True, slots=True)
class Reaction:
    """What to do about one failure.

    Attributes:
        outcome: See :class:`Outcome`.
        code: The error's machine code (``AgentJobsError.error_code``), or the exception's class
            name for bugs. Never the message, which may quote input.
        event: Whether to send an error event.
        breadcrumb: Whether to leave a breadcrumb.
    """

    outcome: Outcome
    code: str
    event: bool
    breadcrumb: bool


def classify(error: BaseException, *, final_attempt: bool) -> Reaction:
    """The reaction to ``error``.

    Args:
        error: The failure.
        final_attempt: ``True`` when no retry will follow (the last delivery attempt, or a
            request that is not retried).

    Returns:
        The :class:`Reaction`.
    """
    if not isinstance(error, AgentJobsError):
        return Reaction(Outcome.BUG, type(error).__name__, event=True, breadcrumb=False)
    if isinstance(error, TransientError):
        if final_attempt:
            return Reaction(Outcome.TRANSIENT_FINAL, error.error_code, event=True, breadcrumb=True)
        return Reaction(Outcome.TRANSIENT, error.error_code, event=False, breadcrumb=True)
    return Reaction(Outcome.PERMANENT, error.error_code, event=False, breadcrumb=False)
