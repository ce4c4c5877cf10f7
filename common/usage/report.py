"""Usage reports: a tenant's daily counters over a date range, grouped. Pure: no SDK import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from common.usage.counters import UsageCounts

__all__ = ["GROUP_BY", "DailyUsage", "GroupBy", "UsageRow", "group_usage", "merge_days"]

type GroupBy = Literal["agent", "model", "day"]
GROUP_BY: tuple[GroupBy, ...] = ("day", "agent", "model")


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """One tenant's counters for one UTC day (one counter document, or the sum of a day's shards).

    Attributes:
        day: The UTC day.
        total: The whole day.
        agents: By agent name.
        models: By ``provider/model`` (jobs that called a model).
    """

    day: date
    total: UsageCounts
    agents: Mapping[str, UsageCounts] = field(default_factory=dict[str, UsageCounts])
    models: Mapping[str, UsageCounts] = field(default_factory=dict[str, UsageCounts])


def _plus(a: Mapping[str, UsageCounts], b: Mapping[str, UsageCounts]) -> dict[str, UsageCounts]:
    merged = dict(a)
    for key, counts in b.items():
        merged[key] = merged.get(key, UsageCounts()) + counts
    return merged


def merge_days(documents: Sequence[DailyUsage]) -> list[DailyUsage]:
    """One :class:`DailyUsage` per day, summing the day's shards, oldest first."""
    days: dict[date, DailyUsage] = {}
    for d in documents:
        seen = days.get(d.day)
        days[d.day] = (
            d
            if seen is None
            else DailyUsage(d.day, seen.total + d.total, _plus(seen.agents, d.agents), _plus(seen.models, d.models))
        )
    return [days[k] for k in sorted(days)]


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One row of a report: a day (``YYYY-MM-DD``), an agent, or a model, and its counters."""

    key: str
    counts: UsageCounts


def group_usage(days: Sequence[DailyUsage], group_by: GroupBy) -> tuple[list[UsageRow], UsageCounts]:
    """Rows of ``days`` grouped by ``group_by`` (sorted by key), and the total over all days.

    ``days`` holds one entry per day (:func:`merge_days`). Days without finished jobs have no
    document, so they have no row. By ``model``, the rows sum to less than the total when some
    jobs called no model.
    """
    total = sum((d.total for d in days), UsageCounts())
    if group_by == "day":
        rows = [UsageRow(d.day.isoformat(), d.total) for d in sorted(days, key=lambda d: d.day)]
        return rows, total
    sums: dict[str, UsageCounts] = {}
    for d in days:
        sums = _plus(sums, d.agents if group_by == "agent" else d.models)
    return [UsageRow(k, sums[k]) for k in sorted(sums)], total
