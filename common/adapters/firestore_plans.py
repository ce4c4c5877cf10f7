# pyright: reportMissingTypeStubs=false
"""Firestore implementations of the usage-plan ports (:mod:`common.plans.ports`).

Layout (beside the tenant's jobs, so tenant deletion removes them too)::

    tenants/{t}/plan_ledger/ledger             active.{agent}; periods.{period}.{committed,spent,overrun} (micro-USD)
    tenants/{t}/plan_ledger/warned-{period}    the soft-limit warning of a period was sent
    tenants/{t}/plan_reservations/{job_id}     one per job: estimate, state open|settled, actual
    tenants/{t}/rate_windows/{model}-{start}   requests, tokens, blocked_until of one minute

Contention: no transaction touches the hot ledger or window documents. Every change there is an
atomic ``Increment`` (or ``Maximum``) in a batched write, and the values after the write come
back in the commit response (``WriteResult.transform_results``), so admission reads the totals
including itself without a read and without a lock. Transactions on one hot document failed
under concurrency here (10 concurrent: 1 granted); increments do not. The low-contention
per-job reservation document carries the preconditions that make reserving and settling happen
once: ``create`` (no double reservation) and ``last_update_time`` (no double settlement).

Firestore sustains about one write per second per document; the ledger takes two writes per job
(admission, settlement), so one tenant sustains about 0.5 jobs/s with plans before writes queue
(bursts are absorbed). Sharding the ledger is the way past that (not done).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common.adapters.sdk_errors import translate
from common.events.models import JobEvent
from common.jobs.models import Job
from common.plans.budget import LedgerTotals, settlement
from common.plans.ports import LedgerView, Reservation, Settled, reservation_key
from common.plans.windows import WINDOW_SECONDS, WindowCounts
from common.ports import JobEventSink

__all__ = ["OPEN", "RESERVATIONS", "SETTLED", "FirestorePlanLedger", "FirestoreWindowCounter"]

RESERVATIONS = "plan_reservations"
OPEN = "open"
SETTLED = "settled"
_LEDGER = "plan_ledger"
_COMMIT_ATTEMPTS = 6


def _value(value: Any) -> float:
    kind = value._pb.WhichOneof("value_type")  # pyright: ignore[reportPrivateUsage]
    if kind == "integer_value":
        return int(value.integer_value)
    if kind == "double_value":
        return float(value.double_value)
    return 0


def _transformed(result: Any, paths: list[tuple[str, ...]]) -> dict[tuple[str, ...], float]:
    """The values of the transformed fields after a write (the client sends transforms sorted by path)."""
    return dict(zip(sorted(paths), (_value(v) for v in result.transform_results), strict=True))


def _commit(build: Callable[[], Any]) -> Any:
    """Commit the batch ``build()`` makes, again when Firestore aborted it for contention.

    An aborted commit applied nothing, so committing again is safe; each try gets a fresh batch.
    """
    for attempt in range(1, _COMMIT_ATTEMPTS + 1):
        try:
            return build().commit()
        except gexc.Aborted:
            if attempt == _COMMIT_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not secrecy
    raise AssertionError("unreachable")


def _reservation_from_doc(doc: dict[str, Any]) -> Reservation:
    return Reservation(
        tenant_id=str(doc["tenant_id"]),
        job_id=str(doc["job_id"]),
        agent=str(doc.get("agent", "")),
        model=str(doc.get("model", "")),
        period=str(doc.get("period", "")),
        estimate_micros=int(doc.get("estimate_micros", 0)),
        created_at=cast(datetime, doc["created_at"]),
        expires_at=cast(datetime | None, doc.get("expires_at")),
        round=int(doc.get("round", 0)),
    )


class FirestorePlanLedger:
    """Implements :class:`common.plans.ports.PlanLedger`."""

    def __init__(self, client: firestore.Client, *, sink: JobEventSink | None = None):
        """Bind to a Firestore client.

        Args:
            client: The project's Firestore client.
            sink: Where the events of a job created with its reservation
                (:meth:`reserve_creating`) go, as the job store's own creations do.
        """
        self._client: Any = client
        self._sink = sink

    def _tenant(self, tenant_id: str) -> Any:
        return self._client.collection("tenants").document(tenant_id)

    def _ledger(self, tenant_id: str) -> Any:
        return self._tenant(tenant_id).collection(_LEDGER).document("ledger")

    def _reservation(self, tenant_id: str, key: str) -> Any:
        return self._tenant(tenant_id).collection(RESERVATIONS).document(key)

    @staticmethod
    def _changes(
        agent: str, active: int, period: str, *, committed: int, spent: int | None = None, overrun: int | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
        """The ledger increments, and the paths whose values come back (sorted as the client sends them).

        A period keeps ``committed`` (reserved + spent), ``spent`` and ``overrun``; admission
        moves ``committed`` alone, so it reads back the one value it compares with the limit.
        """
        doc: dict[str, Any] = {"active": {agent: firestore.Increment(active)}}
        paths: list[tuple[str, ...]] = [("active", agent)]
        if period:
            fields = {"committed": committed, "spent": spent, "overrun": overrun}
            doc["periods"] = {period: {k: firestore.Increment(v) for k, v in fields.items() if v is not None}}
            paths += [("periods", period, k) for k, v in fields.items() if v is not None]
        return doc, paths

    @staticmethod
    def _totals(values: dict[tuple[str, ...], float], period: str) -> LedgerTotals:
        """Totals from the values read back; with ``committed`` alone, it is all in ``reserved``."""
        if not period:
            return LedgerTotals()
        committed = int(values[("periods", period, "committed")])
        spent = int(values.get(("periods", period, "spent"), 0))
        return LedgerTotals(committed - spent, spent, int(values.get(("periods", period, "overrun"), 0)))

    def reserve(self, reservation: Reservation) -> tuple[LedgerTotals, int] | None:
        """Create the reservation and add it to the ledger in one batch; ``None`` if it existed."""
        r = reservation
        changes, paths = self._changes(r.agent, 1, r.period, committed=r.estimate_micros)
        record = self._record(r)

        def build() -> Any:
            batch: Any = self._client.batch()
            batch.create(self._reservation(r.tenant_id, r.key), record)
            batch.set(self._ledger(r.tenant_id), changes, merge=True)
            return batch

        try:
            results: Any = _commit(build)
        except gexc.AlreadyExists:
            return None
        except Exception as e:
            raise translate(e, what="reserve budget") from e
        values = _transformed(results[1], paths)
        return self._totals(values, r.period), int(values[("active", r.agent)])

    @staticmethod
    def _record(r: Reservation) -> dict[str, Any]:
        return {
            "tenant_id": r.tenant_id,
            "job_id": r.job_id,
            "agent": r.agent,
            "model": r.model,
            "period": r.period,
            "estimate_micros": r.estimate_micros,
            "state": OPEN,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "round": r.round,
        }

    def reserve_creating(self, reservation: Reservation, job: Job) -> tuple[LedgerTotals, int, Job] | None:
        """Create the job, its reservation and the ledger increment in one commit.

        The job document (and its first events page) is written at ``tenants/{t}/jobs/{id}``
        exactly as :meth:`common.adapters.firestore_store.FirestoreJobStore.create` writes it.
        ``None`` when the job or the reservation existed (nothing written).
        """
        from common.adapters.firestore_store import add_job_creation, announce_committed

        r = reservation
        if job.tenant_id != r.tenant_id or job.job_id != r.job_id:
            raise ValueError("the reservation is not the job's")
        changes, paths = self._changes(r.agent, 1, r.period, committed=r.estimate_micros)
        created: list[tuple[Job, list[JobEvent]]] = []

        def build() -> Any:
            batch: Any = self._client.batch()
            created[:] = [add_job_creation(batch, self._client, job)]
            batch.create(self._reservation(r.tenant_id, r.key), self._record(r))
            batch.set(self._ledger(r.tenant_id), changes, merge=True)
            return batch

        try:
            results: Any = _commit(build)
        except gexc.AlreadyExists:
            return None
        except Exception as e:
            raise translate(e, what="create job and reserve budget") from e
        values = _transformed(results[3], paths)
        first, events = created[0]
        stored = first.replace(revision=cast(str, results[0].update_time.rfc3339()))
        announce_committed(self._sink, stored, events)
        return self._totals(values, r.period), int(values[("active", r.agent)]), stored

    def cancel(self, reservation: Reservation) -> None:
        """Delete the reservation (if it still exists) and take its amounts back, atomically."""
        r = reservation
        changes, _ = self._changes(r.agent, -1, r.period, committed=-r.estimate_micros)

        def build() -> Any:
            batch: Any = self._client.batch()
            batch.delete(self._reservation(r.tenant_id, r.key), option=self._client.write_option(exists=True))
            batch.set(self._ledger(r.tenant_id), changes, merge=True)
            return batch

        try:
            _commit(build)
        except gexc.NotFound:
            return
        except Exception as e:
            raise translate(e, what="cancel reservation") from e

    def settle(
        self, tenant_id: str, job_id: str, actual_micros: int, *, now: datetime, round_: int = 0
    ) -> Settled | None:
        """Mark the open reservation settled and move its amounts, once (update-time precondition)."""
        ref = self._reservation(tenant_id, reservation_key(job_id, round_))
        try:
            snapshot: Any = ref.get()
        except Exception as e:
            raise translate(e, what="read reservation") from e
        if not snapshot.exists:
            return None
        doc = cast(dict[str, Any], snapshot.to_dict())
        if doc.get("state") != OPEN:
            return None
        r = _reservation_from_doc(doc)
        s = settlement(r.estimate_micros, actual_micros if r.period else 0)
        changes, paths = self._changes(
            r.agent, -1, r.period, committed=s.reserved_delta + s.spent_delta, spent=s.spent_delta, overrun=s.overrun
        )
        settled = {"state": SETTLED, "actual_micros": actual_micros, "overrun_micros": s.overrun, "settled_at": now}

        def build() -> Any:
            batch: Any = self._client.batch()
            batch.update(ref, settled, option=self._client.write_option(last_update_time=snapshot.update_time))
            batch.set(self._ledger(tenant_id), changes, merge=True)
            return batch

        try:
            results: Any = _commit(build)
        except gexc.FailedPrecondition:
            return None  # settled meanwhile by another worker or the sweeper
        except Exception as e:
            raise translate(e, what="settle reservation") from e
        after = self._totals(_transformed(results[1], paths), r.period)
        spent_before = after.spent - s.spent_delta
        committed_before = after.committed - s.reserved_delta - s.spent_delta
        before = LedgerTotals(committed_before - spent_before, spent_before, after.overrun - s.overrun)
        return Settled(r, actual_micros, before, after)

    def open_reservations(self, *, created_before: datetime, limit: int) -> list[Reservation]:
        """Open reservations older than the cutoff, oldest first (a collection-group query)."""
        query: Any = (
            self._client.collection_group(RESERVATIONS)
            .where(filter=FieldFilter("state", "==", OPEN))
            .where(filter=FieldFilter("created_at", "<", created_before))
            .order_by("created_at")
            .limit(limit)
        )
        try:
            return [_reservation_from_doc(cast(dict[str, Any], s.to_dict())) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="list open reservations") from e

    def view(self, tenant_id: str, period: str) -> LedgerView:
        """The tenant's ledger for ``period``."""
        try:
            snapshot: Any = self._ledger(tenant_id).get()
        except Exception as e:
            raise translate(e, what="read ledger") from e
        doc = cast(dict[str, Any], snapshot.to_dict() or {}) if snapshot.exists else {}
        totals = cast(dict[str, Any], cast(dict[str, Any], doc.get("periods") or {}).get(period) or {})
        active = {str(k): int(v) for k, v in cast(dict[str, Any], doc.get("active") or {}).items() if int(v)}
        committed, spent = int(totals.get("committed", 0)), int(totals.get("spent", 0))
        return LedgerView(period, LedgerTotals(committed - spent, spent, int(totals.get("overrun", 0))), active)

    def mark_warned(self, tenant_id: str, period: str, *, now: datetime) -> bool:
        """Create the period's warning marker; ``False`` when it exists."""
        ref: Any = self._tenant(tenant_id).collection(_LEDGER).document(f"warned-{period}")
        try:
            ref.create({"period": period, "warned_at": now})
        except gexc.AlreadyExists:
            return False
        except Exception as e:
            raise translate(e, what="mark budget warning") from e
        return True


