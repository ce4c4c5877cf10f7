"""In-memory fakes of the ports, for unit tests of the services (no SDK, no emulator)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from common.errors import Conflict, Forbidden, NotFound, TransientError
from common.jobs.models import CallbackAttempt, CallbackStatus, Job, JobStatus
from common.ports import StoredObject
from common.tenants.models import Tenant


class FakeClock:
    """A settable UTC clock."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class InMemoryJobStore:
    """A tenant's jobs in a dict; revisions are a counter, as Firestore's update times are."""

    def __init__(self, tenant_id: str, jobs: dict[str, Job]):
        self._tenant_id = tenant_id
        self._jobs = jobs
        self.fail_next: list[Exception] = []
        self.reads = 0
        self.writes = 0
        self._revision = 0

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    def _store(self, job: Job) -> Job:
        self._revision += 1
        self.writes += 1
        stored = job.replace(revision=str(self._revision))
        self._jobs[job.job_id] = stored
        return stored

    def create(self, job: Job) -> tuple[Job, bool]:
        self._maybe_fail()
        assert job.tenant_id == self._tenant_id
        if job.job_id in self._jobs:
            self.reads += 1
            return self._jobs[job.job_id], False
        return self._store(job), True

    def get(self, job_id: str) -> Job | None:
        self._maybe_fail()
        self.reads += 1
        return self._jobs.get(job_id)

    def update(self, job_id: str, transition: Callable[[Job], Job]) -> Job:
        self._maybe_fail()
        self.reads += 1
        if job_id not in self._jobs:
            raise NotFound("no job", code="job_not_found")
        current = self._jobs[job_id]
        updated = transition(current)
        return current if updated is current else self._store(updated)

    def replace(self, job: Job, transition: Callable[[Job], Job]) -> Job:
        self._maybe_fail()
        stored = self._jobs.get(job.job_id)
        if stored is not None and stored.revision == job.revision:
            updated = transition(job)
            return job if updated is job else self._store(updated)
        return self.update(job.job_id, transition)

    def delete(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    def list(self, *, status: JobStatus | None = None, limit: int = 20) -> list[Job]:
        jobs = [j for j in self._jobs.values() if status is None or j.status is status]
        return sorted(jobs, key=lambda j: j.created_at, reverse=True)[:limit]

    def record_callback(
        self, job_id: str, attempt: CallbackAttempt, *, status: CallbackStatus, error: str | None
    ) -> None:
        self._maybe_fail()
        job = self._jobs[job_id]
        self._store(
            job.replace(
                callbacks=(*job.callbacks, attempt),
                callback_status=status,
                callback_error=error,
                callback_updated_at=attempt.at,
            )
        )


class InMemoryJobSweep:
    """The sweeper's queries over every tenant's in-memory jobs."""

    def __init__(self, directory: InMemoryTenantDirectory):
        self._directory = directory

    def _all(self) -> list[Job]:
        return [j for jobs in self._directory.jobs_by_tenant.values() for j in jobs.values()]

    def stale_pending(self, *, updated_before: datetime, limit: int) -> list[Job]:
        jobs = [j for j in self._all() if j.status is JobStatus.PENDING and j.updated_at < updated_before]
        return sorted(jobs, key=lambda j: j.updated_at)[:limit]

    def expired_leases(self, *, now: datetime, limit: int) -> list[Job]:
        jobs = [
            j
            for j in self._all()
            if j.status is JobStatus.RUNNING and j.lease_expires_at is not None and j.lease_expires_at < now
        ]
        return sorted(jobs, key=lambda j: j.lease_expires_at or now)[:limit]

    def stuck_callbacks(self, status: CallbackStatus, *, updated_before: datetime, limit: int) -> list[Job]:
        jobs = [
            j
            for j in self._all()
            if j.callback_status is status
            and j.callback_updated_at is not None
            and j.callback_updated_at < updated_before
        ]
        return sorted(jobs, key=lambda j: j.callback_updated_at or updated_before)[:limit]


class InMemoryTenantDirectory:
    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.keys: dict[str, str] = {}
        self.jobs_by_tenant: dict[str, dict[str, Job]] = {}
        self.stores: dict[str, InMemoryJobStore] = {}

    def create(self, tenant: Tenant, api_key_hash: str) -> None:
        if tenant.tenant_id in self.tenants:
            raise Conflict("exists", code="tenant_exists")
        self.tenants[tenant.tenant_id] = tenant
        self.keys[api_key_hash] = tenant.tenant_id

    def get(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def save(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def tenant_id_for_key(self, api_key_hash: str) -> str | None:
        return self.keys.get(api_key_hash)

    def jobs(self, tenant_id: str) -> InMemoryJobStore:
        if tenant_id not in self.stores:
            self.stores[tenant_id] = InMemoryJobStore(tenant_id, self.jobs_by_tenant.setdefault(tenant_id, {}))
        return self.stores[tenant_id]


@dataclass
class InMemoryBucket:
    objects: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    generation: int = 1000
    unavailable: bool = False

    def put(self, name: str, data: bytes) -> int:
        self.generation += 1
        self.objects[name] = (data, self.generation)
        return self.generation


class InMemoryBlobStore:
    def __init__(self, bucket_name: str, tenant_id: str, bucket: InMemoryBucket):
        self._bucket_name = bucket_name
        self._tenant_id = tenant_id
        self._bucket = bucket

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def read(self, uri: str, *, max_bytes: int, generation: int | None = None) -> bytes:
        if self._bucket.unavailable:
            raise TransientError("storage down", code="backend_unavailable")
        prefix = f"gs://{self._bucket_name}/tenants/{self._tenant_id}/"
        if not uri.startswith(prefix):
            raise Forbidden("outside", code="outside_tenant_prefix")
        name = uri[len(f"gs://{self._bucket_name}/") :]
        if name not in self._bucket.objects:
            raise NotFound("missing", code="object_not_found")
        data, gen = self._bucket.objects[name]
        if generation is not None and generation != gen:
            raise NotFound("generation replaced", code="object_not_found")
        from common.adapters.gcs_blobs import DocumentTooLarge

        if len(data) > max_bytes:
            raise DocumentTooLarge("too large")
        return data

    def write(self, relative_name: str, data: bytes, *, content_type: str) -> StoredObject:
        name = f"tenants/{self._tenant_id}/{relative_name}"
        gen = self._bucket.put(name, data)
        return StoredObject(f"gs://{self._bucket_name}/{name}", gen)


@dataclass
class RecordingRejectionLog:
    records: list[dict[str, Any]] = field(default_factory=list)

    def record(self, message_id: str, *, code: str, reason: str, tenant_id: str | None, now: datetime) -> None:
        self.records.append({"message_id": message_id, "code": code, "reason": reason, "tenant_id": tenant_id})


@dataclass
class FakeTaskQueue:
    tasks: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    fail: bool = False

    def enqueue_callback(self, task_id: str, payload: Mapping[str, Any]) -> bool:
        if self.fail:
            raise TransientError("tasks down", code="backend_unavailable")
        if task_id in self.tasks:
            return False
        self.tasks[task_id] = dict(payload)
        return True


@dataclass
class FakePublisher:
    published: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False

    def publish_job(self, tenant_id: str, job_id: str) -> str:
        if self.fail:
            raise TransientError("pubsub down", code="backend_unavailable")
        self.published.append((tenant_id, job_id))
        return str(len(self.published))


@dataclass(frozen=True)
class Record:
    job_id: str
    request_hash: str
    completed: bool
    created_at: datetime


class InMemoryIdempotencyStore:
    def __init__(self, keys: dict[str, Record]):
        self.keys = keys

    def put_if_absent(self, key: str, *, job_id: str, request_hash: str, now: datetime) -> Record | None:
        if key in self.keys:
            return self.keys[key]
        self.keys[key] = Record(job_id, request_hash, False, now)
        return None

    def mark_completed(self, key: str) -> None:
        self.keys[key] = dataclasses.replace(self.keys[key], completed=True)

    def delete(self, key: str) -> None:
        self.keys.pop(key, None)
