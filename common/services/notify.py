"""The ``notify`` service: deliver one job event to its callback URL, signed.

Cloud Tasks calls ``notify`` with ``{tenant_id, job_id, event}`` and the attempt number in
``X-CloudTasks-TaskRetryCount``. A non-2xx answer from the receiver (or a timeout) makes
:meth:`Notifier.deliver` raise a transient error so that Cloud Tasks retries on the queue's
backoff (:data:`common.topology.CALLBACKS_QUEUE`: about a day). Every attempt is recorded on the
job with the callback's status (``delivered``, ``failing``, or ``abandoned`` when the queue's
last attempt fails) in one write without a read; the body is never recorded. An event already
delivered is not delivered again, which also absorbs duplicate tasks where task-name dedup is
unavailable (the local emulator); nor is one of a job erased meanwhile.

Signatures use every valid webhook secret of the tenant (two during a rotation's grace period),
decrypted once per instance (:class:`~common.services.webhook_secrets.SigningSecrets`).

``tenant.budget_warning`` tasks (:mod:`common.plans.warnings`) carry their figures and go to the
tenant's default webhook URL; their attempts are logged (there is no job to record them on).

A task that can never be delivered (malformed, or its job or tenant is gone) is acked and
recorded in the rejection log (:meth:`Notifier.handle`), like a delivery to ``run_agent`` that
can never form a job: nothing is acked without a record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from common.boundary.ids import IdKind, event_ref, is_valid_id, parse_uint
from common.errors import AgentJobsError, InvalidRequest, PermanentError, TransientError
from common.jobs.models import CallbackAttempt, CallbackStatus, Job, JobStatus
from common.plans.warnings import BudgetWarning, parse_budget_warning
from common.ports import Clock, RejectionLog, TenantDirectory
from common.services.callbacks import callback_event
from common.services.tenant_cache import TenantCache
from common.services.webhook_secrets import SigningSecrets
from common.telemetry.log import log
from common.webhooks.events import callback_body, webhook_message_id
from common.webhooks.http_post import PostResult
from common.webhooks.signing import signed_headers
from common.webhooks.url_policy import CallbackUrlRefused, Resolver, check_callback_url, system_resolver

__all__ = ["EVENTS", "CallbackFailed", "CallbackTask", "DeliveryOutcome", "Notifier", "Poster", "parse_callback_task"]

EVENTS = frozenset({"job.completed", "job.flagged", "job.failed", "job.cancelled"})


class CallbackFailed(TransientError):
    """The receiver did not answer 2xx in time; Cloud Tasks retries."""

    code = "callback_failed"


class Poster(Protocol):
    """Posts a callback; see :class:`common.webhooks.http_post.RequestsPoster`."""

    def post(self, url: str, body: str, headers: Mapping[str, str], *, timeout: float) -> PostResult:
        """POST and return the status or the failure reason. Never raises for network errors."""
        ...


@dataclass(frozen=True, slots=True)
class CallbackTask:
    """A Cloud Task's payload and its attempt number.

    Attributes:
        tenant_id: Valid tenant id.
        job_id: Valid job id.
        event: One of :data:`EVENTS`.
        attempt: 1 for the first dispatch (``X-CloudTasks-TaskRetryCount`` + 1).
    """

    tenant_id: str
    job_id: str
    event: str
    attempt: int = 1


def parse_callback_task(payload: object, *, retry_count: object = None) -> CallbackTask:
    """Validate a task payload and its retry-count header.

    Args:
        payload: The parsed JSON body.
        retry_count: The ``X-CloudTasks-TaskRetryCount`` header, if any.

    Raises:
        InvalidRequest: ``malformed_task`` (ids are checked against the id grammar).
    """
    if not isinstance(payload, dict):
        raise InvalidRequest("task body must be a JSON object", code="malformed_task")
    fields = cast(dict[str, Any], payload)
    tenant_id, job_id, event = fields.get("tenant_id"), fields.get("job_id"), fields.get("event")
    if not is_valid_id(IdKind.TENANT, tenant_id) or not is_valid_id(IdKind.JOB, job_id) or event not in EVENTS:
        raise InvalidRequest(
            "task needs tenant_id, job_id and event (job.completed|job.flagged|job.failed|job.cancelled)",
            code="malformed_task",
        )
    retries = parse_uint(retry_count, maximum=1_000_000) if retry_count is not None else 0
    return CallbackTask(str(tenant_id), str(job_id), str(event), (retries or 0) + 1)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What :meth:`Notifier.deliver` did: ``delivered``, ``already_delivered``, ``abandoned`` or ``skipped``.

    :meth:`Notifier.handle` adds ``rejected`` (recorded in the rejection log, with ``code``).
    """

    kind: str
    http_status: int | None = None
    code: str | None = None


