"""Scheduling callbacks when jobs finish.

A job's callback URL is fixed when the job is created (the request's URL, else the tenant's
default webhook), so finishing a job needs no tenant read. When a job with a callback URL
reaches a terminal status its ``callback_status`` becomes ``pending`` in the same write, and one
Cloud Task is enqueued for ``notify``. The task id is derived from the job, the event and a
round, so a duplicate enqueue of the same round is refused by Cloud Tasks (task-name dedup).

If the enqueue is lost (the process died, Cloud Tasks was down) the callback stays ``pending``
and the sweeper enqueues it again; a redelivery of the finished job never enqueues, so a
callback is never enqueued twice by redeliveries.
"""

from __future__ import annotations

import hashlib

from common.errors import TransientError
from common.jobs.models import CallbackStatus, Job, JobStatus
from common.judges.models import Quality
from common.ports import TaskQueue
from common.telemetry.log import log
from common.webhooks.url_policy import check_callback_url

__all__ = ["CallbackScheduler", "callback_event", "callback_task_id"]


def callback_event(status: JobStatus, quality: Quality | None = None) -> str:
    """The event type of a finished job: ``job.completed``, ``job.flagged``, ``job.cancelled`` or ``job.failed``.

    A successful job that a judge flagged (:mod:`common.judges`) sends ``job.flagged``
    *instead of* ``job.completed``: one event per job, whose type says whether the output can be
    used as is. Its status is still ``success``.
    """
    if status is JobStatus.CANCELLED:
        return "job.cancelled"
    if status is not JobStatus.SUCCESS:
        return "job.failed"
    return "job.flagged" if quality is Quality.FLAGGED else "job.completed"


def callback_task_id(tenant_id: str, job_id: str, event: str, round_: str = "") -> str:
    """Deterministic Cloud Tasks task id for one job event (``[A-Za-z0-9_-]``, ≤ 500 chars).

    Args:
        tenant_id: The job's tenant.
        job_id: The job.
        event: ``job.completed`` or ``job.failed``.
        round_: ``""`` for the first enqueue; the sweeper passes a new round when it re-enqueues
            a callback whose task was lost (Cloud Tasks keeps a used task name reserved for a
            while, so a lost task cannot be recreated under its own name).
    """
    digest = hashlib.sha256(f"{tenant_id}\x1f{job_id}\x1f{event}\x1f{round_}".encode()).hexdigest()[:16]
    return f"{job_id}-{event.replace('.', '-')}-{digest}"


class CallbackScheduler:
    """Checks callback URLs and enqueues deliveries.

    Args:
        queue: The Cloud Tasks queue targeting ``notify``.
        allow_loopback: Dev-only loopback exception of the URL policy.
    """

    def __init__(self, *, queue: TaskQueue, allow_loopback: bool = False):
        self._queue = queue
        self._allow_loopback = allow_loopback

    def check_url(self, url: str) -> str:
        """Validate a callback URL at submission time.

        Raises:
            CallbackUrlRefused: See :func:`common.webhooks.url_policy.check_callback_url`.
        """
        return check_callback_url(url, allow_loopback=self._allow_loopback)

    def schedule(self, job: Job, *, round_: str = "") -> bool:
        """Enqueue the callback of a finished job whose callback is ``pending`` (or ``failing``, for the sweeper).

        Never raises for an unavailable queue: the callback stays ``pending`` and the sweeper
        enqueues it again.

        Returns:
            ``True`` when a task was enqueued now.
        """
        if not job.status.terminal or not job.callback_url:
            return False
        if job.callback_status not in (CallbackStatus.PENDING, CallbackStatus.FAILING):
            return False
        event = callback_event(job.status, job.quality)
        # A retried job's next outcome is a new event: its task must not collide with the first's.
        task_id = callback_task_id(
            job.tenant_id, job.job_id, event, f"{round_}r{job.retries}" if job.retries else round_
        )
        try:
            created = self._queue.enqueue_callback(
                task_id, {"tenant_id": job.tenant_id, "job_id": job.job_id, "event": event}
            )
        except TransientError as e:
            log(
                "callback.enqueue_failed",
                severity="WARNING",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                code=e.error_code,
            )
            return False
        log(
            "callback.enqueued" if created else "callback.already_enqueued",
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            event=event,
        )
        return created