class FirestoreWindowCounter:
    """Implements :class:`common.plans.ports.WindowCounter`: one document per tenant, model and minute.

    Window documents carry ``expires_at`` (an hour after the window) for the TTL policy.
    """

    def __init__(self, client: firestore.Client):
        self._client: Any = client

    def _ref(self, tenant_id: str, model: str, window: int) -> Any:
        key = hashlib.sha256(model.encode("utf-8")).hexdigest()[:16]
        return (
            self._client.collection("tenants")
            .document(tenant_id)
            .collection("rate_windows")
            .document(f"{key}-{window}")
        )

    @staticmethod
    def _expiry(window: int) -> datetime:
        from datetime import UTC

        return datetime.fromtimestamp(window + WINDOW_SECONDS + 3600, tz=UTC)

    def add(self, tenant_id: str, model: str, window: int, *, requests: int, tokens: int) -> WindowCounts:
        """Increment the window's counters; the values after come back with the write."""
        doc = {
            "requests": firestore.Increment(requests),
            "tokens": firestore.Increment(tokens),
            "blocked_until": firestore.Maximum(0.0),
            "expires_at": self._expiry(window),
        }
        try:
            result: Any = self._ref(tenant_id, model, window).set(doc, merge=True)
        except Exception as e:
            raise translate(e, what="count model call") from e
        values = _transformed(result, [("requests",), ("tokens",), ("blocked_until",)])
        return WindowCounts(int(values[("requests",)]), int(values[("tokens",)]), float(values[("blocked_until",)]))

    def block(self, tenant_id: str, model: str, windows: list[int], *, until: float) -> None:
        """Raise ``blocked_until`` to ``until`` on each window."""
        batch: Any = self._client.batch()
        for window in windows:
            batch.set(
                self._ref(tenant_id, model, window),
                {"blocked_until": firestore.Maximum(until), "expires_at": self._expiry(window)},
                merge=True,
            )
        try:
            batch.commit()
        except Exception as e:
            raise translate(e, what="record provider back-off") from e
