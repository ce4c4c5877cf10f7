# pyright: reportMissingTypeStubs=false
"""Firestore (Native mode) implementations of the tenant, job, idempotency and rejection ports.

Layout::

    tenants/{tenant_id}                       tenant record (webhook secrets encrypted)
    tenants/{tenant_id}/jobs/{job_id}         jobs (and tombstones of erased jobs)
    tenants/{tenant_id}/jobs/{job_id}/events/{first seq, 10 digits}
                                              the job's events, one page per write (common.events)
    tenants/{tenant_id}/idempotency/{key}     idempotency keys (sha256 of the caller's key)
    tenants/{tenant_id}/usage/{day}_{shard}   daily usage counters (common.usage.counters)
    api_keys/{sha256(api key)}                -> {tenant_id, created_at, expires_at}
    rejections/{message id}                   deliveries that could never form a job

Every job path is built from the tenant id the store was constructed with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from google.api_core import exceptions as gexc
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.protobuf.timestamp_pb2 import Timestamp

from common.adapters.firestore_usage import add_usage
from common.adapters.sdk_errors import translate
from common.errors import AgentJobsError, Conflict, NotFound, TransientError
from common.events.derive import callback_delivered_event, transition_events
from common.events.models import JobEvent, numbered
from common.jobs.codec import (
    api_key_from_doc,
    api_key_to_doc,
    callback_to_doc,
    job_from_doc,
    job_to_doc,
    tenant_from_doc,
    tenant_to_doc,
)
from common.jobs.models import CallbackAttempt, CallbackStatus, Job, JobStatus
from common.judges.models import Quality
from common.ports import Cursor, JobEventSink, Rejection
from common.telemetry.log import log
from common.tenants.models import ApiKey, Tenant
from common.usage.counters import finished_usage

__all__ = [
    "FirestoreIdempotencyStore",
    "FirestoreJobStore",
    "FirestoreJobSweep",
    "FirestoreRejectionLog",
    "FirestoreTenantDirectory",
    "add_job_creation",
]

_UPDATE_ATTEMPTS = 5
_DELETE_PAGE = 300


def _delete_matching(client: Any, query: Any, *, what: str) -> int:
    """Delete every document ``query`` returns, a page at a time in batched writes."""
    deleted = 0
    try:
        while True:
            refs = [snapshot.reference for snapshot in query.limit(_DELETE_PAGE).stream()]
            if not refs:
                return deleted
            batch: Any = client.batch()
            for ref in refs:
                batch.delete(ref)
            batch.commit()
            deleted += len(refs)
    except Exception as e:
        raise translate(e, what=what) from e


def _revision(update_time: Any) -> str | None:
    if update_time is None:
        return None
    if isinstance(update_time, Timestamp):
        # Collection-group queries (the sweeper's) return protobuf Timestamps, where document
        # reads and collection queries return DatetimeWithNanoseconds; both keep nanoseconds.
        return update_time.ToJsonString()
    return cast(str, update_time.rfc3339())


def _from_snapshot(snapshot: Any) -> Job:
    job = job_from_doc(cast(dict[str, Any], snapshot.to_dict()))
    return job.replace(revision=_revision(snapshot.update_time))


def _page_id(first_seq: int) -> str:
    return f"{first_seq:010d}"


def _page_doc(job: Job, events: Sequence[JobEvent]) -> dict[str, Any]:
    """One write's events. ``expires_at`` is the job's: the TTL policy deletes them together."""
    return {
        "tenant_id": job.tenant_id,
        "job_id": job.job_id,
        "first_seq": events[0].seq,
        "last_seq": events[-1].seq,
        "events": [e.to_doc() for e in events],
        "expires_at": job.expires_at,
    }


def add_job_creation(batch: Any, client: Any, job: Job) -> tuple[Job, list[JobEvent]]:
    """Add the creation of ``job`` and of its first events page to ``batch`` (two ``create`` writes).

    Returns:
        The job as it will be stored (``event_seq`` set) and its numbered events.
    """
    events = numbered(transition_events(None, job), after=job.event_seq)
    job = job.replace(event_seq=events[-1].seq)
    ref: Any = client.collection("tenants").document(job.tenant_id).collection("jobs").document(job.job_id)
    batch.create(ref, job_to_doc(job))
    batch.create(ref.collection("events").document(_page_id(events[0].seq)), _page_doc(job, events))
    return job, events


def announce_committed(sink: JobEventSink | None, job: Job, events: Sequence[JobEvent]) -> None:
    """Hand the events a commit stored to ``sink`` (the job events fan-out), if any.

    Every writer of job documents calls it after its commit. A failure is logged, never raised:
    the write is done, and telling others about it must not undo or fail it.
    """
    if sink is None or not events:
        return
    try:
        sink.committed(job, events)
    except Exception as e:
        log("job_events.sink_failed", severity="WARNING", job_id=job.job_id, error_type=type(e).__name__)


class JobNotFound(NotFound):
    """No job with that id in this tenant."""

    code = "job_not_found"


class FirestoreJobStore:
    """One tenant's jobs in Firestore. Implements :class:`common.ports.JobStore`.

    Changes are optimistic: read, apply the pure transition, write on the condition that the
    document's update time is still the one read (Firestore's ``last_update_time``
    precondition). The update time is the job's ``revision``, so a lease holder that knows the
    job it last wrote can write again without reading (:meth:`replace`). The write that finishes
    a job carries the tenant's daily usage counters in the same batch (one more write, no read).
    """

    def __init__(self, client: firestore.Client, tenant_id: str, *, sink: JobEventSink | None = None):
        if not tenant_id:
            raise ValueError("a job store needs a tenant id")
        self._client: Any = client
        self._tenant_id = tenant_id
        self._sink = sink
        # The SDK is untyped here; Any marks the boundary instead of spreading "Unknown".
        self._jobs: Any = client.collection("tenants").document(tenant_id).collection("jobs")

    @property
    def tenant_id(self) -> str:
        """The tenant every call is scoped to."""
        return self._tenant_id

    def create(self, job: Job) -> tuple[Job, bool]:
        """Store ``job`` unless its id exists; returns ``(stored, created)``.

        The job, its first events page (``created``) and, when it is created already finished,
        its usage counters commit together.
        """
        if job.tenant_id != self._tenant_id:
            raise ValueError("job belongs to another tenant")
        batch: Any = self._client.batch()
        job, events = add_job_creation(batch, self._client, job)
        finished = finished_usage(None, job)
        if finished is not None:  # created already failed: counted in the same commit, once (create fails if it exists)
            add_usage(batch, self._client, self._tenant_id, finished)
        try:
            result: Any = batch.commit()[0]
        except gexc.AlreadyExists:
            existing = self.get(job.job_id)
            if existing is None:  # deleted in between; extremely unlikely, let the caller retry
                raise TransientError("create job: vanished", code="backend_unavailable") from None
            return existing, False
        except Exception as e:
            raise translate(e, what="create job") from e
        created = job.replace(revision=_revision(result.update_time))
        self._committed(created, events)
        return created, True

    def _page_ref(self, job_id: str, first_seq: int) -> Any:
        return self._jobs.document(job_id).collection("events").document(_page_id(first_seq))

    def _committed(self, job: Job, events: Sequence[JobEvent]) -> None:
        announce_committed(self._sink, job, events)

    def get(self, job_id: str) -> Job | None:
        """The job, or ``None``."""
        try:
            snapshot: Any = self._jobs.document(job_id).get()
        except Exception as e:
            raise translate(e, what="read job") from e
        return _from_snapshot(snapshot) if snapshot.exists else None

    def update(self, job_id: str, transition: Callable[[Job], Job], *, events: Sequence[JobEvent] = ()) -> Job:
        """Read, apply ``transition``, write conditionally; retry when another writer won."""
        for _ in range(_UPDATE_ATTEMPTS):
            current = self.get(job_id)
            if current is None:
                raise JobNotFound("no job with that id")
            written = self._write_if_unchanged(current, transition(current), events)
            if written is not None:
                return written
        raise TransientError("update job: too contended", code="backend_unavailable")

    def replace(self, job: Job, transition: Callable[[Job], Job], *, events: Sequence[JobEvent] = ()) -> Job:
        """Write ``transition(job)`` if ``job`` is still the stored revision; else :meth:`update`."""
        if job.revision is not None:
            written = self._write_if_unchanged(job, transition(job), events)
            if written is not None:
                return written
        return self.update(job.job_id, transition, events=events)

    def _write_if_unchanged(self, current: Job, updated: Job, extra: Sequence[JobEvent] = ()) -> Job | None:
        """``updated`` as written, or ``None`` when the stored job changed since ``current``.

        One commit holds the job, its events page (when the write appends events) and, when the
        job finishes, the usage counters; the revision precondition fails all of them together
        when another writer won, and the events' ``seq`` follow the ``event_seq`` read.
        """
        if updated is current:
            return current
        events = numbered([*extra, *transition_events(current, updated)], after=current.event_seq)
        if events:
            updated = updated.replace(event_seq=events[-1].seq)
        ref: Any = self._jobs.document(current.job_id)
        from_rfc3339: Any = DatetimeWithNanoseconds.from_rfc3339  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        option: Any = self._client.write_option(last_update_time=from_rfc3339(current.revision))
        finished = finished_usage(current, updated)
        try:
            if finished is None and not events:
                result: Any = ref.update(job_to_doc(updated), option=option)
            else:
                batch: Any = self._client.batch()
                batch.update(ref, job_to_doc(updated), option=option)
                if events:
                    batch.create(self._page_ref(current.job_id, events[0].seq), _page_doc(updated, events))
                if finished is not None:
                    add_usage(batch, self._client, self._tenant_id, finished)
                result = batch.commit()[0]
        except (gexc.FailedPrecondition, gexc.AlreadyExists):
            # Another writer won (its events page holds the seq): read again and reapply.
            return None
        except Exception as e:
            raise translate(e, what="update job") from e
        written = updated.replace(revision=_revision(result.update_time))
        self._committed(written, events)
        return written

    def delete(self, job_id: str) -> None:
        """Remove the job's events, then its document."""
        self._delete_events(job_id)
        try:
            self._jobs.document(job_id).delete()
        except Exception as e:
            raise translate(e, what="delete job") from e

    def _delete_events(self, job_id: str) -> None:
        _delete_matching(self._client, self._jobs.document(job_id).collection("events"), what="delete job events")

    def erase(self, job_id: str, transition: Callable[[Job], Job]) -> Job:
        """Replace the whole document with ``transition(job)``'s in a transaction (no field survives)."""
        ref: Any = self._jobs.document(job_id)

        def run(transaction: Any) -> Job:
            snapshot: Any = ref.get(transaction=transaction)
            if not snapshot.exists:
                raise JobNotFound("no job with that id")
            current = _from_snapshot(snapshot)
            updated = transition(current)
            if updated is not current:
                transaction.set(ref, job_to_doc(updated))
            return updated

        transactional: Any = firestore.transactional  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        try:
            erased = cast(Job, transactional(run)(self._client.transaction()))
        except AgentJobsError:
            raise
        except Exception as e:
            raise translate(e, what="erase job") from e
        self._delete_events(job_id)  # a tombstone keeps ids and timestamps only
        return erased

    def list(
        self,
        *,
        status: JobStatus | None = None,
        agent: str | None = None,
        created_after: datetime | None = None,
        after: Cursor | None = None,
        limit: int = 20,
        quality: Quality | None = None,
    ) -> list[Job]:
        """Newest jobs first (ties by document id), optionally filtered, after a cursor.

        ``quality`` takes precedence over ``status`` (only successful jobs have one).
        """
        if quality is not None:
            return self._by_quality(quality, agent, created_after, after, limit)
        query: Any = self._jobs
        if status is not None:
            query = query.where(filter=FieldFilter("status", "==", status.value))
        if agent is not None:
            query = query.where(filter=FieldFilter("agent", "==", agent))
        if created_after is not None:
            query = query.where(filter=FieldFilter("created_at", ">", created_after))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).order_by(
            "__name__", direction=firestore.Query.DESCENDING
        )
        if after is not None:
            query = query.start_after({"created_at": after[0], "__name__": after[1]})
        query = query.limit(limit)
        try:
            return [_from_snapshot(s) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="list jobs") from e

    def _by_quality(
        self,
        quality: Quality,
        agent: str | None,
        created_after: datetime | None,
        after: Cursor | None,
        limit: int,
    ) -> list[Job]:
        # GET /v1/jobs?quality=flagged: its own composite indexes (quality[, agent], created_at desc).
        query: Any = self._jobs.where(filter=FieldFilter("quality", "==", quality.value))
        if agent is not None:
            query = query.where(filter=FieldFilter("agent", "==", agent))
        if created_after is not None:
            query = query.where(filter=FieldFilter("created_at", ">", created_after))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).order_by(
            "__name__", direction=firestore.Query.DESCENDING
        )
        if after is not None:
            query = query.start_after({"created_at": after[0], "__name__": after[1]})
        query = query.limit(limit)
        try:
            return [_from_snapshot(s) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="list jobs") from e

    def record_callback(
        self,
        job_id: str,
        attempt: CallbackAttempt,
        *,
        status: CallbackStatus,
        error: str | None,
        read: Job | None = None,
    ) -> None:
        """Append to ``callbacks`` and set the callback status in one commit, without a read.

        A delivered callback of a job the caller ``read`` also creates its ``callback_delivered``
        events page under the next ``seq``, in the same commit; the page's ``create`` fails if
        that ``seq`` was taken meanwhile, and then the job is read again once.
        """
        ref: Any = self._jobs.document(job_id)
        fields: dict[str, Any] = {
            "callbacks": firestore.ArrayUnion([callback_to_doc(attempt)]),
            "callback_status": status.value,
            "callback_error": error,
            "callback_updated_at": attempt.at,
        }
        if status is not CallbackStatus.DELIVERED or read is None:
            try:
                ref.update(fields)
            except Exception as e:
                raise translate(e, what="record callback attempt") from e
            return
        job: Job | None = read
        for _ in range(_UPDATE_ATTEMPTS):
            if job is None:
                return
            events = numbered([callback_delivered_event(attempt.at)], after=job.event_seq)
            batch: Any = self._client.batch()
            batch.update(ref, fields | {"event_seq": events[-1].seq})
            batch.create(self._page_ref(job_id, events[0].seq), _page_doc(job, events))
            try:
                batch.commit()
            except gexc.AlreadyExists:
                job = self.get(job_id)
                continue
            except Exception as e:
                raise translate(e, what="record callback attempt") from e
            self._committed(job.replace(event_seq=events[-1].seq), events)
            return
        raise TransientError("record callback attempt: too contended", code="backend_unavailable")

    def events(self, job_id: str, *, after: int = 0, limit: int = 100) -> list[JobEvent]:
        """Events with ``seq > after``, oldest first: the pages whose ``last_seq`` is beyond ``after``."""
        query: Any = (
            self._jobs.document(job_id)
            .collection("events")
            .where(filter=FieldFilter("last_seq", ">", after))
            .order_by("last_seq")
            .limit(max(1, limit))
        )
        try:
            pages = [cast(dict[str, Any], s.to_dict()) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="read job events") from e
        out: list[JobEvent] = []
        for page in pages:
            for doc in cast(list[dict[str, Any]], page.get("events") or []):
                event = JobEvent.from_doc(doc)
                if event.seq > after:
                    out.append(event)
        return out


