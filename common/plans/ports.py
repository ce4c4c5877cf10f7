"""The persistence ports of usage plans: the budget/concurrency ledger and the rate-limit windows.

Adapters: :mod:`common.adapters.firestore_plans`; tests use :mod:`tests.support.plan_fakes`
(in memory) or the Firestore adapter on the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from common.jobs.models import Job
from common.plans.budget import LedgerTotals
from common.plans.windows import WindowCounts

__all__ = [
    "JobCreatingLedger",
    "LedgerView",
    "PlanLedger",
    "Reservation",
    "Settled",
    "WindowCounter",
    "reservation_key",
]


@dataclass(frozen=True, slots=True)
class Reservation:
    """What admission holds for one job until it ends.

    Attributes:
        tenant_id: The job's tenant.
        job_id: The job; one reservation per job, ever (a redelivery never reserves twice).
        agent: The job's agent (its concurrency counter).
        model: ``provider/model`` the estimate was priced with (``""`` for none).
        period: Ledger key of the budget period (:func:`common.plans.budget.period_key`), or
            ``""`` when the plan has no budget.
        estimate_micros: Worst-case cost reserved (micro-USD).
        created_at: When it was made (UTC).
        expires_at: When its record may be deleted (the job's expiry), or ``None``.
        round: The job's ``retries`` when it was made: 0 at submission, n for the n-th retry
            (``POST /v1/jobs/{id}:retry`` runs the job again, so it reserves again).
    """

    tenant_id: str
    job_id: str
    agent: str
    model: str
    period: str
    estimate_micros: int
    created_at: datetime
    expires_at: datetime | None = None
    round: int = 0

    @property
    def key(self) -> str:
        """The reservation's id: the job id for the submission, ``{job_id}.retry{n}`` for the n-th retry."""
        return reservation_key(self.job_id, self.round)


def reservation_key(job_id: str, round_: int = 0) -> str:
    """The id of a job's reservation for its submission (``round_`` 0) or its ``round_``-th retry."""
    return job_id if round_ == 0 else f"{job_id}.retry{round_}"


@dataclass(frozen=True, slots=True)
class Settled:
    """A reservation just settled and its period's ledger right after.

    Attributes:
        reservation: The reservation.
        actual_micros: The job's actual cost (micro-USD).
        before: The period's totals before the settlement.
        after: The period's totals after it.
    """

    reservation: Reservation
    actual_micros: int
    before: LedgerTotals
    after: LedgerTotals


@dataclass(frozen=True, slots=True)
class LedgerView:
    """A tenant's ledger for visibility (``agentjobs tenants plan show``).

    Attributes:
        period: The period's key.
        totals: Reserved, spent, overrun (micro-USD).
        active: Unsettled reservations per agent (jobs pending or running).
    """

    period: str
    totals: LedgerTotals
    active: dict[str, int]


class PlanLedger(Protocol):
    """Reservations and per-tenant totals: per period ``reserved``/``spent``, per agent ``active``."""

    def reserve(self, reservation: Reservation) -> tuple[LedgerTotals, int] | None:
        """Record ``reservation`` and add it to the totals, in one atomic write.

        Returns:
            ``(period totals after, active jobs of the agent after)``, both including this
            reservation (the totals' ``committed`` is what counts; an adapter may report it all
            as ``reserved``); ``None`` when the job already has a reservation (nothing changed).

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def cancel(self, reservation: Reservation) -> None:
        """Undo :meth:`reserve` (admission refused, or the job could not be created). Idempotent.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def settle(
        self, tenant_id: str, job_id: str, actual_micros: int, *, now: datetime, round_: int = 0
    ) -> Settled | None:
        """Replace the job's reservation (of its ``round_``, see :attr:`Reservation.round`) by ``actual_micros``, once.

        Returns:
            The settlement; ``None`` when the job has no open reservation (none, or settled before).

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def open_reservations(self, *, created_before: datetime, limit: int) -> list[Reservation]:
        """Unsettled reservations older than ``created_before``, across tenants (the sweeper's).

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def view(self, tenant_id: str, period: str) -> LedgerView:
        """The tenant's totals for ``period`` and its active jobs per agent."""
        ...

    def mark_warned(self, tenant_id: str, period: str, *, now: datetime) -> bool:
        """Record that the period's soft-limit warning was sent.

        Returns:
            ``True`` the first time for this tenant and period only.
        """
        ...


class WindowCounter(Protocol):
    """Per tenant, model and one-minute window: calls, tokens and the provider's back-off."""

    def add(self, tenant_id: str, model: str, window: int, *, requests: int, tokens: int) -> WindowCounts:
        """Add to the window's counters atomically and return them as left by this write.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def block(self, tenant_id: str, model: str, windows: list[int], *, until: float) -> None:
        """Record a provider back-off until ``until`` (epoch s) on each window it covers."""
        ...


@runtime_checkable
class JobCreatingLedger(Protocol):
    """A ledger that can store a new job with its reservation in one atomic write (one round trip)."""

    def reserve_creating(self, reservation: Reservation, job: Job) -> tuple[LedgerTotals, int, Job] | None:
        """Create ``job`` and ``reservation`` and add it to the totals, atomically.

        Returns:
            ``(period totals after, active jobs of the agent after, the stored job with its
            revision)``; ``None`` when the job or the reservation already exists (nothing written).

        Raises:
            TransientError: The store is unavailable.
        """
        ...
