"""The ``notify`` service: deliver one job event to its callback URL, signed.

Cloud Tasks calls ``notify`` with ``{tenant_id, job_id, event}``. A non-2xx answer from the
receiver (or a timeout) makes :meth:`Notifier.deliver` raise a transient error so that Cloud
Tasks retries. Every attempt is recorded on the job (time, HTTP status, latency; never the
body), and an event already delivered is not delivered again, which also absorbs duplicate
tasks where task-name dedup is unavailable (the local emulator).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from common.errors import InvalidRequest, PermanentError, TransientError
from common.jobs.models import CallbackAttempt, Job
from common.ports import Clock, TenantDirectory
from common.telemetry.log import log
from common.webhooks.events import callback_body, webhook_message_id
from common.webhooks.http_post import PostResult
from common.webhooks.signing import signed_headers
from common.webhooks.url_policy import CallbackUrlRefused, Resolver, check_callback_url, system_resolver

__all__ = ["CallbackFailed", "CallbackTask", "Notifier", "Poster", "parse_callback_task"]

EVENTS = frozenset({"job.completed", "job.failed"})


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
    """A Cloud Task's payload: which job event to deliver."""

    tenant_id: str
    job_id: str
    event: str


def parse_callback_task(payload: object) -> CallbackTask:
    """Validate a task payload.

    Raises:
        InvalidRequest: ``malformed_task``.
    """
    if not isinstance(payload, dict):
        raise InvalidRequest("task body must be a JSON object", code="malformed_task")
    fields = cast(dict[str, Any], payload)
    values = [fields.get(k) for k in ("tenant_id", "job_id", "event")]
    if not all(isinstance(v, str) and v for v in values) or fields["event"] not in EVENTS:
        raise InvalidRequest("task needs tenant_id, job_id and event (job.completed|job.failed)", code="malformed_task")
    return CallbackTask(str(values[0]), str(values[1]), str(values[2]))


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What :meth:`Notifier.deliver` did: ``delivered``, ``already_delivered`` or ``skipped``."""

    kind: str
    http_status: int | None = None


class Notifier:
    """Delivers signed callbacks.

    Args:
        tenants: Tenant directory (secrets, default URLs, job stores).
        poster: HTTP poster.
        clock: Current UTC time.
        base_url: Public base URL of the status API, for ``links``.
        timeout_seconds: Per-attempt timeout (s).
        allow_loopback: Dev-only loopback exception of the URL policy.
        resolve: Host resolver for the URL policy.
        monotonic: Clock for latency (s).
    """

    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        poster: Poster,
        clock: Clock,
        base_url: str,
        timeout_seconds: float = 10.0,
        allow_loopback: bool = False,
        resolve: Resolver = system_resolver,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._tenants = tenants
        self._poster = poster
        self._clock = clock
        self._base_url = base_url
        self._timeout = timeout_seconds
        self._allow_loopback = allow_loopback
        self._resolve = resolve
        self._monotonic = monotonic

    def deliver(self, task: CallbackTask) -> DeliveryOutcome:
        """Deliver one event.

        Raises:
            CallbackFailed: The receiver answered non-2xx or not at all (retry).
            PermanentError: The tenant or job is gone, or the URL is refused (no retry).
            TransientError: Firestore is unavailable (retry).
        """
        tenant = self._tenants.get(task.tenant_id)
        store = self._tenants.jobs(task.tenant_id)
        job = store.get(task.job_id) if tenant is not None else None
        if tenant is None or job is None:
            raise PermanentError("the job of this callback no longer exists", code="job_not_found")
        if _delivered(job, task.event):
            return DeliveryOutcome("already_delivered")
        url = job.callback_url or tenant.webhook_url
        if not url:
            return DeliveryOutcome("skipped")
        now = self._clock()
        try:
            check_callback_url(url, allow_loopback=self._allow_loopback, resolve=self._resolve)
        except CallbackUrlRefused as e:
            store.add_callback_attempt(job.job_id, CallbackAttempt(now, task.event, None, 0.0, "url_refused"))
            raise PermanentError(e.message, code=e.error_code) from e
        body = callback_body(job, task.event, base_url=self._base_url)
        headers = signed_headers(
            tenant.webhook_secret,
            message_id=webhook_message_id(task.tenant_id, task.job_id, task.event),
            timestamp=now,
            body=body,
        )
        started = self._monotonic()
        result = self._poster.post(url, body, headers, timeout=self._timeout)
        latency_ms = round((self._monotonic() - started) * 1000, 1)
        store.add_callback_attempt(
            job.job_id, CallbackAttempt(now, task.event, result.http_status, latency_ms, result.error)
        )
        log(
            "callback.attempt",
            tenant_id=task.tenant_id,
            job_id=task.job_id,
            event=task.event,
            http_status=result.http_status,
            latency_ms=latency_ms,
            error=result.error,
        )
        if result.http_status is None or not 200 <= result.http_status < 300:
            raise CallbackFailed(f"receiver answered {result.http_status or result.error}")
        return DeliveryOutcome("delivered", result.http_status)


def _delivered(job: Job, event: str) -> bool:
    return any(a.event == event and a.http_status is not None and 200 <= a.http_status < 300 for a in job.callbacks)
