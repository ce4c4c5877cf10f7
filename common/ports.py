"""The small interfaces between the services and cloud I/O.

Services depend on these ``Protocol`` ports only; adapters under :mod:`common.adapters`
implement them over Google Cloud, and tests use in-memory fakes. Tenant scoping is structural:
a :class:`JobStore` or :class:`BlobStore` is constructed for one tenant and cannot name another
tenant's data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from common.events.models import JobEvent
from common.jobs.models import CallbackAttempt, CallbackStatus, Job, JobStatus
from common.judges.models import Quality
from common.tenants.models import ApiKey, Tenant
from common.usage.report import DailyUsage

__all__ = [
    "BlobStore",
    "Clock",
    "Cursor",
    "IdempotencyRecord",
    "IdempotencyStore",
    "JobEventPublisher",
    "JobEventSink",
    "JobPublisher",
    "JobStore",
    "JobSweep",
    "Rejection",
    "RejectionLog",
    "SecretCipher",
    "SignedUpload",
    "StoredObject",
    "TaskQueue",
    "TenantDirectory",
    "UploadSigner",
    "UsageReader",
]


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object just written: its ``gs://`` URI and generation."""

    uri: str
    generation: int


@dataclass(frozen=True, slots=True)
class SignedUpload:
    """A URL that lets its holder PUT one object, and the headers the PUT must carry.

    Attributes:
        url: The V4 signed URL.
        headers: Headers the request must send exactly as given (they are signed).
        expires_at: When the URL stops working (UTC).
    """

    url: str
    headers: dict[str, str]
    expires_at: datetime


Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime."""

Cursor = tuple[datetime, str]
"""Where a newest-first listing stopped: the last item's timestamp and document id."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A delivery that could never form a job, as its tenant may see it (never the payload).

    Attributes:
        rejection_id: The record's id (a hash of the delivery's id).
        code: Machine-readable reason, e.g. ``invalid_inbox_path``.
        reason: Our own explanation (never content).
        received_at: When it was recorded (UTC).
    """

    rejection_id: str
    code: str
    reason: str
    received_at: datetime


class JobStore(Protocol):
    """One tenant's jobs (``tenants/{tenant_id}/jobs``).

    A write that moves a job into ``success`` or ``failed`` (:meth:`create`, :meth:`update`,
    :meth:`replace`) also adds the job to the tenant's daily usage counters, atomically with it
    (:func:`common.usage.counters.finished_usage`); a write that does not happen counts nothing.

    Every write also appends the job's events (:mod:`common.events`) atomically with it: the
    lifecycle events the transition implies (:func:`common.events.derive.transition_events`),
    after any ``events`` the caller passes, numbered on from the stored ``event_seq``. They are
    stored as one page per write under the job (``tenants/{t}/jobs/{j}/events/{first seq}``),
    so a write adds at most one document.
    """

    @property
    def tenant_id(self) -> str:
        """The tenant every call is scoped to."""
        ...

    def create(self, job: Job) -> tuple[Job, bool]:
        """Store ``job`` unless a job with its id exists.

        Returns:
            ``(stored job, created)``: the existing job and ``False`` when the id was taken.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def get(self, job_id: str) -> Job | None:
        """The job, or ``None`` when this tenant has no job with that id.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def update(self, job_id: str, transition: Callable[[Job], Job], *, events: Sequence[JobEvent] = ()) -> Job:
        """Atomically replace the job with ``transition(job)`` (one read, then a conditional write).

        ``transition`` may run more than once (optimistic retries); it must be pure. Returning
        the same object writes nothing (and appends no event). ``events`` (unnumbered) are
        appended before the transition's own events, in the same commit.

        Returns:
            The job as stored afterwards, with its ``revision``.

        Raises:
            NotFound: ``job_not_found``.
            TransientError: The store is unavailable or the job is too contended.
            PermanentError: The store refused the record (it can never be written).
        """
        ...

    def replace(self, job: Job, transition: Callable[[Job], Job], *, events: Sequence[JobEvent] = ()) -> Job:
        """Like :meth:`update`, but without a read when ``job`` is still the stored revision.

        The holder of a lease knows the job it last wrote; writing ``transition(job)`` on the
        condition that nothing changed since saves the read. When something did change (a
        heartbeat of another worker after a takeover, a cancellation), it falls back to
        :meth:`update`, so ``transition`` sees the stored job and its lease check decides.

        Raises:
            The errors of :meth:`update`, and whatever ``transition`` raises (e.g. ``LeaseLost``).
        """
        ...

    def delete(self, job_id: str) -> None:
        """Remove the job's document and its events (rollback of a failed submission; an expired job).

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def erase(self, job_id: str, transition: Callable[[Job], Job]) -> Job:
        """Atomically replace the *whole* stored document with ``transition(job)``'s.

        Unlike :meth:`update`, no field of the old document survives (erasure writes a
        tombstone). ``transition`` may run more than once and may raise to abort.

        Returns:
            The job as stored afterwards.

        Raises:
            NotFound: ``job_not_found``.
            TransientError: The store is unavailable or the job is too contended.
        """
        ...

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
        """The most recently created jobs, newest first (ties by id, descending).

        ``quality`` (``passed``, ``flagged``, ``not_judged``: what the judges made of a successful
        job) takes precedence over ``status``: only successful jobs have one.

        Args:
            status: Only jobs of this status.
            agent: Only jobs of this agent.
            created_after: Only jobs created strictly after this time (UTC).
            after: Continue after this ``(created_at, job_id)`` of the previous page's last job.
            limit: At most this many jobs.
            quality: Only successful jobs the judges rated this way.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def record_callback(
        self,
        job_id: str,
        attempt: CallbackAttempt,
        *,
        status: CallbackStatus,
        error: str | None,
        read: Job | None = None,
    ) -> None:
        """Append a callback delivery attempt and set the callback status, in one write without a read.

        Args:
            job_id: The job.
            attempt: The attempt to append.
            status: The callback status afterwards.
            error: The attempt's short reason, if it failed.
            read: The job as the caller read it: with ``status`` delivered, a
                ``callback_delivered`` event is appended after its ``event_seq`` (the job is read
                again should that ``seq`` have been taken meanwhile). ``None``: no event.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def events(self, job_id: str, *, after: int = 0, limit: int = 100) -> list[JobEvent]:
        """The job's events with ``seq > after``, oldest first, at most about ``limit`` of them.

        Whole pages are returned, so a few more than ``limit`` may come back.

        Raises:
            TransientError: The store is unavailable.
        """
        ...


