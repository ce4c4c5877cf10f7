"""``GET /v1/jobs/{id}/events``: a job's events as a resumable Server-Sent Events stream.

The stream polls the job's events log (:meth:`common.ports.JobStore.events`) and sends each event
once, in ``seq`` order, after the ``Last-Event-ID`` the client gives, so a client that
reconnects with the last ``id`` it saw misses nothing and sees nothing twice. It ends:

* after the job's outcome (``succeeded``, ``failed``, ``cancelled``), or at once when the job
  has finished and the client has every event up to its outcome;
* after ``max_seconds``, with a ``retry:`` hint: a streaming request is billed while open and
  Cloud Run ends it at the function's timeout;
* when the events log cannot be read (a ``retry:`` hint: the client resumes).

Polling rather than a Firestore listener: each poll is one query (one read when nothing is new,
one per page otherwise), the request holds no gRPC watch stream or background thread, and the
latency is bounded by ``poll_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from common.errors import AgentJobsError, InvalidRequest
from common.events.models import EventType
from common.events.sse import KEEP_ALIVE, PROBE, event_frame, retry_frame
from common.jobs.ids import is_job_id
from common.jobs.models import JobStatus
from common.ports import JobStore, TenantDirectory
from common.retention.erasure import JobDeleted
from common.telemetry.log import log

__all__ = ["EventStreamService", "InvalidLastEventId", "parse_last_event_id"]

_RETRY_MS = 1000
_MAX_SEQ_DIGITS = 9
"""A seq has at most 9 digits (the OpenAPI document's pattern ``^[0-9]{1,9}$`` says the same)."""


class InvalidLastEventId(InvalidRequest):
    """``Last-Event-ID`` (or ``last_event_id``) is not a non-negative integer (400)."""

    code = "invalid_last_event_id"


def parse_last_event_id(header: str | None, query: str | None) -> int:
    """The ``seq`` to resume after: the ``Last-Event-ID`` header, else ``last_event_id``, else 0.

    The query parameter serves clients that cannot set headers (a browser's first ``EventSource``).

    Raises:
        InvalidLastEventId: The value is not an integer of 1 to 9 digits.
    """
    raw = header if header not in (None, "") else query
    if raw in (None, ""):
        return 0
    assert raw is not None
    text = raw.strip()
    if not (0 < len(text) <= _MAX_SEQ_DIGITS and text.isascii() and text.isdigit()):
        raise InvalidLastEventId("Last-Event-ID must be the id (seq) of an event of this stream")
    return int(text)


@dataclass(frozen=True, slots=True)
class EventStreamService:
    """Opens event streams for a tenant's jobs.

    Attributes:
        tenants: The tenant directory (the job store of the caller's tenant).
        poll_seconds: Pause between looks at the events log (s).
        keepalive_seconds: Quiet time before a keep-alive comment (s).
        max_seconds: Longest a stream stays open (s).
        monotonic: Clock (s).
        sleep: Pause (s).
    """

    tenants: TenantDirectory
    poll_seconds: float = 0.5
    keepalive_seconds: float = 15.0
    max_seconds: float = 300.0
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def open(self, tenant_id: str, job_id: str, *, after: int) -> Iterator[str]:
        """Check the job, then return the stream of SSE frames after ``after``.

        The checks run now, so their errors become an ordinary JSON error response; the
        returned iterator never raises.

        Raises:
            JobNotFound: No such job in this tenant (also for malformed ids): 404.
            JobDeleted: 410 ``job_deleted``: the job was erased.
            TransientError: Firestore is unavailable.
        """
        from common.services.status import JobNotFound

        store = self.tenants.jobs(tenant_id)
        job = store.get(job_id) if is_job_id(job_id) else None
        if job is None:
            raise JobNotFound("no job with that id")
        if job.status is JobStatus.DELETED:
            raise JobDeleted("the job was erased")
        # A finished job's log ends at its event_seq (its outcome, then maybe callback_delivered).
        last = job.event_seq if job.status.terminal else None
        return self._frames(store, job_id, after=after, last=last)

    def _frames(self, store: JobStore, job_id: str, *, after: int, last: int | None) -> Iterator[str]:
        started = quiet_since = self.monotonic()
        # The retry hint first: a client that loses the connection early reconnects promptly.
        yield retry_frame(_RETRY_MS)
        finished = last is not None and after >= last
        while not finished:
            try:
                events = store.events(job_id, after=after)
            except AgentJobsError as e:
                log("job_events.stream_read_failed", severity="WARNING", job_id=job_id, code=e.error_code)
                yield retry_frame(_RETRY_MS)
                return
            for event in events:
                yield event_frame(job_id, event)
                after = event.seq
                if event.type.terminal:
                    finished = True
                elif event.type is not EventType.CALLBACK_DELIVERED:
                    finished = False  # a retried job runs again after its failed outcome
            if last is not None and after >= last:
                finished = True
            now = self.monotonic()
            if events:
                quiet_since = now
            if finished:
                return
            if now - started >= self.max_seconds:
                yield retry_frame(_RETRY_MS)
                return
            if now - quiet_since >= self.keepalive_seconds:
                yield KEEP_ALIVE
                quiet_since = now
            elif not events:
                yield PROBE
            self.sleep(self.poll_seconds)
