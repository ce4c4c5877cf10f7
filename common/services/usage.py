"""The usage service: a tenant's usage report from its daily counters, never from its jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common.ports import UsageReader
from common.usage.counters import UsageCounts
from common.usage.query import UsageQuery
from common.usage.report import group_usage

__all__ = ["UsageService", "counts_view"]


def counts_view(counts: UsageCounts) -> dict[str, Any]:
    """The counters as the API shows them: integers, and ``cost_usd`` as an exact decimal string."""
    view: dict[str, Any] = counts.as_dict()
    view["cost_usd"] = f"{counts.cost_usd:f}"
    del view["cost_nano_usd"]
    return view


class UsageService:
    """Usage reports for one authenticated tenant at a time.

    Args:
        readers: The usage reader of a tenant (scoped to it).
    """

    def __init__(self, *, readers: Callable[[str], UsageReader]):
        self._readers = readers

    def report(self, tenant_id: str, query: UsageQuery) -> dict[str, Any]:
        """``{from, to, group_by, rows: [{key, <counters>}], total: {<counters>}}``.

        One read per day of the range that has counters (at most 366).

        Raises:
            TransientError: The store is unavailable.
        """
        days = self._readers(tenant_id).days(query.start, query.end)
        rows, total = group_usage(days, query.group_by)
        return {
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            "group_by": query.group_by,
            "rows": [{"key": r.key, **counts_view(r.counts)} for r in rows],
            "total": counts_view(total),
        }
