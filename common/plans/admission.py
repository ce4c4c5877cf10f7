"""Admission: a new job against its tenant's plan, before the job is stored.

Order: an inactive plan refuses (``403 plan_inactive``); then one reservation per job is
written with its worst-case cost (:mod:`common.plans.estimate`) and counted among the agent's
active jobs, in one atomic write that returns the totals including it
(:mod:`common.plans.budget` explains why that keeps the budget). Over ``max_concurrent_jobs``
→ ``429 concurrency_limited``; over the budget → ``402 budget_exceeded``; either way the
reservation is taken back. Tenants without a plan, and plans with neither a budget nor a
concurrency limit for the job's model, write nothing.

The reservation is keyed by the job id: a redelivered request, or a drop event delivered twice,
finds it and does not reserve again.
"""

from __future__ import annotations

import contextlib
import functools
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from common.errors import AgentJobsError
from common.jobs.models import Job
from common.plans.budget import LedgerTotals, from_micros, period_end, period_key, to_micros
from common.plans.errors import BudgetExceeded, ConcurrencyLimited, ModelUnpriced, PlanInactive
from common.plans.estimate import estimate_tokens, worst_case_usd
from common.plans.models import UsagePlan
from common.plans.ports import JobCreatingLedger, PlanLedger, Reservation
from common.ports import Clock, JobStore
from common.telemetry.log import log
from common.tenants.models import Tenant

__all__ = ["CONCURRENCY_RETRY_SECONDS", "Admission"]

_RESERVE_ATTEMPTS = 4


@functools.cache
def _pool() -> ThreadPoolExecutor:
    # Reservations overlap the job's own write at submit; a few threads serve a whole instance.
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="plan-admission")


CONCURRENCY_RETRY_SECONDS = 30
"""``Retry-After`` of ``concurrency_limited`` (s): when a slot frees is unknown, so a short poll."""