class JobSweep(Protocol):
    """The sweeper's view across tenants: jobs that need attention, oldest first.

    The only reader that crosses tenants. It returns jobs so the sweeper can requeue them; the
    work itself runs through the tenant-scoped stores.
    """

    def stale_pending(self, *, updated_before: datetime, limit: int) -> list[Job]:
        """``pending`` jobs not updated since ``updated_before``: their job message may be lost.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def expired_leases(self, *, now: datetime, limit: int) -> list[Job]:
        """``running`` jobs whose lease expired before ``now``: their worker stopped heartbeating.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def stuck_callbacks(self, status: CallbackStatus, *, updated_before: datetime, limit: int) -> list[Job]:
        """Finished jobs whose callback is in ``status`` and has not moved since ``updated_before``.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def expired(self, *, now: datetime, limit: int) -> list[Job]:
        """Jobs (tombstones included) whose ``expires_at`` is before ``now``, oldest expiry first.

        Used where no TTL policy deletes them (the local stack).

        Raises:
            TransientError: The store is unavailable.
        """
        ...


class TenantDirectory(Protocol):
    """The tenants, their API keys, and the per-tenant stores."""

    def create(self, tenant: Tenant, api_key_hash: str) -> None:
        """Store a new tenant and its API key hash together.

        Raises:
            Conflict: ``tenant_exists`` when the tenant id is taken.
            TransientError: The store is unavailable.
        """
        ...

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant, or ``None``.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def save(self, tenant: Tenant) -> None:
        """Replace the stored tenant's record (settings, encrypted webhook secrets)."""
        ...

    def list_tenants(self, *, limit: int) -> list[Tenant]:
        """Up to ``limit`` tenants, ordered by tenant id (admin listing).

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def api_key(self, api_key_hash: str) -> ApiKey | None:
        """The API key with this hash (its tenant and expiry), or ``None``.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def api_keys(self, tenant_id: str) -> list[tuple[str, ApiKey]]:
        """Every API key of ``tenant_id`` as ``(hash, key)`` pairs, retired ones included."""
        ...

    def put_api_key(self, api_key_hash: str, key: ApiKey) -> None:
        """Store (or overwrite) the API key with this hash."""
        ...

    def delete_api_key(self, api_key_hash: str) -> None:
        """Delete the API key with this hash (no error when it is absent)."""
        ...

    def delete(self, tenant_id: str) -> int:
        """Delete the tenant's record and every document under it (jobs, idempotency keys).

        Returns:
            How many documents were deleted.

        Raises:
            TransientError: The store is unavailable (what was deleted stays deleted; call again).
        """
        ...

    def jobs(self, tenant_id: str) -> JobStore:
        """The job store of ``tenant_id``."""
        ...


