"""Budget arithmetic: periods, micro-dollars, admission and settlement. Pure.

Amounts in the ledger are whole micro-dollars (1e-6 USD) so that Firestore's atomic
``Increment`` adds them exactly; estimates round up, actual costs round to nearest.

Admission (the rule that keeps a budget from being passed under concurrency): a reservation
adds its estimate to ``reserved`` with one atomic increment and reads the totals *after* its own
increment (Firestore returns them with the write). It is admitted only when
``reserved + spent <= limit`` at that point; otherwise it takes its estimate back. Of all
admitted reservations, the last to increment saw every other admitted one already added, so
the sum of admitted reservations never exceeds the limit. A refused one may briefly make
another refuse too (a false refusal, never an overrun).

Settlement replaces the reservation by the actual cost; spend can then pass the limit only by
how much actual costs exceeded their estimates (recorded as ``overrun``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from common.plans.models import Budget, BudgetPeriod

__all__ = [
    "LedgerTotals",
    "Settlement",
    "admitted",
    "crossed",
    "from_micros",
    "period_end",
    "period_key",
    "settlement",
    "to_micros",
]

_MICRO = Decimal("0.000001")


def to_micros(usd: Decimal, *, round_up: bool = False) -> int:
    """USD to whole micro-dollars (rounded up for estimates, to nearest otherwise)."""
    return int((usd / _MICRO).quantize(Decimal(1), rounding=ROUND_CEILING if round_up else ROUND_HALF_UP))


def from_micros(micros: int) -> Decimal:
    """Whole micro-dollars to USD."""
    return (Decimal(micros) * _MICRO).quantize(_MICRO)


def period_key(period: BudgetPeriod, now: datetime) -> str:
    """The ledger key of the period containing ``now`` (UTC): ``day-2026-12-02`` or ``month-2026-12``."""
    at = now.astimezone(UTC)
    return f"day-{at:%Y-%m-%d}" if period is BudgetPeriod.DAY else f"month-{at:%Y-%m}"


def period_end(period: BudgetPeriod, now: datetime) -> datetime:
    """When the period containing ``now`` ends and the budget resets (UTC)."""
    at = now.astimezone(UTC)
    if period is BudgetPeriod.DAY:
        start = at.replace(hour=0, minute=0, second=0, microsecond=0)
        return start + timedelta(days=1)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    """A period's ledger as read right after one write (micro-dollars).

    Attributes:
        reserved: Worst-case estimates of admitted jobs not yet settled.
        spent: Actual costs of settled jobs.
        overrun: How much settled jobs cost beyond their estimates, summed.
    """

    reserved: int = 0
    spent: int = 0
    overrun: int = 0

    @property
    def committed(self) -> int:
        """``reserved + spent``: what admission compares with the limit."""
        return self.reserved + self.spent


def admitted(after: LedgerTotals, budget: Budget) -> bool:
    """Whether a reservation whose increment left the ledger at ``after`` is admitted."""
    return after.committed <= to_micros(budget.limit_usd)


@dataclass(frozen=True, slots=True)
class Settlement:
    """The ledger change that replaces a reservation by the actual cost (micro-dollars).

    Attributes:
        reserved_delta: Minus the estimate.
        spent_delta: The actual cost.
        overrun: ``max(0, actual - estimate)``: a real overrun beyond the estimate.
        released: ``max(0, estimate - actual)``: the unspent part given back.
    """

    reserved_delta: int
    spent_delta: int
    overrun: int
    released: int


def settlement(estimate: int, actual: int) -> Settlement:
    """How the ledger changes when a job reserved ``estimate`` and cost ``actual`` (0 when it never ran)."""
    return Settlement(-estimate, actual, max(0, actual - estimate), max(0, estimate - actual))


def crossed(before: int, after: int, threshold: int) -> bool:
    """Whether moving from ``before`` to ``after`` reached ``threshold`` (from below)."""
    return before < threshold <= after
