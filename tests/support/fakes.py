"""In-memory fakes of the ports, for unit tests of the services (no SDK, no emulator)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from common.errors import Conflict, Forbidden, NotFound, TransientError
from common.events.derive import callback_delivered_event, transition_events
from common.events.models import JobEvent, numbered
from common.jobs.codec import job_from_doc, job_to_doc
from common.jobs.models import CallbackAttempt, CallbackStatus, Job, JobStatus
from common.judges.models import Quality
from common.ports import Rejection, StoredObject
from common.tenants.models import ApiKey, Tenant
from common.usage.counters import FinishedJobUsage, UsageCounts, finished_usage
from common.usage.report import DailyUsage


def add_usage(days: dict[date, DailyUsage], finished: FinishedJobUsage) -> None:
    """Add a finished job to in-memory day counters, as the Firestore store's merge-increments do."""
    day = days.get(finished.day) or DailyUsage(finished.day, UsageCounts())

    def plus(groups: Mapping[str, UsageCounts], key: str | None) -> dict[str, UsageCounts]:
        merged = dict(groups)
        if key:
            merged[key] = merged.get(key, UsageCounts()) + finished.counts
        return merged

    days[finished.day] = DailyUsage(
        finished.day,
        day.total + finished.counts,
        plus(day.agents, finished.agent),
        plus(day.models, finished.model),
    )


