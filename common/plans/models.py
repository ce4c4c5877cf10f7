"""The usage plan of a tenant: model permissions, rate and concurrency limits, a dollar budget. Pure.

The shape follows the usual LLM-gateway plan (per-entity model permissions, RPM/TPM limits and
budgets): ``model_permissions``, ``default_limits``, ``model_limits{model: limits}``,
``budget{period, limit_usd, soft_limit_usd}`` and ``active``. A plan is stored with its tenant
(``tenants/{tenant_id}``, field ``plan``; see :mod:`common.plans.codec`) and set with
``agentjobs tenants plan set``.

A limit left unset (``None``) is unlimited. A model's limits are its ``model_limits`` entry, each
unset field falling back to ``default_limits``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = ["DEFAULT_MAX_OUTPUT_TOKENS", "Budget", "BudgetPeriod", "Limits", "UsagePlan"]

DEFAULT_MAX_OUTPUT_TOKENS = 16_384
"""Output tokens (tokens) assumed per model call when the plan names no ``max_output_tokens``.

genai-prices carries prices, not output limits; 16,384 is the output limit of the common
OpenAI chat models (gpt-4o, gpt-4o-mini), so an estimate with it is a worst case for them.
"""


class BudgetPeriod(StrEnum):
    """The period a budget resets on (UTC calendar day or month)."""

    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits for one model (or the defaults of every model).

    Attributes:
        rpm: Model calls per minute, per tenant and model; ``None`` = unlimited.
        tpm: Tokens per minute (input estimate + max output, counted at the call), per tenant
            and model; ``None`` = unlimited.
        max_concurrent_jobs: Jobs ``pending`` or ``running`` per tenant and agent; ``None`` = unlimited.
        max_output_tokens: Output tokens one call may produce (tokens), for the worst-case cost
            estimate; ``None`` = :data:`DEFAULT_MAX_OUTPUT_TOKENS`.

    Raises:
        ValueError: A limit is below 1.
    """

    rpm: int | None = None
    tpm: int | None = None
    max_concurrent_jobs: int | None = None
    max_output_tokens: int | None = None

    def __post_init__(self) -> None:
        for name in ("rpm", "tpm", "max_concurrent_jobs", "max_output_tokens"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name} must be a whole number >= 1")

    def over(self, fallback: Limits) -> Limits:
        """These limits, each unset field taken from ``fallback``."""
        return Limits(
            rpm=self.rpm if self.rpm is not None else fallback.rpm,
            tpm=self.tpm if self.tpm is not None else fallback.tpm,
            max_concurrent_jobs=(
                self.max_concurrent_jobs if self.max_concurrent_jobs is not None else fallback.max_concurrent_jobs
            ),
            max_output_tokens=(
                self.max_output_tokens if self.max_output_tokens is not None else fallback.max_output_tokens
            ),
        )


@dataclass(frozen=True, slots=True)
class Budget:
    """A dollar budget per period.

    Attributes:
        period: :class:`BudgetPeriod` (UTC).
        limit_usd: Hard limit (USD): reserved plus spent never passes it at admission.
        soft_limit_usd: Spending past it sends one ``tenant.budget_warning`` per period (USD);
            ``None`` = no warning.

    Raises:
        ValueError: A limit is negative, or the soft limit is above the hard one.
    """

    period: BudgetPeriod
    limit_usd: Decimal
    soft_limit_usd: Decimal | None = None

    def __post_init__(self) -> None:
        if self.limit_usd < 0 or (self.soft_limit_usd is not None and self.soft_limit_usd < 0):
            raise ValueError("budget limits must not be negative")
        if self.soft_limit_usd is not None and self.soft_limit_usd > self.limit_usd:
            raise ValueError("the soft limit must not exceed the limit")


@dataclass(frozen=True, slots=True)
class UsagePlan:
    """A tenant's usage plan.

    Attributes:
        active: An inactive plan refuses every new job (``403 plan_inactive``).
        model_permissions: ``provider/model`` ids a request may select besides the deployment's
            defaults (which are always allowed). Replaces ``Tenant.allowed_models``.
        default_limits: Limits of every model without its own entry.
        model_limits: Per-model limits (``provider/model`` -> :class:`Limits`).
        budget: The dollar budget, or ``None`` for none.
    """

    active: bool = True
    model_permissions: tuple[str, ...] = ()
    default_limits: Limits = field(default_factory=Limits)
    model_limits: dict[str, Limits] = field(default_factory=dict[str, Limits])
    budget: Budget | None = None

    @property
    def reserves(self) -> bool:
        """Whether admission keeps a reservation per job: a budget, or a concurrency limit for any model."""
        limits = (self.default_limits, *self.model_limits.values())
        return self.budget is not None or any(lim.max_concurrent_jobs is not None for lim in limits)

    def limits_for(self, model: str) -> Limits:
        """The limits of ``model``: its own entry over the defaults."""
        own = self.model_limits.get(model)
        return self.default_limits if own is None else own.over(self.default_limits)

    def replace(self, **changes: Any) -> UsagePlan:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)
