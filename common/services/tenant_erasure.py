"""Erasing a tenant: every job, key, record and object it has, then the tenant itself.

``agentjobs tenants delete`` runs this with the operator's credentials, in an order that keeps
each step safe to repeat and leaves nothing to run in between:

1. deactivate the tenant, so its keys stop working (at once on new instances, within
   ``AGENTJOBS_AUTH_CACHE_SECONDS`` on warm ones) and its inbox drops and upstream requests
   are rejected;
2. erase its ``pending`` jobs (tombstones), so no queued message can start one;
3. refuse (409 ``tenant_jobs_running``) while a job is still ``running``: its worker holds
   content and may still write a result; run the command again once it has finished;
4. delete its API keys, every object under ``tenants/{tenant}/`` in the bucket, its rejection
   records, and last its record with everything under it (jobs, tombstones, idempotency keys).

A run interrupted half-way is completed by running it again: each step finds what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from common.errors import Conflict, NotFound
from common.jobs.models import JobStatus
from common.ports import BlobStore, RejectionLog, TenantDirectory
from common.retention.erasure import JobRunning
from common.services.erasure import JobEraser
from common.telemetry.log import log
from common.tenants.models import validate_tenant_id

__all__ = ["TenantErased", "TenantEraser", "TenantJobsRunning"]

_PAGE = 100


class TenantJobsRunning(Conflict):
    """The tenant still has running jobs; it is deactivated, and erasure can be run again later."""

    code = "tenant_jobs_running"


@dataclass(frozen=True, slots=True)
class TenantErased:
    """What one erasure deleted (counts)."""

    pending_jobs: int
    api_keys: int
    objects: int
    rejections: int
    documents: int


class TenantEraser:
    """Erases tenants.

    Args:
        tenants: The tenant directory.
        rejections: The rejection records.
        blobs_for: Builds a tenant's blob store.
        jobs: Erases single jobs (for the pending ones).
    """

    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        rejections: RejectionLog,
        blobs_for: Callable[[str], BlobStore],
        jobs: JobEraser,
    ):
        self._tenants = tenants
        self._rejections = rejections
        self._blobs_for = blobs_for
        self._jobs = jobs

    def erase(self, tenant_id: str) -> TenantErased:
        """Erase the tenant and all its data.

        Raises:
            UnprocessableEntity: ``invalid_tenant_id``.
            NotFound: ``tenant_not_found`` when neither the tenant nor any key of it exists.
            TenantJobsRunning: 409; the tenant is deactivated and its pending jobs erased.
            TransientError: A backend is unavailable; run it again.
        """
        validate_tenant_id(tenant_id)
        tenant = self._tenants.get(tenant_id)
        keys = self._tenants.api_keys(tenant_id)
        if tenant is None and not keys:
            raise NotFound("no such tenant", code="tenant_not_found")
        if tenant is not None and tenant.active:
            self._tenants.save(tenant.replace(active=False))
        store = self._tenants.jobs(tenant_id)
        pending = 0
        while batch := store.list(status=JobStatus.PENDING, limit=_PAGE):
            for job in batch:
                try:
                    self._jobs.erase(job)
                    pending += 1
                except JobRunning:
                    pass  # claimed meanwhile: counted as running below
        running = store.list(status=JobStatus.RUNNING, limit=_PAGE)
        if running:
            raise TenantJobsRunning(
                f"{len(running)} job(s) still running; the tenant is deactivated and its pending jobs erased: "
                "run this again once they have finished"
            )
        for key_hash, _ in keys:
            self._tenants.delete_api_key(key_hash)
        objects = self._blobs_for(tenant_id).delete_all()
        rejections = self._rejections.delete_for_tenant(tenant_id)
        documents = self._tenants.delete(tenant_id)
        erased = TenantErased(pending, len(keys), objects, rejections, documents)
        log(
            "tenant.erased",
            tenant_id=tenant_id,
            pending_jobs=pending,
            api_keys=len(keys),
            objects=objects,
            rejections=rejections,
            documents=documents,
        )
        return erased