class FirestoreJobSweep:
    """The sweeper's collection-group queries over every tenant's ``jobs``. Implements :class:`common.ports.JobSweep`.

    Each query is an equality on one field and a range on another, which Firestore serves from
    a composite index of collection-group scope (declared in Terraform).
    """

    def __init__(self, client: firestore.Client):
        self._jobs: Any = client.collection_group("jobs")

    def _query(self, equal: tuple[str, str], before: tuple[str, datetime], limit: int) -> list[Job]:
        query: Any = (
            self._jobs.where(filter=FieldFilter(equal[0], "==", equal[1]))
            .where(filter=FieldFilter(before[0], "<", before[1]))
            .order_by(before[0])
            .limit(limit)
        )
        try:
            return [_from_snapshot(s) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="sweep query") from e

    def stale_pending(self, *, updated_before: datetime, limit: int) -> list[Job]:
        """``pending`` jobs with ``updated_at`` before the cutoff."""
        return self._query(("status", JobStatus.PENDING.value), ("updated_at", updated_before), limit)

    def expired_leases(self, *, now: datetime, limit: int) -> list[Job]:
        """``running`` jobs with ``lease_expires_at`` before ``now``."""
        return self._query(("status", JobStatus.RUNNING.value), ("lease_expires_at", now), limit)

    def stuck_callbacks(self, status: CallbackStatus, *, updated_before: datetime, limit: int) -> list[Job]:
        """Jobs whose ``callback_status`` is ``status`` since before the cutoff."""
        return self._query(("callback_status", status.value), ("callback_updated_at", updated_before), limit)

    def expired(self, *, now: datetime, limit: int) -> list[Job]:
        """Jobs with ``expires_at`` before ``now``, oldest expiry first (a range on one field)."""
        query: Any = self._jobs.where(filter=FieldFilter("expires_at", "<", now)).order_by("expires_at").limit(limit)
        try:
            return [_from_snapshot(s) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="sweep query") from e


