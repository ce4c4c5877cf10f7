"""The refusals of a usage plan. Each carries a machine-readable code, the limit, and when to retry.

``details`` (the JSON error body's extra fields) hold ``limit`` and ``retry_after_seconds``;
HTTP answers also carry ``Retry-After`` (RFC 9110 §10.2.3) from ``retry_after_seconds``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from common.errors import AgentJobsError, ClientError, Forbidden, TransientError

__all__ = [
    "REFUSALS",
    "BudgetExceeded",
    "ConcurrencyLimited",
    "ModelUnpriced",
    "PlanInactive",
    "RateLimited",
    "retry_after_of",
]


class PlanInactive(Forbidden):
    """The tenant's plan is inactive: no new job (HTTP 403)."""

    code = "plan_inactive"


class ModelUnpriced(Forbidden):
    """The plan has a budget but the job's model has no price to estimate with (HTTP 403).

    Unpriced is never $0: give the tenant a price override (``agentjobs tenants set-price``) or
    pick a priced model.
    """

    code = "model_unpriced"


class BudgetExceeded(ClientError):
    """Reserving the job's worst-case cost would pass the period's budget (HTTP 402).

    402 rather than 429: retrying soon does not help, only the next period (or a larger budget)
    does. ``retry_after_seconds`` is the time until the period resets.
    """

    code = "budget_exceeded"
    http_status: ClassVar[int] = 402


class ConcurrencyLimited(TransientError):
    """The tenant has ``max_concurrent_jobs`` of this agent pending or running (HTTP 429).

    Transient: an upstream Pub/Sub request is nacked and redelivered on the subscription's backoff.
    """

    code = "concurrency_limited"
    http_status: ClassVar[int] = 429


class RateLimited(TransientError):
    """A model call would pass the tenant's RPM or TPM limit for the model, or the provider said 429.

    Raised when the wait is longer than the limiter may block; the job is released for redelivery
    without spending an attempt.
    """

    code = "rate_limited"
    http_status: ClassVar[int] = 429


def retry_after_of(details: dict[str, Any]) -> int | None:
    """``retry_after_seconds`` of an error's details, as whole seconds (at least 1), or ``None``."""
    value = details.get("retry_after_seconds")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return max(1, int(-(-value // 1)))


REFUSALS: tuple[type[AgentJobsError], ...] = (PlanInactive, ModelUnpriced, BudgetExceeded, ConcurrencyLimited)
"""Every way admission refuses a job."""
