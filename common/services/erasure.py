"""Erasing jobs: on request (``DELETE /v1/jobs/{id}``) and when they expire.

On request, a job's stored objects (the upload or inbox object its input names inside the
tenant's prefix, and its offloaded result) and its idempotency keys are deleted first, then the
job document is replaced by a tombstone (:func:`common.retention.erasure.tombstone`) in one
transaction, so no field of the old record survives. Objects go first so that a crash half-way
leaves the job (and its pointers) in place for a retry; a job that finished between the check
and the tombstone (its result written meanwhile) has that result deleted too.

At expiry (the local stack's sweeper; Firestore's TTL in production) the job document is
deleted outright, tombstones included, after its objects and keys.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from common.errors import Forbidden
from common.jobs import lifecycle
from common.jobs.models import Job, JobStatus
from common.ports import BlobStore, Clock, IdempotencyStore, TenantDirectory
from common.retention import erasure
from common.telemetry.log import log

__all__ = ["JobEraser"]


class JobEraser:
    """Deletes what a job holds.

    Args:
        tenants: The tenant directory (job stores come from it).
        blobs_for: Builds a tenant's blob store; called only for jobs that own objects.
        idempotency_for: Builds a tenant's idempotency store.
        bucket: The tenants' bucket (object references outside it are not the job's).
        clock: Current UTC time.
    """

    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        blobs_for: Callable[[str], BlobStore],
        idempotency_for: Callable[[str], IdempotencyStore],
        bucket: str,
        clock: Clock,
    ):
        self._tenants = tenants
        self._blobs_for = blobs_for
        self._idempotency_for = idempotency_for
        self._bucket = bucket
        self._clock = clock

    def erase(self, job: Job) -> Job:
        """Erase ``job`` at once, leaving its tombstone.

        Args:
            job: The job as the caller's tenant-scoped store returned it.

        Returns:
            The tombstone (``job`` itself when it already was one).

        Raises:
            JobRunning: 409 ``job_running`` (nothing was deleted, unless the job started
                running after the check: then its input objects are gone and its run fails).
            TransientError: A backend is unavailable; what was deleted stays deleted, and the
                job keeps its document until a retry completes.
        """
        if job.status is JobStatus.DELETED:
            return job
        erasure.check_erasable(job)
        deleted = self._delete_objects(job, set())
        self._idempotency_for(job.tenant_id).forget_job(job.job_id)
        seen: list[Job] = []

        def to_tombstone(current: Job) -> Job:
            seen.append(current)
            return erasure.tombstone(current, now=self._clock())

        tomb = self._tenants.jobs(job.tenant_id).erase(job.job_id, to_tombstone)
        if seen:  # objects written after the first look (a result stored meanwhile)
            self._delete_objects(seen[-1], deleted)
        log("job.erased", tenant_id=job.tenant_id, job_id=job.job_id, objects=len(deleted))
        return tomb

    def expire(self, job: Job) -> bool:
        """Delete an expired job's objects, keys and document (no tombstone).

        Returns:
            ``False`` when the job is running under a live lease (left for a later sweep).

        Raises:
            TransientError: A backend is unavailable.
        """
        if lifecycle.lease_live(job, self._clock()):
            return False
        deleted = self._delete_objects(job, set())
        self._idempotency_for(job.tenant_id).forget_job(job.job_id)
        self._tenants.jobs(job.tenant_id).delete(job.job_id)
        log("job.expired", tenant_id=job.tenant_id, job_id=job.job_id, objects=len(deleted))
        return True

    def _delete_objects(self, job: Job, done: set[str]) -> set[str]:
        refs = [r for r in erasure.owned_objects(job, bucket=self._bucket) if r.uri not in done]
        if refs:
            blobs = self._blobs_for(job.tenant_id)
            for ref in refs:
                # Forbidden: not a plain object name inside the prefix, so never the tenant's object.
                with contextlib.suppress(Forbidden):
                    blobs.delete(ref.uri, generation=ref.generation)
                done.add(ref.uri)
        return done