class FirestoreTenantDirectory:
    """Tenants and API keys in Firestore. Implements :class:`common.ports.TenantDirectory`.

    Args:
        client: The Firestore client.
        sink: Told about the events each job store commits (the job events topic), if anything.
    """

    def __init__(self, client: firestore.Client, *, sink: JobEventSink | None = None):
        self._client: Any = client
        self._sink = sink

    def create(self, tenant: Tenant, api_key_hash: str) -> None:
        """Create the tenant and its key together; ``Conflict(tenant_exists)`` if taken."""
        batch: Any = self._client.batch()
        batch.create(self._client.collection("tenants").document(tenant.tenant_id), tenant_to_doc(tenant))
        batch.create(
            self._client.collection("api_keys").document(api_key_hash),
            api_key_to_doc(ApiKey(tenant.tenant_id, tenant.created_at)),
        )
        try:
            batch.commit()
        except gexc.AlreadyExists as e:
            raise Conflict(f"tenant {tenant.tenant_id} already exists", code="tenant_exists") from e
        except Exception as e:
            raise translate(e, what="create tenant") from e

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant, or ``None``."""
        try:
            snapshot: Any = self._client.collection("tenants").document(tenant_id).get()
        except Exception as e:
            raise translate(e, what="read tenant") from e
        return tenant_from_doc(cast(dict[str, Any], snapshot.to_dict())) if snapshot.exists else None

    def list_tenants(self, *, limit: int) -> list[Tenant]:
        """Up to ``limit`` tenants in document-id order (one read per tenant)."""
        query: Any = self._client.collection("tenants").order_by("__name__").limit(limit)
        try:
            return [tenant_from_doc(cast(dict[str, Any], s.to_dict())) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="list tenants") from e

    def save(self, tenant: Tenant) -> None:
        """Overwrite the tenant's record."""
        try:
            self._client.collection("tenants").document(tenant.tenant_id).set(tenant_to_doc(tenant))
        except Exception as e:
            raise translate(e, what="save tenant") from e

    def api_key(self, api_key_hash: str) -> ApiKey | None:
        """The key with this hash, or ``None``."""
        try:
            snapshot: Any = self._client.collection("api_keys").document(api_key_hash).get()
        except Exception as e:
            raise translate(e, what="read api key") from e
        return api_key_from_doc(cast(dict[str, Any], snapshot.to_dict())) if snapshot.exists else None

    def api_keys(self, tenant_id: str) -> list[tuple[str, ApiKey]]:
        """Every key of the tenant, as ``(hash, key)``."""
        query: Any = self._client.collection("api_keys").where(filter=FieldFilter("tenant_id", "==", tenant_id))
        try:
            return [(s.id, api_key_from_doc(cast(dict[str, Any], s.to_dict()))) for s in query.stream()]
        except Exception as e:
            raise translate(e, what="list api keys") from e

    def put_api_key(self, api_key_hash: str, key: ApiKey) -> None:
        """Store the key under its hash."""
        try:
            self._client.collection("api_keys").document(api_key_hash).set(api_key_to_doc(key))
        except Exception as e:
            raise translate(e, what="save api key") from e

    def delete_api_key(self, api_key_hash: str) -> None:
        """Delete the key with this hash."""
        try:
            self._client.collection("api_keys").document(api_key_hash).delete()
        except Exception as e:
            raise translate(e, what="delete api key") from e

    def delete(self, tenant_id: str) -> int:
        """Delete ``tenants/{tenant_id}`` and all its subcollections (Firestore's recursive delete)."""
        try:
            return int(self._client.recursive_delete(self._client.collection("tenants").document(tenant_id)))
        except Exception as e:
            raise translate(e, what="delete tenant") from e

    def jobs(self, tenant_id: str) -> FirestoreJobStore:
        """The job store of ``tenant_id``."""
        return FirestoreJobStore(self._client, tenant_id, sink=self._sink)


