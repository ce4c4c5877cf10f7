"""Following a job until it ends: one snapshot per change, for ``wait_for_job``'s progress notifications.

:func:`job_updates` is the one seam: today it polls ``GET /v1/jobs/{job_id}``; once the status
API serves ``GET /v1/jobs/{id}/events`` (Server-Sent Events), it can follow that stream instead
and keep its signature. Nothing else in :mod:`common.mcp` knows how updates arrive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from common.mcp.api import ApiError, JobsApi

__all__ = ["NOT_FOUND_GRACE_S", "TERMINAL_STATUSES", "job_updates"]

TERMINAL_STATUSES = frozenset({"success", "failed", "cancelled", "deleted"})
"""Statuses a job never leaves."""
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

    Raises:
        ApiError: The API refused (e.g. 404 past :data:`NOT_FOUND_GRACE_S`, 401, 410) or stopped
            answering; 429 and 5xx answers are retried until the timeout, and the last of them is
            raised if the job was never seen.
    """
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
