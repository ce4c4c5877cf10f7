# pyright: reportMissingTypeStubs=false
"""Daily usage counters in Firestore: written beside a job's finishing write, read by day range.

Layout: ``tenants/{tenant_id}/usage/{YYYY-MM-DD}_{shard}``, the shape :mod:`common.usage.counters`
documents. Counters are ``Increment`` transforms in a merge ``set``, so concurrent jobs of one
tenant never read-modify-write the document (no read, no contention retry) and the first job of
a day creates it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common.adapters.sdk_errors import translate
from common.usage.counters import FinishedJobUsage, UsageCounts
from common.usage.report import DailyUsage, merge_days

__all__ = ["FirestoreUsageReader", "add_usage"]

_COLLECTION = "usage"


def _usage(client: Any, tenant_id: str) -> Any:
    return client.collection("tenants").document(tenant_id).collection(_COLLECTION)


def _increments(counts: UsageCounts) -> dict[str, Any]:
    # Zero increments are left out: they change nothing and each is a transform to apply.
    return {k: firestore.Increment(v) for k, v in counts.as_dict().items() if v}


def add_usage(batch: Any, client: Any, tenant_id: str, finished: FinishedJobUsage) -> None:
    """Add ``finished`` to its day's counters as one write of ``batch`` (no read)."""
    counts = _increments(finished.counts)
    day = finished.day.isoformat()
    data: dict[str, Any] = {
        "tenant_id": tenant_id,
        "day": day,
        "shard": finished.shard,
        "total": counts,
        "agents": {finished.agent: counts},
    }
    if finished.model:
        data["models"] = {finished.model: counts}
    batch.set(_usage(client, tenant_id).document(f"{day}_{finished.shard}"), data, merge=True)


def _counts_map(value: object) -> dict[str, UsageCounts]:
    if not isinstance(value, dict):
        return {}
    items = cast(dict[str, object], value).items()
    return {str(k): UsageCounts.from_dict(cast(dict[str, object], v)) for k, v in items if isinstance(v, dict)}


def _daily(doc: dict[str, Any]) -> DailyUsage:
    total = doc.get("total")
    return DailyUsage(
        day=date.fromisoformat(str(doc["day"])),
        total=UsageCounts.from_dict(cast(dict[str, object], total)) if isinstance(total, dict) else UsageCounts(),
        agents=_counts_map(doc.get("agents")),
        models=_counts_map(doc.get("models")),
    )


class FirestoreUsageReader:
    """One tenant's daily counters. Implements :class:`common.ports.UsageReader`.

    One query on the ``day`` field (a single-field range, served by Firestore's automatic index),
    one document read per day and shard that has counters.
    """

    def __init__(self, client: firestore.Client, tenant_id: str):
        if not tenant_id:
            raise ValueError("a usage reader needs a tenant id")
        self._usage: Any = _usage(client, tenant_id)

    def days(self, start: date, end: date) -> list[DailyUsage]:
        """The days from ``start`` to ``end`` (both included), shards summed, oldest first."""
        query: Any = (
            self._usage.where(filter=FieldFilter("day", ">=", start.isoformat()))
            .where(filter=FieldFilter("day", "<=", end.isoformat()))
            .order_by("day")
        )
        try:
            documents = [_daily(cast(dict[str, Any], s.to_dict())) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="read usage") from e
        return merge_days(documents)