@dataclass(frozen=True, slots=True)
class StoredIdempotencyRecord:
    """An idempotency key's record."""

    job_id: str
    request_hash: str
    completed: bool
    created_at: datetime


class FirestoreIdempotencyStore:
    """One tenant's idempotency keys. Implements :class:`common.ports.IdempotencyStore`.

    Keys are stored under the SHA-256 of the caller's key so any string is a valid document id.
    """

    def __init__(self, client: firestore.Client, tenant_id: str):
        self._client: Any = client
        self._keys: Any = client.collection("tenants").document(tenant_id).collection("idempotency")

    @staticmethod
    def _doc_id(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def put_if_absent(
        self, key: str, *, job_id: str, request_hash: str, now: datetime, expires_at: datetime | None = None
    ) -> StoredIdempotencyRecord | None:
        """Reserve ``key``; return the existing record when it was taken."""
        ref: Any = self._keys.document(self._doc_id(key))
        record = {"job_id": job_id, "request_hash": request_hash, "completed": False, "created_at": now}
        try:
            ref.create(record | {"expires_at": expires_at})
            return None
        except gexc.AlreadyExists:
            pass
        except Exception as e:
            raise translate(e, what="reserve idempotency key") from e
        try:
            snapshot: Any = ref.get()
        except Exception as e:
            raise translate(e, what="read idempotency key") from e
        doc = cast(dict[str, Any], snapshot.to_dict() or {})
        return StoredIdempotencyRecord(
            job_id=str(doc.get("job_id", "")),
            request_hash=str(doc.get("request_hash", "")),
            completed=bool(doc.get("completed", False)),
            created_at=cast(datetime, doc.get("created_at") or now),
        )

    def mark_completed(self, key: str) -> None:
        """Mark the request under ``key`` as fully created."""
        try:
            self._keys.document(self._doc_id(key)).update({"completed": True})
        except Exception as e:
            raise translate(e, what="complete idempotency key") from e

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        try:
            self._keys.document(self._doc_id(key)).delete()
        except Exception as e:
            raise translate(e, what="delete idempotency key") from e

    def forget_job(self, job_id: str) -> int:
        """Delete the keys that map to ``job_id``."""
        query: Any = self._keys.where(filter=FieldFilter("job_id", "==", job_id))
        return _delete_matching(self._client, query, what="delete idempotency keys")


class FirestoreRejectionLog:
    """Rejected deliveries at ``rejections/{id}``. Implements :class:`common.ports.RejectionLog`."""

    def __init__(self, client: firestore.Client):
        self._client: Any = client
        self._rejections: Any = client.collection("rejections")

    def record(self, message_id: str, *, code: str, reason: str, tenant_id: str | None, now: datetime) -> None:
        """Store (or overwrite, on redelivery) the rejection of ``message_id``."""
        doc_id = hashlib.sha256(message_id.encode("utf-8")).hexdigest() if message_id else None
        ref: Any = self._rejections.document(doc_id) if doc_id else self._rejections.document()
        try:
            ref.set(
                {
                    "message_id": message_id,
                    "code": code,
                    "reason": reason,
                    "tenant_id": tenant_id,
                    "received_at": now,
                }
            )
        except Exception as e:
            raise translate(e, what="record rejection") from e

    def delete_for_tenant(self, tenant_id: str) -> int:
        """Delete the rejections recorded with ``tenant_id``."""
        query: Any = self._rejections.where(filter=FieldFilter("tenant_id", "==", tenant_id))
        return _delete_matching(self._client, query, what="delete rejections")

    def list_for_tenant(self, tenant_id: str, *, after: Cursor | None = None, limit: int = 20) -> list[Rejection]:
        """The tenant's rejections, newest first (ties by document id)."""
        query: Any = (
            self._rejections.where(filter=FieldFilter("tenant_id", "==", tenant_id))
            .order_by("received_at", direction=firestore.Query.DESCENDING)
            .order_by("__name__", direction=firestore.Query.DESCENDING)
        )
        if after is not None:
            query = query.start_after({"received_at": after[0], "__name__": after[1]})
        try:
            snapshots: list[Any] = list(query.limit(limit).stream())
        except Exception as e:
            raise translate(e, what="list rejections") from e
        out: list[Rejection] = []
        for s in snapshots:
            doc = cast(dict[str, Any], s.to_dict() or {})
            received = cast(datetime, doc.get("received_at"))
            out.append(Rejection(str(s.id), str(doc.get("code", "")), str(doc.get("reason", "")), received))
        return out