class Notifier:
    """Delivers signed callbacks.

    Args:
        tenants: Tenant directory (secrets, job stores).
        signing: Decrypts the tenants' webhook secrets.
        poster: HTTP poster.
        clock: Current UTC time.
        base_url: Public base URL of the status API, for ``links``.
        max_attempts: The queue's max attempts; a failure on that attempt abandons the callback.
        timeout_seconds: Per-attempt timeout (s).
        allow_loopback: Dev-only loopback exception of the URL policy.
        cache_seconds: How long a tenant's record (its webhook secret) is reused (s).
        resolve: Host resolver for the URL policy.
        monotonic: Clock for latency (s).
        rejections: Where tasks that can never be delivered are recorded; ``None``: not recorded.
    """

    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        signing: SigningSecrets,
        poster: Poster,
        clock: Clock,
        base_url: str,
        max_attempts: int = 16,
        timeout_seconds: float = 10.0,
        allow_loopback: bool = False,
        cache_seconds: float = 60.0,
        resolve: Resolver = system_resolver,
        monotonic: Callable[[], float] = time.monotonic,
        rejections: RejectionLog | None = None,
    ):
        self._tenants = tenants
        self._tenant_cache = TenantCache(tenants, ttl_seconds=cache_seconds)
        self._signing = signing
        self._poster = poster
        self._clock = clock
        self._base_url = base_url
        self._max_attempts = max_attempts
        self._timeout = timeout_seconds
        self._allow_loopback = allow_loopback
        self._resolve = resolve
        self._monotonic = monotonic
        self._rejections = rejections

    def handle(self, payload: object, *, retry_count: object = None, task_name: object = None) -> DeliveryOutcome:
        """Parse one task and deliver it; record the task instead when it can never be delivered.

        Args:
            payload: The parsed JSON body (anything: it is validated here).
            retry_count: The ``X-CloudTasks-TaskRetryCount`` header, if any.
            task_name: The ``X-CloudTasks-TaskName`` header, if any; keys the rejection record
                (see :func:`common.boundary.ids.event_ref`; never stored when malformed).

        Returns:
            As :meth:`deliver`, or ``rejected`` with a code (``malformed_task``,
            ``job_not_found``, ``tenant_not_found``, ...) once recorded.

        Raises:
            CallbackFailed: The receiver failed and attempts remain (retry).
            PermanentError: ``callback_url_refused``: recorded on the job (its callback is abandoned).
            TransientError: Firestore is unavailable (retry).
        """
        ref = event_ref(task_name)
        try:
            warning = parse_budget_warning(payload)
            if warning is not None:
                return self._tenant_event(warning, retry_count)
            task = parse_callback_task(payload, retry_count=retry_count)
        except InvalidRequest as e:
            return self._reject(ref, e)
        try:
            return self.deliver(task)
        except TransientError:
            raise
        except AgentJobsError as e:
            if e.error_code == CallbackUrlRefused.code:
                raise  # recorded on the job: its callback is abandoned
            return self._reject(ref, e)

    def _tenant_event(self, warning: BudgetWarning, retry_count: object) -> DeliveryOutcome:
        """Deliver a ``tenant.budget_warning`` to the tenant's default webhook (no job to record it on).

        Raises:
            CallbackFailed: The receiver failed and attempts remain (retry).
        """
        attempt = (parse_uint(retry_count, maximum=1_000_000) or 0) + 1 if retry_count is not None else 1
        tenant = self._tenant_cache.get(warning.tenant_id)
        if tenant is None or not tenant.webhook_url:
            return DeliveryOutcome("skipped")
        now = self._clock()
        try:
            check_callback_url(tenant.webhook_url, allow_loopback=self._allow_loopback, resolve=self._resolve)
        except CallbackUrlRefused:
            log("plan.warning_url_refused", severity="WARNING", tenant_id=warning.tenant_id)
            return DeliveryOutcome("skipped")
        body = warning.body()
        headers = signed_headers(
            self._signing.for_tenant(tenant, now=now), message_id=warning.message_id(), timestamp=now, body=body
        )
        result = self._poster.post(tenant.webhook_url, body, headers, timeout=self._timeout)
        ok = result.http_status is not None and 200 <= result.http_status < 300
        log(
            "plan.warning_attempt",
            tenant_id=warning.tenant_id,
            attempt=attempt,
            http_status=result.http_status,
            error=result.error,
        )
        if ok:
            return DeliveryOutcome("delivered", result.http_status)
        if attempt >= self._max_attempts:
            return DeliveryOutcome("abandoned", result.http_status)
        raise CallbackFailed(f"receiver answered {result.http_status or result.error or 'nothing'}")

    def _reject(self, ref: str, error: AgentJobsError) -> DeliveryOutcome:
        # No tenant id on the record: the task's may name a tenant that does not exist.
        if self._rejections is not None:
            self._rejections.record(ref, code=error.error_code, reason=error.message, tenant_id=None, now=self._clock())
        log("callback.rejected", severity="WARNING", event_id=ref, code=error.error_code)
        return DeliveryOutcome("rejected", code=error.error_code)

    def deliver(self, task: CallbackTask) -> DeliveryOutcome:
        """Deliver one event.

        Raises:
            CallbackFailed: The receiver answered non-2xx or not at all, and attempts remain (retry).
            PermanentError: The tenant or job is gone, the URL is refused, or the tenant has no
                usable webhook secret (no retry).
            TransientError: Firestore or the key service is unavailable (retry).
        """
        store = self._tenants.jobs(task.tenant_id)
        job = store.get(task.job_id)
        if job is None:
            raise PermanentError("the job of this callback no longer exists", code="job_not_found")
        if job.status is JobStatus.DELETED:
            return DeliveryOutcome("skipped")  # erased: its callback URL is gone with it
        if job.callback_status in (CallbackStatus.DELIVERED, CallbackStatus.ABANDONED) or _delivered(job, task.event):
            return DeliveryOutcome("already_delivered")
        if not job.status.terminal or callback_event(job.status, job.quality) != task.event:
            return DeliveryOutcome("skipped")  # an earlier outcome's task, after the client retried the job
        tenant = self._tenant_cache.get(task.tenant_id)
        if tenant is None:
            raise PermanentError("the tenant of this callback no longer exists", code="tenant_not_found")
        url = job.callback_url or tenant.webhook_url
        if not url:
            return DeliveryOutcome("skipped")
        now = self._clock()
        try:
            check_callback_url(url, allow_loopback=self._allow_loopback, resolve=self._resolve)
        except CallbackUrlRefused as e:
            attempt = CallbackAttempt(now, task.event, None, 0.0, "url_refused")
            store.record_callback(job.job_id, attempt, status=CallbackStatus.ABANDONED, error="url_refused")
            raise PermanentError(e.message, code=e.error_code) from e
        body = callback_body(job, task.event, base_url=self._base_url)
        headers = signed_headers(
            self._signing.for_tenant(tenant, now=now),
            message_id=webhook_message_id(task.tenant_id, task.job_id, task.event, retries=job.retries),
            timestamp=now,
            body=body,
        )
        started = self._monotonic()
        result = self._poster.post(url, body, headers, timeout=self._timeout)
        latency_ms = round((self._monotonic() - started) * 1000, 1)
        ok = result.http_status is not None and 200 <= result.http_status < 300
        error = None if ok else (f"http_{result.http_status}" if result.http_status else (result.error or "no_answer"))
        final = task.attempt >= self._max_attempts
        status = CallbackStatus.DELIVERED if ok else CallbackStatus.ABANDONED if final else CallbackStatus.FAILING
        store.record_callback(
            job.job_id,
            CallbackAttempt(now, task.event, result.http_status, latency_ms, result.error),
            status=status,
            error=error,
            read=job,
        )
        log(
            "callback.attempt",
            tenant_id=task.tenant_id,
            job_id=task.job_id,
            event=task.event,
            attempt=task.attempt,
            http_status=result.http_status,
            latency_ms=latency_ms,
            error=result.error,
            callback_status=status.value,
        )
        if status is CallbackStatus.FAILING:
            raise CallbackFailed(f"receiver answered {error}")
        if status is CallbackStatus.ABANDONED:
            return DeliveryOutcome("abandoned", result.http_status)
        return DeliveryOutcome("delivered", result.http_status)


def _delivered(job: Job, event: str) -> bool:
    return any(a.event == event and a.http_status is not None and 200 <= a.http_status < 300 for a in job.callbacks)
