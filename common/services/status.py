"""The ``status`` service: a tenant looks up, lists and erases its own jobs.

Another tenant's job id answers exactly like an unknown id (404 ``job_not_found``): the lookup
goes through the caller's tenant-scoped store, so the other tenant's job is never read. An
erased job answers 410 ``job_deleted`` (its tombstone shows in listings as ``deleted``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from common.api.queries import ListJobsQuery
from common.api.views import iso, job_view
from common.errors import Conflict, NotFound
from common.jobs.ids import is_job_id
from common.jobs.models import Job, JobStatus
from common.ports import BlobStore, TenantDirectory
from common.retention.erasure import JobDeleted
from common.services.erasure import JobEraser

__all__ = ["JobNotFound", "StatusService"]

_MAX_RESULT_BYTES = 32 * 1024 * 1024


class JobNotFound(NotFound):
    """No job with that id in the caller's tenant."""

    code = "job_not_found"


class FeedbackRefused(Conflict):
    """Feedback on a job that has no successful output, or has too much feedback already."""

    code = "feedback_refused"


class StatusService:
    """Job lookups for one authenticated tenant at a time.

    Args:
        tenants: The tenant directory (job stores come from it).
        blobs_for: Builds a tenant's blob store; called only for results offloaded to storage,
            so ``status`` loads the Cloud Storage SDK only when it needs it.
        base_url: Public base URL of the HTTP API, for ``links``.
        eraser: Erases jobs (``DELETE``).
    """

    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        blobs_for: Callable[[str], BlobStore],
        base_url: str,
        eraser: JobEraser,
    ):
        self._tenants = tenants
        self._blobs_for = blobs_for
        self._base_url = base_url
        self._eraser = eraser

    def _find(self, tenant_id: str, job_id: str) -> Job:
        job = self._tenants.jobs(tenant_id).get(job_id) if is_job_id(job_id) else None
        if job is None:
            raise JobNotFound("no job with that id")
        return job

    def get_job(self, tenant_id: str, job_id: str) -> dict[str, Any]:
        """The job's view, including its result.

        Raises:
            JobNotFound: No such job in this tenant (also for malformed ids).
            JobDeleted: 410 ``job_deleted``: the job was erased (``deleted_at`` in the error).
            TransientError: A backend is unavailable.
        """
        job = self._find(tenant_id, job_id)
        if job.status is JobStatus.DELETED:
            raise JobDeleted("the job was erased", details={"deleted_at": iso(job.deleted_at)})
        result: dict[str, Any] | None = None
        if job.result is None and job.result_ref is not None:
            raw = self._blobs_for(tenant_id).read(job.result_ref, max_bytes=_MAX_RESULT_BYTES)
            result = cast(dict[str, Any], json.loads(raw))
        return job_view(job, base_url=self._base_url, result=result)

    def add_feedback(self, tenant_id: str, job_id: str, body: bytes, *, now: datetime) -> dict[str, Any]:
        """Store a reviewer's feedback on a successful job's output (one read, one write).

        Returns:
            The job's summary view with its feedback.

        Raises:
            InvalidRequest: ``invalid_feedback`` (see :func:`common.judges.feedback.parse_feedback`).
            JobNotFound: No such job in this tenant (also for malformed ids).
            FeedbackRefused: 409 ``feedback_refused``: the job has no successful output, or has
                :data:`~common.judges.feedback.MAX_FEEDBACK` entries already.
            TransientError: A backend is unavailable.
        """
        from common.judges.feedback import MAX_FEEDBACK, Feedback, parse_feedback

        verdict, field, comment_code = parse_feedback(body)
        self._find(tenant_id, job_id)

        def add(job: Job) -> Job:
            if job.status is not JobStatus.SUCCESS:
                raise FeedbackRefused("feedback is for successful jobs only")
            if len(job.feedback) >= MAX_FEEDBACK:
                raise FeedbackRefused(f"a job keeps at most {MAX_FEEDBACK} feedback entries")
            quality = None if job.quality is None else job.quality.value
            entry = Feedback(verdict=verdict, at=now, field=field, comment_code=comment_code, quality=quality)
            return job.replace(feedback=(*job.feedback, entry), updated_at=now)

        job = self._tenants.jobs(tenant_id).update(job_id, add)
        from common.telemetry import get

        get().record_feedback(agent=job.agent, verdict=verdict, quality=job.quality.value if job.quality else "none")
        return job_view(job, base_url=self._base_url, summary=True) | {
            "feedback": job_view(job, base_url=self._base_url).get("feedback", [])
        }

    def delete_job(self, tenant_id: str, job_id: str) -> dict[str, Any]:
        """Erase the job's input, result, stored objects and callback log at once.

        Idempotent: erasing a tombstone again answers the same.

        Returns:
            The tombstone's view (``status: "deleted"``, ids and timestamps only).

        Raises:
            JobNotFound: No such job in this tenant (also for malformed ids), exactly as for GET.
            JobRunning: 409 ``job_running``.
            TransientError: A backend is unavailable.
        """
        job = self._find(tenant_id, job_id)
        return job_view(self._eraser.erase(job), base_url=self._base_url, summary=True)

    def list_jobs(self, tenant_id: str, query: ListJobsQuery) -> dict[str, Any]:
        """``{"jobs": [summary views], "count": n}``, newest first.

        Raises:
            TransientError: The store is unavailable.
        """
        if query.quality is not None and query.status not in (None, JobStatus.SUCCESS):
            return {"jobs": [], "count": 0}  # only successful jobs have a quality
        jobs = self._tenants.jobs(tenant_id).list(status=query.status, limit=query.limit, quality=query.quality)
        views = [job_view(j, base_url=self._base_url, summary=True) for j in jobs]
        return {"jobs": views, "count": len(views)}