class UsageReader(Protocol):
    """One tenant's daily usage counters (``tenants/{tenant_id}/usage/{YYYY-MM-DD}_{shard}``).

    Job stores write them, in the commit that finishes a job (:mod:`common.usage.counters`).
    """

    def days(self, start: date, end: date) -> list[DailyUsage]:
        """The counters of UTC days ``start`` to ``end`` (both included) that have any, oldest first.

        Raises:
            TransientError: The store is unavailable.
        """
        ...


class BlobStore(Protocol):
    """One tenant's objects (``gs://BUCKET/tenants/{tenant_id}/``)."""

    @property
    def tenant_id(self) -> str:
        """The tenant every call is scoped to."""
        ...

    def read(self, uri: str, *, max_bytes: int, generation: int | None = None) -> bytes:
        """The object's bytes, optionally pinned to one ``generation``.

        Raises:
            Forbidden: ``outside_tenant_prefix`` when the URI is not under the tenant's prefix.
            NotFound: ``object_not_found``.
            PermanentError: ``document_too_large`` when the object exceeds ``max_bytes``.
            TransientError: Storage is unavailable.
        """
        ...

    def write(
        self, relative_name: str, data: bytes, *, content_type: str, expires_at: datetime | None = None
    ) -> StoredObject:
        """Write ``tenants/{tenant_id}/{relative_name}``; returns its URI and generation.

        Args:
            relative_name: Name under the tenant's prefix.
            data: The object's bytes.
            content_type: Its MIME type.
            expires_at: When the bucket's lifecycle may delete it (UTC; the object's
                ``customTime``), normally the owning job's ``expires_at``.

        Raises:
            TransientError: Storage is unavailable.
        """
        ...

    def set_expiry(self, uri: str, expires_at: datetime, *, generation: int | None = None) -> bool:
        """Mark an existing object for deletion at ``expires_at`` (its ``customTime``).

        The bucket's lifecycle rule deletes an object once its ``customTime`` has passed, so an
        input blob lives exactly as long as the job that read it. Cloud Storage never moves a
        ``customTime`` earlier; an object read by two jobs keeps the later expiry.

        Returns:
            ``False`` when the object is gone, was replaced (``generation``), or already
            carries a later expiry.

        Raises:
            Forbidden: ``outside_tenant_prefix`` when the URI is not under the tenant's prefix.
            TransientError: Storage is unavailable.
        """
        ...

    def delete(self, uri: str, *, generation: int | None = None) -> bool:
        """Delete the object, only if it still is ``generation`` when one is given.

        Returns:
            ``False`` when there was nothing to delete (absent, or replaced by a newer generation).

        Raises:
            Forbidden: ``outside_tenant_prefix`` when the URI is not under the tenant's prefix.
            TransientError: Storage is unavailable.
        """
        ...

    def delete_all(self) -> int:
        """Delete every object under the tenant's prefix.

        Returns:
            How many objects were deleted.

        Raises:
            TransientError: Storage is unavailable (what was deleted stays deleted; call again).
        """
        ...


class JobPublisher(Protocol):
    """Publishes "run this job" messages to the jobs topic."""

    def publish_job(self, tenant_id: str, job_id: str) -> str:
        """Publish and wait for the server's ack.

        Returns:
            The Pub/Sub message id.

        Raises:
            TransientError: Pub/Sub is unavailable.
        """
        ...


class JobEventPublisher(Protocol):
    """Publishes job events to the job events topic (``agentjobs-job-events``)."""

    def publish_event(self, job: Job, event: JobEvent) -> str:
        """Publish one event with attributes ``tenant_id``, ``job_id``, ``agent``, ``type``, ``seq``.

        The ordering key is the job id; a consumer drops duplicates by ``(job_id, seq)``.

        Returns:
            The Pub/Sub message id.

        Raises:
            TransientError: Pub/Sub is unavailable or did not ack in time.
        """
        ...


