"""The small interfaces between the services and cloud I/O.

Services depend on these ``Protocol`` ports only; adapters under :mod:`common.adapters`
implement them over Google Cloud, and tests use in-memory fakes. Tenant scoping is structural:
a :class:`JobStore` or :class:`BlobStore` is constructed for one tenant and cannot name another
tenant's data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from common.jobs.models import CallbackAttempt, CallbackStatus, Job, JobStatus
from common.tenants.models import Tenant

__all__ = [
    "BlobStore",
    "Clock",
    "IdempotencyRecord",
    "IdempotencyStore",
    "JobPublisher",
    "JobStore",
    "JobSweep",
    "RejectionLog",
    "StoredObject",
    "TaskQueue",
    "TenantDirectory",
]


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object just written: its ``gs://`` URI and generation."""

    uri: str
    generation: int


Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime."""


class JobStore(Protocol):
    """One tenant's jobs (``tenants/{tenant_id}/jobs``)."""

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

    def update(self, job_id: str, transition: Callable[[Job], Job]) -> Job:
        """Atomically replace the job with ``transition(job)`` (one read, then a conditional write).

        ``transition`` may run more than once (optimistic retries); it must be pure. Returning
        the same object writes nothing.

        Returns:
            The job as stored afterwards, with its ``revision``.

        Raises:
            NotFound: ``job_not_found``.
            TransientError: The store is unavailable or the job is too contended.
            PermanentError: The store refused the record (it can never be written).
        """
        ...

    def replace(self, job: Job, transition: Callable[[Job], Job]) -> Job:
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
        """Remove a job that was never enqueued (rollback of a failed submission).

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def list(self, *, status: JobStatus | None = None, limit: int = 20) -> list[Job]:
        """The most recently created jobs, newest first, optionally of one status.

        Raises:
            TransientError: The store is unavailable.
        """
        ...

    def record_callback(
        self, job_id: str, attempt: CallbackAttempt, *, status: CallbackStatus, error: str | None
    ) -> None:
        """Append a callback delivery attempt and set the callback status, in one write without a read.

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
        """Replace the stored tenant's settings (webhook URL, allowed models)."""
        ...

    def tenant_id_for_key(self, api_key_hash: str) -> str | None:
        """The tenant owning the API key with this hash, or ``None``."""
        ...

    def jobs(self, tenant_id: str) -> JobStore:
        """The job store of ``tenant_id``."""
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

    def write(self, relative_name: str, data: bytes, *, content_type: str) -> StoredObject:
        """Write ``tenants/{tenant_id}/{relative_name}``; returns its URI and generation.

        Raises:
            TransientError: Storage is unavailable.
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

    def put_if_absent(self, key: str, *, job_id: str, request_hash: str, now: datetime) -> IdempotencyRecord | None:
        """Reserve ``key`` for a request being created.

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


class RejectionLog(Protocol):
    """Records messages that could never form a job, with the reason (never the payload)."""

    def record(self, message_id: str, *, code: str, reason: str, tenant_id: str | None, now: datetime) -> None:
        """Store the rejection. Idempotent per ``message_id``."""
        ...
