"""Following a job until it ends: one snapshot per change, for ``wait_for_job``'s progress notifications.

:func:`job_updates` is the one seam. Given the job's event stream (``GET /v1/jobs/{id}/events``,
Server-Sent Events), it fetches a snapshot when a state event arrives (``running``, and the
outcome), so a change reaches the client within the stream's latency and no poll is spent on a
job that has not changed. A deployment without the stream (``EventStreamUnsupported``) is polled
instead. Nothing else in :mod:`common.mcp` knows how updates arrive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from common.mcp.api import ApiError, JobsApi

if TYPE_CHECKING:
    from common.cli.api_client import JobEventMessage

type EventSource = Callable[[str, float], Iterable[JobEventMessage]]
"""``(job_id, timeout_s) -> the job's events``, e.g. :meth:`common.mcp.api.JobsApi.job_events`."""

__all__ = ["NOT_FOUND_GRACE_S", "STATE_EVENTS", "TERMINAL_STATUSES", "EventSource", "job_updates"]

TERMINAL_STATUSES = frozenset({"success", "failed", "cancelled", "deleted"})
"""Statuses a job never leaves."""
STATE_EVENTS = frozenset({"running", "succeeded", "failed", "cancelled"})
"""Event types after which the job's status or attempt has changed."""
NOT_FOUND_GRACE_S = 5.0
"""A job the API does not know yet (404) is asked for again this long: it may have just been submitted."""


def job_updates(
    api: JobsApi,
    job_id: str,
    *,
    timeout_s: float,
    interval_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    events: EventSource | None = None,
) -> Iterator[dict[str, Any]]:
    """The job (a JobView) now, then again each time its status or attempt changes, until it ends.

    The last snapshot yielded is terminal (``success``, ``failed``, ``cancelled``) unless
    ``timeout_s`` passed first; then the iterator simply stops.

    Args:
        api: The API, with the tenant's key.
        job_id: The job.
        timeout_s: Stop following after this many seconds.
        interval_s: Seconds between polls.
        clock: Monotonic seconds (tests pass a fake).
        sleep: Blocks for seconds (tests pass a fake).
        events: The job's event stream; ``None``, or a deployment without one, polls every
            ``interval_s``.

    Raises:
        ApiError: The API refused (e.g. 404 past :data:`NOT_FOUND_GRACE_S`, 401, 410) or stopped
            answering; 429 and 5xx answers are retried until the timeout, and the last of them is
            raised if the job was never seen.
    """
    if events is not None:
        from common.cli.api_client import EventStreamTimeout, EventStreamUnsupported

        started = clock()
        followed = _follow(api, job_id, events(job_id, timeout_s), started=started, clock=clock, sleep=sleep)
        try:
            first = next(followed)
        except EventStreamUnsupported:
            pass  # an older deployment: poll below
        except (EventStreamTimeout, StopIteration):
            return
        else:
            yield first
            try:
                yield from followed
            except EventStreamTimeout:
                return
            return
        timeout_s = max(0.0, timeout_s - (clock() - started))
    yield from _poll(api, job_id, timeout_s=timeout_s, interval_s=interval_s, clock=clock, sleep=sleep)


def _follow(
    api: JobsApi,
    job_id: str,
    stream: Iterable[JobEventMessage],
    *,
    started: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Iterator[dict[str, Any]]:
    """A snapshot first, then one after each state event that changed the job, until its outcome."""
    stream = iter(stream)
    first_event = next(stream, None)  # connects: an unsupported stream raises before any snapshot
    job = _get(api, job_id, started=started, clock=clock, sleep=sleep)
    last = (job.get("status"), job.get("attempts"))
    yield job
    if job.get("status") in TERMINAL_STATUSES:
        return
    pending = [first_event] if first_event is not None else []
    for event in _chain(pending, stream):
        if event.type not in STATE_EVENTS:
            continue
        job = _get(api, job_id, started=started, clock=clock, sleep=sleep)
        seen = (job.get("status"), job.get("attempts"))
        if seen != last:
            last = seen
            yield job
        if job.get("status") in TERMINAL_STATUSES:
            return


def _chain(first: list[JobEventMessage], rest: Iterator[JobEventMessage]) -> Iterator[JobEventMessage]:
    yield from first
    yield from rest


def _get(
    api: JobsApi, job_id: str, *, started: float, clock: Callable[[], float], sleep: Callable[[float], None]
) -> dict[str, Any]:
    while True:
        try:
            return api.get_job(job_id)
        except ApiError as e:
            if not (e.status == 429 or e.status >= 500) or clock() - started > NOT_FOUND_GRACE_S:
                raise
            sleep(0.2)


def _poll(
    api: JobsApi,
    job_id: str,
    *,
    timeout_s: float,
    interval_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Iterator[dict[str, Any]]:
    started = clock()
    last: tuple[object, object] | None = None
    failure: ApiError | None = None
    while True:
        elapsed = clock() - started
        try:
            job = api.get_job(job_id)
        except ApiError as e:
            retry = e.status == 429 or e.status >= 500 or (e.status == 404 and elapsed < NOT_FOUND_GRACE_S)
            if not retry:
                raise
            failure = e
        else:
            seen = (job.get("status"), job.get("attempts"))
            if seen != last:
                last = seen
                yield job
            if job.get("status") in TERMINAL_STATUSES:
                return
        if elapsed >= timeout_s:
            if last is None and failure is not None:
                raise failure
            return
        sleep(min(interval_s, max(0.0, timeout_s - elapsed)))
