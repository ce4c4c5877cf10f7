"""Rate-limit arithmetic for RPM/TPM in fixed one-minute windows. Pure.

A window is ``[start, start + 60 s)`` with ``start`` a multiple of 60 s since the epoch (UTC).
Each model call adds one request and its token count to its window's counters and reads them
back in the same atomic write; the call is granted when both stay within the limits and no
provider back-off (``blocked_until``) covers ``now``. A denied call takes its addition back, so
denied calls never use up a window. Because every grant saw the counts including itself, a
window never grants more than ``rpm`` calls or ``tpm`` tokens.

Fixed windows allow up to twice the limit across a window boundary (the end of one and the
start of the next); that is the usual trade for one counter document per window.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.plans.models import Limits

__all__ = ["WINDOW_SECONDS", "WindowCounts", "WindowDecision", "decide", "window_start"]

WINDOW_SECONDS = 60


def window_start(now: float) -> int:
    """Start (epoch seconds) of the window containing ``now`` (epoch seconds)."""
    return int(now // WINDOW_SECONDS) * WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """A window's counters right after one call's addition.

    Attributes:
        requests: Calls counted in the window, this one included.
        tokens: Tokens counted in the window (tokens), this call's included.
        blocked_until: Epoch seconds until which the provider asked us to back off (0 = never).
    """

    requests: int
    tokens: int
    blocked_until: float = 0.0


@dataclass(frozen=True, slots=True)
class WindowDecision:
    """Whether a call may go now.

    Attributes:
        granted: The call may be made.
        retry_after_seconds: When denied, how long until it may be granted (s).
        reason: ``rpm``, ``tpm`` or ``provider_backoff`` when denied; ``""`` when granted.
    """

    granted: bool
    retry_after_seconds: float = 0.0
    reason: str = ""


def decide(counts: WindowCounts, limits: Limits, *, now: float, tokens: int) -> WindowDecision:
    """Decide one call from its window's counts after its own addition.

    Args:
        counts: The window's counters including this call.
        limits: The tenant's limits for the model.
        now: Current time (epoch seconds).
        tokens: This call's token count (tokens); a call larger than ``tpm`` on its own is
            granted in an otherwise empty window, else it could never run.

    Returns:
        The decision; a denied call should be retried after ``retry_after_seconds``.
    """
    if counts.blocked_until > now:
        return WindowDecision(False, counts.blocked_until - now, "provider_backoff")
    to_next = window_start(now) + WINDOW_SECONDS - now
    if limits.rpm is not None and counts.requests > limits.rpm:
        return WindowDecision(False, to_next, "rpm")
    if limits.tpm is not None and counts.tokens > limits.tpm and counts.tokens != tokens:
        return WindowDecision(False, to_next, "tpm")
    return WindowDecision(True)
