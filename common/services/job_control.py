"""Job control for a tenant: cancel a pending or running job, retry a failed one.

Both go through the state machine (:func:`common.jobs.lifecycle.cancel`,
:func:`common.jobs.lifecycle.retry`) inside one conditional write of the tenant-scoped store
(:meth:`common.ports.JobStore.update`: a read, then a write on the condition that the job did not
change), so a cancellation racing the worker's own writes is never lost and never overwrites an
outcome: whichever write lands second sees the first.

* Cancel: a ``pending`` job ends ``cancelled`` at once (a job message still on its way finds it
  terminal and is acked). A ``running`` job is marked; its attempt learns it at its next
  heartbeat and stops at its next checkpoint (between stages and model calls), then the job ends
  ``cancelled``. An attempt that finishes before it sees the mark keeps its outcome. The
  ``job.cancelled`` callback event is sent like the others. A job the cancellation ends at once
  is handed to ``finished`` (its usage-plan reservation is settled then; the sweeper settles it
  otherwise) and ends its telemetry like any terminal job (:func:`common.services.job_telemetry.job_finished`).
* Retry: a ``failed`` job goes back to ``pending`` as a new attempt, within the attempt cap
  (``AGENTJOBS_MAX_ATTEMPTS``), and its job message is published. If publishing fails the job
  still is ``pending``, and the sweeper republishes it (``AGENTJOBS_SWEEP_PENDING_AFTER_SECONDS``),
  so the answer is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common.api.views import iso, job_view
from common.errors import AgentJobsError
from common.jobs import lifecycle
from common.jobs.ids import is_job_id
from common.jobs.models import Job, JobStatus
from common.ports import Clock, JobPublisher, TenantDirectory
from common.retention.erasure import JobDeleted
from common.services.job_telemetry import job_finished
from common.services.status import JobNotFound
from common.telemetry.log import log

__all__ = ["JobControl"]


class JobControl:
    """Cancels and retries one tenant's jobs.

    Args:
        tenants: The tenant directory (job stores come from it).
        publisher: Builds the job publisher on first use (``status`` loads Pub/Sub only for a retry).
        clock: Current UTC time.
        max_attempts: The attempt cap (``AGENTJOBS_MAX_ATTEMPTS``).
        base_url: Public base URL of the HTTP API, for ``links``.
        finished: Called with a job the cancellation ended at once (enqueues its callback,
            settles its usage-plan reservation); ``None`` leaves that to the sweeper.
        admit_retry: Called with a failed job as its retry will store it (``pending``, its
            ``retries`` counted), before anything is written: admits the new run against the
            tenant's usage plan and reserves for it, or raises the plan's refusal (403, 402, 429).
            ``None`` admits every retry.
    """

    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        publisher: Callable[[], JobPublisher],
        clock: Clock,
        max_attempts: int,
        base_url: str,
        finished: Callable[[Job], None] | None = None,
        admit_retry: Callable[[Job], None] | None = None,
    ):
        self._tenants = tenants
        self._publisher = publisher
        self._clock = clock
        self._max_attempts = max_attempts
        self._base_url = base_url
        self._finished = finished
        self._admit_retry = admit_retry

    def _update(self, tenant_id: str, job_id: str, transition: Callable[[Job], Job]) -> Job:
        if not is_job_id(job_id):
            raise JobNotFound("no job with that id")

        def guarded(job: Job) -> Job:
            if job.status is JobStatus.DELETED:
                raise JobDeleted("the job was erased", details={"deleted_at": iso(job.deleted_at)})
            return transition(job)

        return self._tenants.jobs(tenant_id).update(job_id, guarded)

    def cancel(self, tenant_id: str, job_id: str) -> tuple[dict[str, Any], bool]:
        """Cancel a ``pending`` or ``running`` job.

        Returns:
            ``(job view, done)``: ``done`` is ``False`` while a running attempt has yet to stop
            (the view then shows ``status: running`` and ``cancel_requested_at``).

        Raises:
            JobNotFound: 404 ``job_not_found`` (also another tenant's job, or a malformed id).
            JobDeleted: 410 ``job_deleted``.
            NotCancellable: 409 ``job_not_cancellable`` for a ``success`` or ``failed`` job.
            TransientError: The store is unavailable.
        """
        seen: list[Job] = []

        def cancel(job: Job) -> Job:
            seen.append(job)
            return lifecycle.cancel(job, now=self._clock())

        job = self._update(tenant_id, job_id, cancel)
        log("job.cancel_requested", tenant_id=tenant_id, job_id=job.job_id, status=job.status.value)
        if job.status is JobStatus.CANCELLED and seen and not seen[-1].status.terminal:  # this call ended it
            job_finished(job)
            if self._finished is not None:
                self._finished(job)
        return job_view(job, base_url=self._base_url, summary=True), job.status is JobStatus.CANCELLED

    def retry(self, tenant_id: str, job_id: str) -> dict[str, Any]:
        """Run a ``failed`` job again as a new attempt.

        Returns:
            The job's view (``status: pending``).

        Raises:
            JobNotFound: 404 ``job_not_found``.
            JobDeleted: 410 ``job_deleted``.
            NotRetryable: 409 ``job_not_failed``.
            AttemptCapReached: 409 ``attempt_cap_reached``.
            PlanInactive: 403 ``plan_inactive``; ModelUnpriced: 403 ``model_unpriced``.
            BudgetExceeded: 402 ``budget_exceeded``.
            ConcurrencyLimited: 429 ``concurrency_limited``.
            TransientError: The store is unavailable.
        """
        if self._admit_retry is not None:
            # Refusals (not failed, attempt cap, then the plan's) come before any write. Should the
            # write below lose a race, the reservation stays for the winning retry of the same
            # round, or, with no retry at all, the sweeper settles it at 0.
            current = self._tenants.jobs(tenant_id).get(job_id) if is_job_id(job_id) else None
            if current is None:
                raise JobNotFound("no job with that id")
            if current.status is JobStatus.DELETED:
                raise JobDeleted("the job was erased", details={"deleted_at": iso(current.deleted_at)})
            self._admit_retry(lifecycle.retry(current, now=self._clock(), max_attempts=self._max_attempts))
        job = self._update(
            tenant_id, job_id, lambda j: lifecycle.retry(j, now=self._clock(), max_attempts=self._max_attempts)
        )
        try:
            self._publisher().publish_job(tenant_id, job.job_id)
        except AgentJobsError as e:
            # The job is pending: the sweeper republishes it, so the retry is not lost.
            log(
                "job.retry_publish_failed",
                severity="WARNING",
                tenant_id=tenant_id,
                job_id=job.job_id,
                code=e.error_code,
            )
        log("job.retried", tenant_id=tenant_id, job_id=job.job_id, attempts=job.attempts, retries=job.retries)
        return job_view(job, base_url=self._base_url, summary=True)
