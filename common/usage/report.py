"""Usage reports: a tenant's daily counters over a date range, grouped. Pure: no SDK import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from common.usage.counters import UsageCounts

__all__ = ["GROUP_BY", "DailyUsage", "GroupBy", "UsageRow", "group_usage"]

type GroupBy = Literal["agent", "model", "day"]
GROUP_BY: tuple[GroupBy, ...] = ("day", "agent", "model")


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """One tenant's counters for one UTC day (a ``tenants/{tenant_id}/usage/{day}`` document).

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


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One row of a report: a day (``YYYY-MM-DD``), an agent, or a model, and its counters."""

    key: str
    counts: UsageCounts


def group_usage(days: Sequence[DailyUsage], group_by: GroupBy) -> tuple[list[UsageRow], UsageCounts]:
    """Rows of ``days`` grouped by ``group_by`` (sorted by key), and the total over all days.

    Days without finished jobs have no document, so they have no row. By ``model``, the rows
    sum to less than the total when some jobs called no model.
    """
    total = sum((d.total for d in days), UsageCounts())
    if group_by == "day":
        rows = [UsageRow(d.day.isoformat(), d.total) for d in sorted(days, key=lambda d: d.day)]
        return rows, total
    sums: dict[str, UsageCounts] = {}
    for d in days:
        for key, counts in (d.agents if group_by == "agent" else d.models).items():
            sums[key] = sums.get(key, UsageCounts()) + counts
    return [UsageRow(k, sums[k]) for k in sorted(sums)], total