class Admission:
    """Admits jobs against plans.

    Args:
        ledger: Reservations and totals.
        clock: Current UTC time.
        sleep: Waits between reservation attempts (s).
    """

    def __init__(self, *, ledger: PlanLedger, clock: Clock, sleep: Callable[[float], None] = time.sleep):
        self._ledger = ledger
        self._clock = clock
        self._sleep = sleep

    def admit(
        self,
        tenant: Tenant,
        *,
        job_id: str,
        agent: str,
        model: str,
        job_input: Mapping[str, Any],
        expires_at: datetime | None = None,
        round_: int = 0,
    ) -> Reservation | None:
        """Admit one job or refuse it.

        Args:
            tenant: The tenant (its plan and price overrides).
            job_id: The job's id (its reservation's key).
            agent: Agent name.
            model: The job's ``provider/model`` (``""`` when it calls none).
            job_input: The validated input.
            expires_at: The job's expiry; its reservation record is kept as long.
            round_: 0 at submission; the job's ``retries`` after the change when a client retries
                a failed job (each run reserves once, see :attr:`common.plans.ports.Reservation.round`).

        Returns:
            The reservation, or ``None`` when the plan needs none.

        Raises:
            PlanInactive: 403 ``plan_inactive``.
            ModelUnpriced: 403 ``model_unpriced``: a budget, but no price for ``model``.
            ConcurrencyLimited: 429 ``concurrency_limited`` (transient).
            BudgetExceeded: 402 ``budget_exceeded``.
            TransientError: The ledger is unavailable.
        """
        return self._reserve(
            self.prepare(
                tenant,
                job_id=job_id,
                agent=agent,
                model=model,
                job_input=job_input,
                expires_at=expires_at,
                round_=round_,
            ),
            tenant,
        )

    def prepare(
        self,
        tenant: Tenant,
        *,
        job_id: str,
        agent: str,
        model: str,
        job_input: Mapping[str, Any],
        expires_at: datetime | None = None,
        round_: int = 0,
    ) -> Reservation | None:
        """The reservation a job needs (its worst-case estimate), without writing anything.

        Raises:
            PlanInactive: 403 ``plan_inactive``.
            ModelUnpriced: 403 ``model_unpriced``.
        """
        plan = tenant.plan
        if plan is None:
            return None
        if not plan.active:
            raise PlanInactive("the tenant's usage plan is inactive", code="plan_inactive")
        limits = plan.limits_for(model)
        if plan.budget is None and limits.max_concurrent_jobs is None:
            return None
        now = self._clock()
        estimate = (
            self._estimate(tenant, plan, agent, model, job_input=job_input, now=now) if plan.budget is not None else 0
        )
        return Reservation(
            tenant_id=tenant.tenant_id,
            job_id=job_id,
            agent=agent,
            model=model,
            period=period_key(plan.budget.period, now) if plan.budget is not None else "",
            estimate_micros=estimate,
            created_at=now,
            expires_at=expires_at,
            round=round_,
        )

    def _reserve(
        self, reservation: Reservation | None, tenant: Tenant, first: tuple[LedgerTotals, int] | None = None
    ) -> Reservation | None:
        if reservation is None or tenant.plan is None:
            return None
        plan, now, estimate, job_id = (
            tenant.plan,
            reservation.created_at,
            reservation.estimate_micros,
            reservation.job_id,
        )
        limits, agent = plan.limits_for(reservation.model), reservation.agent
        budget = plan.budget
        cap = to_micros(budget.limit_usd) if budget is not None else 0
        totals, active, used = LedgerTotals(), 0, 0
        for attempt in range(1, _RESERVE_ATTEMPTS + 1):
            written = first if attempt == 1 and first is not None else self._ledger.reserve(reservation)
            if written is None:
                log("plan.already_reserved", tenant_id=tenant.tenant_id, job_id=job_id)
                return reservation
            totals, active = written
            if budget is None or totals.committed <= cap:
                break
            self._ledger.cancel(reservation)
            # Concurrent refusals briefly inflate the totals each sees: when what is left now
            # fits the job, the refusal was one of those, and the reservation is tried again.
            used = self._ledger.view(tenant.tenant_id, reservation.period).totals.committed
            if attempt == _RESERVE_ATTEMPTS or used + estimate > cap:
                break
            self._sleep(random.uniform(0.005, 0.05) * attempt)  # noqa: S311 - jitter, not secrecy
        if budget is not None and totals.committed > cap:
            resets_at = period_end(budget.period, now)
            log("plan.budget_exceeded", tenant_id=tenant.tenant_id, job_id=job_id, period=reservation.period)
            raise BudgetExceeded(
                "the job's worst-case cost does not fit in the remaining budget",
                details={
                    "limit_usd": str(budget.limit_usd),
                    "period": budget.period.value,
                    "used_usd": str(from_micros(used)),
                    "estimate_usd": str(from_micros(estimate)),
                    "remaining_usd": str(from_micros(max(0, cap - used))),
                    "resets_at": resets_at.isoformat(),
                    "retry_after_seconds": max(1, int((resets_at - now) / timedelta(seconds=1))),
                },
            )
        limit = limits.max_concurrent_jobs
        if limit is not None and active > limit:
            self._ledger.cancel(reservation)
            log("plan.concurrency_limited", tenant_id=tenant.tenant_id, agent=agent, limit=limit)
            raise ConcurrencyLimited(
                f"{limit} jobs of this agent are already pending or running",
                details={"limit": limit, "retry_after_seconds": CONCURRENCY_RETRY_SECONDS},
            )
        log("plan.reserved", tenant_id=tenant.tenant_id, job_id=job_id, estimate_micros=estimate)
        return reservation

    def admit_creating(self, tenant: Tenant, job: Job, store: JobStore) -> tuple[Reservation | None, Job, bool]:
        """Admit a new job and store it: in one commit when the ledger can (:class:`JobCreatingLedger`).

        Storing the job and its reservation together costs one round trip instead of two. When
        the job or its reservation already exists, or the ledger cannot, it falls back to
        :meth:`admit_alongside` with ``store.create``. The job must not be published before this
        returns; a refused job is deleted again (it was never published).

        Returns:
            ``(reservation, stored job, created)`` as :meth:`common.ports.JobStore.create`.

        Raises:
            The refusals of :meth:`admit`, and the store's errors.
        """
        model = job.model or ""
        prepared = self.prepare(
            tenant, job_id=job.job_id, agent=job.agent, model=model, job_input=job.input, expires_at=job.expires_at
        )
        if prepared is None:
            stored, created = store.create(job)
            return None, stored, created
        if isinstance(self._ledger, JobCreatingLedger):
            first = self._ledger.reserve_creating(prepared, job)
            if first is not None:
                totals, active, stored = first
                try:
                    return self._reserve(prepared, tenant, (totals, active)), stored, True
                except AgentJobsError:
                    store.delete(job.job_id)
                    raise
        reservation, (stored, created) = self.admit_alongside(
            tenant,
            job_id=job.job_id,
            agent=job.agent,
            model=model,
            job_input=job.input,
            expires_at=job.expires_at,
            work=lambda: store.create(job),
            undo=lambda result: store.delete(job.job_id) if result[1] else None,
        )
        return reservation, stored, created

    def admit_alongside[T](
        self,
        tenant: Tenant,
        *,
        job_id: str,
        agent: str,
        model: str,
        job_input: Mapping[str, Any],
        expires_at: datetime | None,
        work: Callable[[], T],
        undo: Callable[[T], None],
    ) -> tuple[Reservation | None, T]:
        """:meth:`admit` while ``work`` (storing the job) runs, so the two round trips overlap.

        The job must not be published before this returns: when admission refuses, ``undo``
        is called with what ``work`` returned (delete the job just stored) before the refusal is
        raised; when ``work`` raises, the reservation is taken back.

        Returns:
            ``(reservation, work's result)``.

        Raises:
            The refusals of :meth:`admit`, and whatever ``work`` raises.
        """
        prepared = self.prepare(
            tenant, job_id=job_id, agent=agent, model=model, job_input=job_input, expires_at=expires_at
        )
        if prepared is None:
            return None, work()
        pending = _pool().submit(self._reserve, prepared, tenant)
        try:
            result = work()
        except BaseException:
            with contextlib.suppress(AgentJobsError):
                if pending.result() is not None:
                    self._ledger.cancel(prepared)
            raise
        try:
            reservation = pending.result()
        except AgentJobsError:
            undo(result)
            raise
        return reservation, result

    def release(self, reservation: Reservation | None) -> None:
        """Take back a reservation whose job was never stored (the submission failed after admission)."""
        if reservation is not None:
            self._ledger.cancel(reservation)

    @staticmethod
    def _estimate(
        tenant: Tenant, plan: UsagePlan, agent: str, model: str, *, job_input: Mapping[str, Any], now: datetime
    ) -> int:
        if not model:
            return 0
        tokens = estimate_tokens(agent, job_input, plan.limits_for(model))
        if tokens is None:
            return 0
        usd = worst_case_usd(tokens, model, now=now, overrides=tenant.price_overrides)
        if usd is None:
            raise ModelUnpriced(
                "the plan has a budget but this model has no price; set a price override", code="model_unpriced"
            )
        return to_micros(usd, round_up=True)