class JobEventSink(Protocol):
    """Told about events right after the store committed them (the store calls it; never raises)."""

    def committed(self, job: Job, events: Sequence[JobEvent]) -> None:
        """``events`` (numbered) were stored with ``job`` (as written)."""
        ...


class TaskQueue(Protocol):
    """Enqueues callback deliveries as Cloud Tasks."""

    def enqueue_callback(self, task_id: str, payload: Mapping[str, Any]) -> bool:
        """Enqueue one delivery under a deterministic task id.

        Returns:
            ``False`` when a task with that id already exists (nothing enqueued).

        Raises:
            TransientError: Cloud Tasks is unavailable.
        """
        ...


class IdempotencyRecord(Protocol):
    """What an idempotency key maps to."""

    @property
    def job_id(self) -> str:
        """The job the key maps to."""
        ...

    @property
    def request_hash(self) -> str:
        """SHA-256 of the canonical request, to detect a key reused with another body."""
        ...

    @property
    def completed(self) -> bool:
        """Whether the original request finished creating its job."""
        ...

    @property
    def created_at(self) -> datetime:
        """When the key was reserved (UTC)."""
        ...


class IdempotencyStore(Protocol):
    """One tenant's idempotency keys."""

    def put_if_absent(
        self, key: str, *, job_id: str, request_hash: str, now: datetime, expires_at: datetime | None = None
    ) -> IdempotencyRecord | None:
        """Reserve ``key`` for a request being created, until ``expires_at`` (the job's expiry).

        Returns:
            ``None`` when reserved now; the existing record when the key was already used.
        """
        ...

    def mark_completed(self, key: str) -> None:
        """Mark the request under ``key`` as fully created (job stored and published)."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (the creation failed before anything durable happened)."""
        ...

    def forget_job(self, job_id: str) -> int:
        """Delete every key that maps to ``job_id`` (erasure: the record holds a hash of the request).

        Returns:
            How many keys were deleted.

        Raises:
            TransientError: The store is unavailable.
        """
        ...


class RejectionLog(Protocol):
    """Records messages that could never form a job, with the reason (never the payload)."""

    def record(self, message_id: str, *, code: str, reason: str, tenant_id: str | None, now: datetime) -> None:
        """Store the rejection. Idempotent per ``message_id``."""
        ...

    def delete_for_tenant(self, tenant_id: str) -> int:
        """Delete the rejection records attributed to ``tenant_id``; returns how many."""
        ...

    def list_for_tenant(self, tenant_id: str, *, after: Cursor | None = None, limit: int = 20) -> list[Rejection]:
        """The tenant's rejections, newest first (ties by id, descending), after ``after``.

        Raises:
            TransientError: The store is unavailable.
        """
        ...


class SecretCipher(Protocol):
    """Encrypts small secrets with a key that lives outside Firestore (Cloud KMS, or a local key).

    ``context`` is bound to the ciphertext as additional authenticated data: a ciphertext copied
    to another tenant's record does not decrypt there. Ciphertexts are ASCII and name the cipher
    that made them, so a deployment configured with another key fails clearly.
    """

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """The ciphertext of ``plaintext`` (ASCII).

        Raises:
            TransientError: The key service is unavailable.
            Forbidden: Not allowed to use the key.
        """
        ...

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """The plaintext of a ciphertext made by :meth:`encrypt` with the same ``context``.

        Raises:
            PermanentError: ``secret_undecryptable`` for a ciphertext of another cipher or key,
                another context, or corrupt data.
            TransientError: The key service is unavailable.
            Forbidden: Not allowed to use the key.
        """
        ...


class UploadSigner(Protocol):
    """Signs upload URLs into the bucket (Cloud Storage V4 signing)."""

    def signed_put(self, object_name: str, *, content_type: str, size_bytes: int, now: datetime) -> SignedUpload:
        """A short-lived URL for one ``PUT`` of ``object_name`` with this content type and exact size.

        Raises:
            TransientError: The signing service (IAM signBlob) is unavailable.
            PermanentError: Signing is not configured or not allowed.
        """
        ...