class InMemoryUsageReader:
    """A tenant's in-memory day counters, read like :class:`common.ports.UsageReader`."""

    def __init__(self, days: dict[date, DailyUsage]):
        self._days = days

    def days(self, start: date, end: date) -> list[DailyUsage]:
        return [self._days[d] for d in sorted(self._days) if start <= d <= end]


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

    def __init__(self, tenant_id: str, jobs: dict[str, Job], usage: dict[date, DailyUsage] | None = None):
        self._tenant_id = tenant_id
        self._jobs = jobs
        self.usage: dict[date, DailyUsage] = usage if usage is not None else {}
        self.fail_next: list[Exception] = []
        self.reads = 0
        self.writes = 0
        self._revision = 0
        self.event_log: dict[str, list[JobEvent]] = {}
        self.sink: Callable[[Job, Sequence[JobEvent]], None] | None = None

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    def _store(self, job: Job, extra: Sequence[JobEvent] = (), *, derive: bool = True) -> Job:
        self._revision += 1
        self.writes += 1
        before = self._jobs.get(job.job_id)
        finished = finished_usage(before, job)
        if finished is not None:  # in the same "commit", as the Firestore store batches it
            add_usage(self.usage, finished)
        last = before.event_seq if before is not None else job.event_seq
        derived = transition_events(before, job) if derive else []
        events = numbered([*extra, *derived], after=last)
        if events:
            job = job.replace(event_seq=events[-1].seq)
            self.event_log.setdefault(job.job_id, []).extend(events)
        stored = job.replace(revision=str(self._revision))
        self._jobs[job.job_id] = stored
        if events and self.sink is not None:
            self.sink(stored, events)
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

    def update(self, job_id: str, transition: Callable[[Job], Job], *, events: Sequence[JobEvent] = ()) -> Job:
        self._maybe_fail()
        self.reads += 1
        if job_id not in self._jobs:
            raise NotFound("no job", code="job_not_found")
        current = self._jobs[job_id]
        updated = transition(current)
        return current if updated is current else self._store(updated, events)

    def replace(self, job: Job, transition: Callable[[Job], Job], *, events: Sequence[JobEvent] = ()) -> Job:
        self._maybe_fail()
        stored = self._jobs.get(job.job_id)
        if stored is not None and stored.revision == job.revision:
            updated = transition(job)
            return job if updated is job else self._store(updated, events)
        return self.update(job.job_id, transition, events=events)

    def delete(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        self.event_log.pop(job_id, None)

    def events(self, job_id: str, *, after: int = 0, limit: int = 100) -> list[JobEvent]:
        self.reads += 1
        return [e for e in self.event_log.get(job_id, []) if e.seq > after][: max(1, limit)]

    def erase(self, job_id: str, transition: Callable[[Job], Job]) -> Job:
        self._maybe_fail()
        self.reads += 1
        if job_id not in self._jobs:
            raise NotFound("no job", code="job_not_found")
        current = self._jobs[job_id]
        updated = transition(current)
        if updated is current:
            return current
        # The whole document is replaced: round-trip through the codec, as Firestore stores it.
        self.event_log.pop(job_id, None)
        return self._store(job_from_doc(job_to_doc(updated)), derive=False)

    def list(
        self,
        *,
        status: JobStatus | None = None,
        agent: str | None = None,
        created_after: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 20,
        quality: Quality | None = None,
    ) -> list[Job]:
        jobs = [
            j
            for j in self._jobs.values()
            if (j.quality is quality if quality is not None else (status is None or j.status is status))
            and (agent is None or j.agent == agent)
            and (created_after is None or j.created_at > created_after)
            and (after is None or (j.created_at, j.job_id) < after)
        ]
        return sorted(jobs, key=lambda j: (j.created_at, j.job_id), reverse=True)[:limit]

    def record_callback(
        self,
        job_id: str,
        attempt: CallbackAttempt,
        *,
        status: CallbackStatus,
        error: str | None,
        read: Job | None = None,
    ) -> None:
        self._maybe_fail()
        job = self._jobs[job_id]
        delivered = status is CallbackStatus.DELIVERED and read is not None
        self._store(
            job.replace(
                callbacks=(*job.callbacks, attempt),
                callback_status=status,
                callback_error=error,
                callback_updated_at=attempt.at,
            ),
            [callback_delivered_event(attempt.at)] if delivered else (),
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

    def expired(self, *, now: datetime, limit: int) -> list[Job]:
        jobs = [j for j in self._all() if j.expires_at is not None and j.expires_at < now]
        return sorted(jobs, key=lambda j: j.expires_at or now)[:limit]


class InMemoryTenantDirectory:
    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.keys: dict[str, ApiKey] = {}
        self.jobs_by_tenant: dict[str, dict[str, Job]] = {}
        self.stores: dict[str, InMemoryJobStore] = {}
        self.usage_by_tenant: dict[str, dict[date, DailyUsage]] = {}

    def create(self, tenant: Tenant, api_key_hash: str) -> None:
        if tenant.tenant_id in self.tenants:
            raise Conflict("exists", code="tenant_exists")
        self.tenants[tenant.tenant_id] = tenant
        self.keys[api_key_hash] = ApiKey(tenant.tenant_id, tenant.created_at)

    def get(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def save(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def list_tenants(self, *, limit: int) -> list[Tenant]:
        return [self.tenants[t] for t in sorted(self.tenants)][:limit]

    def api_key(self, api_key_hash: str) -> ApiKey | None:
        return self.keys.get(api_key_hash)

    def api_keys(self, tenant_id: str) -> list[tuple[str, ApiKey]]:
        return [(h, k) for h, k in self.keys.items() if k.tenant_id == tenant_id]

    def put_api_key(self, api_key_hash: str, key: ApiKey) -> None:
        self.keys[api_key_hash] = key

    def delete_api_key(self, api_key_hash: str) -> None:
        self.keys.pop(api_key_hash, None)

    def delete(self, tenant_id: str) -> int:
        jobs = self.jobs_by_tenant.pop(tenant_id, {})
        self.stores.pop(tenant_id, None)
        return len(jobs) + (self.tenants.pop(tenant_id, None) is not None)

    def jobs(self, tenant_id: str) -> InMemoryJobStore:
        if tenant_id not in self.stores:
            self.stores[tenant_id] = InMemoryJobStore(
                tenant_id, self.jobs_by_tenant.setdefault(tenant_id, {}), self.usage_by_tenant.setdefault(tenant_id, {})
            )
        return self.stores[tenant_id]


@dataclass
class InMemoryBucket:
    objects: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    generation: int = 1000
    unavailable: bool = False
    expiries: dict[str, datetime] = field(default_factory=dict[str, datetime])

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

    def write(
        self, relative_name: str, data: bytes, *, content_type: str, expires_at: datetime | None = None
    ) -> StoredObject:
        name = f"tenants/{self._tenant_id}/{relative_name}"
        gen = self._bucket.put(name, data)
        if expires_at is not None:
            self._bucket.expiries[name] = expires_at
        return StoredObject(f"gs://{self._bucket_name}/{name}", gen)

    def set_expiry(self, uri: str, expires_at: datetime, *, generation: int | None = None) -> bool:
        name = uri[len(f"gs://{self._bucket_name}/") :]
        stored = self._bucket.objects.get(name)
        if stored is None or (generation is not None and stored[1] != generation):
            return False
        if name in self._bucket.expiries and self._bucket.expiries[name] > expires_at:
            return False
        self._bucket.expiries[name] = expires_at
        return True

    def delete(self, uri: str, *, generation: int | None = None) -> bool:
        if self._bucket.unavailable:
            raise TransientError("storage down", code="backend_unavailable")
        prefix = f"gs://{self._bucket_name}/tenants/{self._tenant_id}/"
        if not uri.startswith(prefix) or "/../" in uri:
            raise Forbidden("outside", code="outside_tenant_prefix")
        name = uri[len(f"gs://{self._bucket_name}/") :]
        stored = self._bucket.objects.get(name)
        if stored is None or (generation is not None and stored[1] != generation):
            return False
        del self._bucket.objects[name]
        return True

    def delete_all(self) -> int:
        prefix = f"tenants/{self._tenant_id}/"
        names = [n for n in self._bucket.objects if n.startswith(prefix)]
        for name in names:
            del self._bucket.objects[name]
        return len(names)


@dataclass
class RecordingRejectionLog:
    records: list[dict[str, Any]] = field(default_factory=list)
    received: list[datetime] = field(default_factory=list)

    def record(self, message_id: str, *, code: str, reason: str, tenant_id: str | None, now: datetime) -> None:
        self.records.append({"message_id": message_id, "code": code, "reason": reason, "tenant_id": tenant_id})
        self.received.append(now)

    def delete_for_tenant(self, tenant_id: str) -> int:
        kept = [r for r in self.records if r["tenant_id"] != tenant_id]
        deleted = len(self.records) - len(kept)
        self.received[:] = [
            at for r, at in zip(self.records, self.received, strict=True) if r["tenant_id"] != tenant_id
        ]
        self.records[:] = kept
        return deleted

    def list_for_tenant(
        self, tenant_id: str, *, after: tuple[datetime, str] | None = None, limit: int = 20
    ) -> list[Rejection]:
        found = [
            Rejection(f"{i:08d}", r["code"], r["reason"], at)
            for i, (r, at) in enumerate(zip(self.records, self.received, strict=True))
            if r["tenant_id"] == tenant_id
        ]
        found = [r for r in found if after is None or (r.received_at, r.rejection_id) < after]
        return sorted(found, key=lambda r: (r.received_at, r.rejection_id), reverse=True)[:limit]


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
    expires_at: datetime | None = None


class InMemoryIdempotencyStore:
    def __init__(self, keys: dict[str, Record]):
        self.keys = keys

    def put_if_absent(
        self, key: str, *, job_id: str, request_hash: str, now: datetime, expires_at: datetime | None = None
    ) -> Record | None:
        if key in self.keys:
            return self.keys[key]
        self.keys[key] = Record(job_id, request_hash, False, now, expires_at)
        return None

    def mark_completed(self, key: str) -> None:
        self.keys[key] = dataclasses.replace(self.keys[key], completed=True)

    def delete(self, key: str) -> None:
        self.keys.pop(key, None)

    def forget_job(self, job_id: str) -> int:
        doomed = [k for k, r in self.keys.items() if r.job_id == job_id]
        for key in doomed:
            del self.keys[key]
        return len(doomed)
