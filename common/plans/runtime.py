"""Usage plans inside ``run_agent``: rate limits at the model call, settlement when a job ends.

* :meth:`PlanRuntime.gate` gives the executor the job's :class:`~common.llm.gate.CallGate`: each
  model call acquires from the :class:`~common.plans.limiter.RateLimiter` with the tenant's
  limits for the model (tokens counted: the call's estimated input plus its max output).
* :meth:`PlanRuntime.settle` replaces a finished job's reservation by its actual cost, once
  (any terminal status: success, failed, and whatever terminal status is added later, e.g.
  ``cancelled``; a job that never ran settles at $0). Spend crossing the soft limit sends one
  ``tenant.budget_warning`` per period and a Sentry event (code ``budget_soft_limit_crossed``).
* :meth:`PlanRuntime.sweep` settles reservations whose job ended without settling (the worker
  died between its last write and the settlement) or no longer exists: the sweeper's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from common import telemetry
from common.costs.pricing import price_job
from common.errors import TransientError
from common.jobs.models import Job
from common.llm.gate import CallGate
from common.plans.budget import crossed, from_micros, to_micros
from common.plans.limiter import RateLimiter
from common.plans.models import DEFAULT_MAX_OUTPUT_TOKENS, UsagePlan
from common.plans.ports import PlanLedger
from common.plans.warnings import BudgetWarning, TaskBudgetWarnings
from common.ports import Clock, JobStore
from common.telemetry.log import log
from common.tenants.models import Tenant

__all__ = ["BudgetSoftLimitCrossed", "PlanRuntime", "actual_micros"]


class BudgetSoftLimitCrossed(TransientError):
    """Reported (never raised) so that Sentry gets one event per tenant and period, tagged with its code."""

    code = "budget_soft_limit_crossed"


def actual_micros(job: Job, tenant: Tenant | None) -> int:
    """The job's actual model cost (micro-USD): its ``cost`` if priced, else its calls priced now; 0 if none."""
    if job.cost is not None and job.cost.total_usd is not None:
        return to_micros(job.cost.total_usd)
    calls = job.usage.model_calls if job.usage is not None else ()
    cost = price_job(calls, tenant.price_overrides if tenant is not None else ())
    total = cost.total_usd if cost is not None else None
    return to_micros(total) if total is not None else 0


@dataclass(frozen=True, slots=True)
class _JobGate:
    limiter: RateLimiter
    tenant_id: str
    plan: UsagePlan

    def before_call(self, *, model: str, input_tokens: int) -> None:
        limits = self.plan.limits_for(model)
        tokens = input_tokens + (limits.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS)
        self.limiter.acquire(self.tenant_id, model, tokens=tokens, limits=limits)

    def provider_throttled(self, *, model: str, retry_after_seconds: float | None) -> None:
        self.limiter.provider_throttled(self.tenant_id, model, retry_after_seconds=retry_after_seconds)


class PlanRuntime:
    """Rate limits and settlement for the executor and the sweeper.

    Args:
        ledger: Reservations and totals.
        limiter: The model-call rate limiter.
        tenant: The tenant record (cached per instance), or ``None`` when it is gone.
        jobs_for: A tenant's job store (for the sweep).
        clock: Current UTC time.
        warnings: Sends ``tenant.budget_warning``; ``None`` when callbacks are off.
    """

    def __init__(
        self,
        *,
        ledger: PlanLedger,
        limiter: RateLimiter,
        tenant: Callable[[str], Tenant | None],
        jobs_for: Callable[[str], JobStore],
        clock: Clock,
        warnings: TaskBudgetWarnings | None = None,
    ):
        self._ledger = ledger
        self._limiter = limiter
        self._tenant = tenant
        self._jobs_for = jobs_for
        self._clock = clock
        self._warnings = warnings

    def gate(self, job: Job) -> CallGate | None:
        """The job's gate, or ``None`` when its tenant has no plan."""
        tenant = self._tenant(job.tenant_id)
        if tenant is None or tenant.plan is None:
            return None
        return _JobGate(self._limiter, job.tenant_id, tenant.plan)

    def settle(self, job: Job) -> None:
        """Settle a terminal job's reservation at its actual cost (no-op for other jobs, or when settled).

        Never raises for an unavailable store: the sweep settles it later.
        """
        if not job.status.terminal:
            return
        try:
            tenant = self._tenant(job.tenant_id)
            if tenant is not None and (tenant.plan is None or not tenant.plan.reserves):
                return  # nothing was reserved (or the plan changed since: the sweep settles it)
            actual = actual_micros(job, tenant)
            settled = self._ledger.settle(job.tenant_id, job.job_id, actual, now=self._clock(), round_=job.retries)
        except TransientError as e:
            log("plan.settle_failed", severity="WARNING", tenant_id=job.tenant_id, job_id=job.job_id, code=e.error_code)
            return
        if settled is None:
            return
        estimate = settled.reservation.estimate_micros
        log(
            "plan.settled",
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            status=job.status.value,
            estimate_micros=estimate,
            actual_micros=actual,
            overrun_micros=max(0, actual - estimate),
        )
        if actual > estimate and settled.reservation.period:
            log(
                "plan.overrun",
                severity="WARNING",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                overrun=actual - estimate,
            )
        budget = tenant.plan.budget if tenant is not None and tenant.plan is not None else None
        if budget is None or budget.soft_limit_usd is None or not settled.reservation.period:
            return
        if crossed(settled.before.spent, settled.after.spent, to_micros(budget.soft_limit_usd)):
            self._warn(
                tenant_id=job.tenant_id,
                period=settled.reservation.period,
                spent=settled.after.spent,
                soft=budget.soft_limit_usd,
                limit=budget.limit_usd,
            )

    def _warn(self, *, tenant_id: str, period: str, spent: int, soft: Decimal, limit: Decimal) -> None:
        if not self._ledger.mark_warned(tenant_id, period, now=self._clock()):
            return
        log("plan.budget_warning", severity="WARNING", tenant_id=tenant_id, period=period)
        telemetry.get().report(
            BudgetSoftLimitCrossed("a tenant's spend crossed its soft budget limit"), final_attempt=True
        )
        if self._warnings is not None:
            self._warnings.send(BudgetWarning(tenant_id, period, str(soft), str(limit), str(from_micros(spent))))

    def sweep(self, *, older_than: datetime, limit: int = 200) -> int:
        """Settle open reservations made before ``older_than`` whose job has ended or is gone.

        Returns:
            How many were settled.
        """
        settled = 0
        for r in self._ledger.open_reservations(created_before=older_than, limit=limit):
            job = self._jobs_for(r.tenant_id).get(r.job_id)
            if job is not None and job.retries == r.round:
                if job.status.terminal:
                    self.settle(job)
                    settled += 1
                continue
            # Gone, or a retry that never happened (the job is still at an earlier round): nothing
            # ran, 0. An earlier round left open: it ran, but its usage went with the retry that
            # reset it; its worst case keeps the budget's promise.
            actual = r.estimate_micros if job is not None and job.retries > r.round else 0
            if self._ledger.settle(r.tenant_id, r.job_id, actual, now=self._clock(), round_=r.round) is not None:
                settled += 1
        return settled
