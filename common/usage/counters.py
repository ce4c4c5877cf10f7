"""What a finished job adds to its tenant's daily usage counters. Pure: no SDK import.

Counted once per finish, on the write that moves a job from a non-terminal status into
``success``, ``failed`` or ``cancelled`` (a job retried after it failed finishes, and counts,
once more: its calls of each run count once). That write is conditional (the job's revision,
and for completions the lease token: :mod:`common.jobs.lifecycle`), so a redelivered or stale
completion, which finds the job terminal or the lease gone, writes nothing and counts nothing.
The store adds the counters in the same commit as the job (Firestore batch), so the job and its
count land together or not at all. Erasure (``-> deleted``) never counts: it is not a finish,
and an erased job's usage stays counted.

Stored shape: per tenant and UTC day, up to :data:`SHARDS` documents
(``tenants/{tenant_id}/usage/{YYYY-MM-DD}_{shard}``, the shard fixed by the job id), all of the
same shape, whose sum is the day::

    {
      "tenant_id": "acme",
      "day": "2026-12-02",
      "shard": 3,
      "total":  {<counters>},                       # the whole day: one read gives a day's total
      "agents": {"criteria-evaluator": {<counters>}, ...},
      "models": {"openai/gpt-4o-mini": {<counters>}, ...},
    }

with ``<counters>`` the integer fields of :class:`UsageCounts`. A period's total for a tenant
(e.g. a usage plan's month) is the sum of ``total`` over the period's documents, found by one
query on ``day``: one read per day and shard that had a finished job (a quiet tenant has one
document per active day, a busy one up to :data:`SHARDS`), never a scan of jobs. A job counts
under the model it ran with (``Job.model``, the ``provider/model`` its calls used); jobs that
called no model appear in ``total`` and ``agents`` only.

Each finish is a blind merge-``set`` of ``Increment`` transforms on one shard: no read, no
transaction. Shards exist because Firestore sustains about one write per second per document
(https://cloud.google.com/firestore/docs/solutions/counters); past it, commits meet contention,
and a failed finishing commit would send the job back for another run. Spread over
:data:`SHARDS` documents, a tenant may finish about that many jobs per second.

Money is counted in integer nano-dollars (``cost_nano_usd``, 1e-9 USD): Firestore increments
are exact on integers and would drift on floats. Each job's cost is rounded half-even to the
nano-dollar once, when it is counted. Calls without a price (``unpriced_calls``) add nothing to
the cost, never $0 of a made-up price: a day with unpriced calls has a lower-bound cost.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, date
from decimal import ROUND_HALF_EVEN, Decimal

from common.jobs.models import Job, JobStatus

__all__ = [
    "COUNTER_FIELDS",
    "NANO_USD",
    "SHARDS",
    "FinishedJobUsage",
    "UsageCounts",
    "finished_usage",
    "nano_usd",
    "shard_of",
]

SHARDS = 10
"""Counter documents per tenant and day at most (see the module docstring)."""

NANO_USD = Decimal("0.000000001")
"""One counter unit of money, in USD."""


def shard_of(job_id: str) -> int:
    """The counter shard of a job, in ``range(SHARDS)``: stable across processes (not ``hash()``)."""
    return int.from_bytes(hashlib.blake2b(job_id.encode("utf-8"), digest_size=4).digest(), "big") % SHARDS


def nano_usd(usd: Decimal) -> int:
    """``usd`` in integer nano-dollars, rounded half-even."""
    return int((usd / NANO_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True)
class UsageCounts:
    """Counters of finished jobs. All fields are non-negative integers.

    Attributes:
        jobs: Jobs finished (``succeeded + failed + cancelled``).
        succeeded: Jobs finished ``success``.
        failed: Jobs finished ``failed``.
        cancelled: Jobs finished ``cancelled`` (their calls before the cancellation count too).
        calls: Model calls.
        input_tokens: Input tokens, cache reads and writes included (tokens).
        output_tokens: Output tokens, reasoning included (tokens).
        cache_read_tokens: Input tokens read from the provider's prompt cache (tokens).
        cache_write_tokens: Input tokens written to the prompt cache (tokens).
        reasoning_tokens: Output tokens spent on reasoning (tokens).
        cost_nano_usd: Cost of the priced calls (1e-9 USD).
        priced_calls: Calls with a price.
        unpriced_calls: Calls without one (not in ``cost_nano_usd``).
    """

    jobs: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_nano_usd: int = 0
    priced_calls: int = 0
    unpriced_calls: int = 0

    def __add__(self, other: UsageCounts) -> UsageCounts:
        return UsageCounts(*(getattr(self, f) + getattr(other, f) for f in COUNTER_FIELDS))

    @property
    def cost_usd(self) -> Decimal:
        """``cost_nano_usd`` in USD (exact)."""
        return (Decimal(self.cost_nano_usd) * NANO_USD).normalize() if self.cost_nano_usd else Decimal(0)

    def as_dict(self) -> dict[str, int]:
        """The counters by field name (the stored ``<counters>`` map)."""
        return {f: getattr(self, f) for f in COUNTER_FIELDS}

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> UsageCounts:
        """Counters from a stored map; missing or non-integer fields count 0."""
        return cls(**{f: v if isinstance(v := values.get(f), int) else 0 for f in COUNTER_FIELDS})


COUNTER_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(UsageCounts))


@dataclass(frozen=True, slots=True)
class FinishedJobUsage:
    """What one finished job adds.

    Attributes:
        day: The UTC day the job finished; its counters document.
        shard: The day's counter document it goes to (:func:`shard_of` the job id).
        agent: The job's agent (a key of ``agents``).
        model: The job's ``provider/model`` (a key of ``models``), or ``None`` without one.
        counts: The job's counters.
    """

    day: date
    shard: int
    agent: str
    model: str | None
    counts: UsageCounts


_FINISHED = frozenset({JobStatus.SUCCESS, JobStatus.FAILED, JobStatus.CANCELLED})


def finished_usage(before: Job | None, after: Job) -> FinishedJobUsage | None:
    """What the write ``before -> after`` adds to the counters; ``None`` unless it finishes the job.

    Args:
        before: The job as stored before the write, or ``None`` when the write creates it (a job
            created already ``failed`` counts too).
        after: The job the write stores.
    """
    if after.status not in _FINISHED or after.finished_at is None:
        return None
    if before is not None and before.status.terminal:
        return None
    usage, cost = after.usage, after.cost
    calls = usage.calls if usage is not None else 0
    priced = cost.priced_calls if cost is not None else 0
    counts = UsageCounts(
        jobs=1,
        succeeded=int(after.status is JobStatus.SUCCESS),
        failed=int(after.status is JobStatus.FAILED),
        cancelled=int(after.status is JobStatus.CANCELLED),
        calls=calls,
        input_tokens=usage.input_tokens if usage else 0,
        output_tokens=usage.output_tokens if usage else 0,
        cache_read_tokens=usage.cache_read_tokens if usage else 0,
        cache_write_tokens=usage.cache_write_tokens if usage else 0,
        reasoning_tokens=usage.reasoning_tokens if usage else 0,
        cost_nano_usd=nano_usd(cost.total_usd) if cost is not None and cost.total_usd is not None else 0,
        priced_calls=priced,
        # A job not priced (no cost record) counts its calls as unpriced: never $0.
        unpriced_calls=cost.unpriced_calls if cost is not None else calls,
    )
    model = after.model if calls else None
    day = after.finished_at.astimezone(UTC).date()
    return FinishedJobUsage(day, shard_of(after.job_id), after.agent, model, counts)
