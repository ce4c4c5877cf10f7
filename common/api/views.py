"""JSON views of jobs, as the HTTP API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.jobs.codec import error_to_doc
from common.jobs.models import Job

__all__ = ["iso", "job_links", "job_view", "own_base_url"]


def iso(value: datetime | None) -> str | None:
    """RFC 3339 UTC timestamp, or ``None``."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def own_base_url(host_url: str, forwarded_proto: str | None) -> str:
    """The base URL a request reached, with the scheme the client used behind Google's front end.

    Cloud Run terminates TLS and forwards plain HTTP with ``X-Forwarded-Proto: https``.
    """
    base = host_url.rstrip("/")
    if forwarded_proto == "https" and base.startswith("http://"):
        return "https://" + base[len("http://") :]
    return base


def job_links(base_url: str, job_id: str) -> dict[str, str]:
    """``{"self": <status URL of the job>}``."""
    return {"self": f"{base_url}/v1/jobs/{job_id}"}


def job_view(job: Job, *, base_url: str, result: dict[str, Any] | None = None, summary: bool = False) -> dict[str, Any]:
    """The job as the API shows it.

    Args:
        job: The job.
        base_url: Public base URL of the HTTP API, for ``links``.
        result: The result loaded from storage when the job's result was offloaded.
        summary: Omit ``result`` and callback history (for listings).

    Returns:
        ``{job_id, agent, status, created_at, updated_at, attempts, ...}`` with ``result`` on
        success, ``error`` on failure, ``expires_at`` when the job has a retention, and
        ``deleted_at`` on an erased job's tombstone. Internal lease fields are never shown.
    """
    view: dict[str, Any] = {
        "job_id": job.job_id,
        "agent": job.agent,
        "status": job.status.value,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "attempts": job.attempts,
        "source": job.source.value,
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "timings": job.timings,
        "links": job_links(base_url, job.job_id),
    }
    if job.expires_at is not None:
        view["expires_at"] = iso(job.expires_at)
    if job.deleted_at is not None:
        view["deleted_at"] = iso(job.deleted_at)
    if job.cancel_requested_at is not None:
        view["cancel_requested_at"] = iso(job.cancel_requested_at)
    if job.retries:
        view["retries"] = job.retries
    if job.metadata:
        view["metadata"] = job.metadata
    if job.model:
        view["model"] = job.model
    if job.usage is not None:
        view["usage"] = {
            "input_tokens": job.usage.input_tokens,
            "output_tokens": job.usage.output_tokens,
            "document_tokens": job.usage.document_tokens,
            "calls": job.usage.calls,
        }
    if job.error is not None:
        view["error"] = error_to_doc(job.error)
    if job.callback_status is not None:
        view["callback_status"] = job.callback_status.value
        if job.callback_error:
            view["callback_error"] = job.callback_error
    if job.result_ref is not None:
        view["result_ref"] = job.result_ref
    if summary:
        return view
    if job.result is not None or result is not None:
        view["result"] = job.result if job.result is not None else result
    if job.callbacks:
        view["callbacks"] = [
            {
                "at": iso(c.at),
                "event": c.event,
                "http_status": c.http_status,
                "latency_ms": c.latency_ms,
                "error": c.error,
            }
            for c in job.callbacks
        ]
    return view
