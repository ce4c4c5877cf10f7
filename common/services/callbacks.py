"""Scheduling callbacks when jobs finish.

When a job with a callback URL (its own, or its tenant's default) reaches ``success`` or
``failed``, one Cloud Task is enqueued for the ``notify`` function. The task id is derived from
the job id and the event, so redeliveries and retries cannot enqueue it twice (Cloud Tasks
refuses a duplicate task name).
"""

from __future__ import annotations

import hashlib

from common.jobs.models import Job, JobStatus
from common.ports import TaskQueue, TenantDirectory
from common.telemetry.log import log
from common.webhooks.url_policy import check_callback_url

__all__ = ["CallbackScheduler", "callback_event", "callback_task_id"]


def callback_event(status: JobStatus) -> str:
    """The event type for a terminal status: ``job.completed`` or ``job.failed``."""
    return "job.completed" if status is JobStatus.SUCCESS else "job.failed"


def callback_task_id(tenant_id: str, job_id: str, event: str) -> str:
    """Deterministic Cloud Tasks task id for one job event (``[A-Za-z0-9_-]``, ≤ 500 chars)."""
    digest = hashlib.sha256(f"{tenant_id}\x1f{job_id}\x1f{event}".encode()).hexdigest()[:16]
    return f"{job_id}-{event.replace('.', '-')}-{digest}"


class CallbackScheduler:
    """Checks callback URLs and enqueues deliveries.

    Args:
        queue: The Cloud Tasks queue targeting ``notify``.
        tenants: For the tenant's default webhook URL.
        allow_loopback: Dev-only loopback exception of the URL policy.
    """

    def __init__(self, *, queue: TaskQueue, tenants: TenantDirectory, allow_loopback: bool = False):
        self._queue = queue
        self._tenants = tenants
        self._allow_loopback = allow_loopback

    def check_url(self, url: str) -> str:
        """Validate a callback URL at submission time.

        Raises:
            CallbackUrlRefused: See :func:`common.webhooks.url_policy.check_callback_url`.
        """
        return check_callback_url(url, allow_loopback=self._allow_loopback)

    def schedule(self, job: Job) -> None:
        """Enqueue the callback of a finished job, if it has a callback URL.

        Raises:
            TransientError: Cloud Tasks is unavailable (the delivery is retried, and the
                deterministic task id keeps the retry from enqueueing twice).
        """
        if not job.status.terminal:
            return
        url = job.callback_url
        if url is None:
            tenant = self._tenants.get(job.tenant_id)
            url = tenant.webhook_url if tenant else None
        if not url:
            return
        event = callback_event(job.status)
        task_id = callback_task_id(job.tenant_id, job.job_id, event)
        created = self._queue.enqueue_callback(
            task_id, {"tenant_id": job.tenant_id, "job_id": job.job_id, "event": event}
        )
        log(
            "callback.enqueued" if created else "callback.already_enqueued",
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            event=event,
        )
