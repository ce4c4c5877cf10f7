"""JSON views of jobs, as the HTTP API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.costs.models import Cost
from common.jobs.codec import error_to_doc
from common.jobs.models import Job, ModelCall, Usage
from common.judges.models import Judgement

__all__ = ["cost_view", "iso", "job_links", "job_view", "judgement_view", "own_base_url", "trace_view", "usage_view"]


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


def _usd(value: object) -> str | None:
    return None if value is None else str(value)


def cost_view(cost: Cost) -> dict[str, Any]:
    """``{total_usd, input_usd, output_usd, priced_calls, unpriced_calls, price_source, priced_at}``.

    USD amounts are decimal strings (exact), ``null`` when no call was priced: an unpriced job
    is never shown as $0.
    """
    return {
        "total_usd": _usd(cost.total_usd),
        "input_usd": _usd(cost.input_usd),
        "output_usd": _usd(cost.output_usd),
        "priced_calls": cost.priced_calls,
        "unpriced_calls": cost.unpriced_calls,
        "price_source": cost.price_source,
        "priced_at": iso(cost.priced_at),
    }


def _call_view(call: ModelCall) -> dict[str, Any]:
    return {
        "provider": call.provider,
        "request_model": call.request_model,
        "response_model": call.response_model,
        "requested_at": iso(call.requested_at),
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "cache_read_tokens": call.cache_read_tokens,
        "cache_write_tokens": call.cache_write_tokens,
        "reasoning_tokens": call.reasoning_tokens,
        "seconds": call.seconds,
    }


def usage_view(usage: Usage, *, calls: bool = True) -> dict[str, Any]:
    """Token usage (tokens), with one entry per model call in ``model_calls`` when ``calls``."""
    view: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "document_tokens": usage.document_tokens,
        "calls": usage.calls,
    }
    if calls:
        view["model_calls"] = [_call_view(c) for c in usage.model_calls]
    return view


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
        ``deleted_at`` on an erased job's tombstone, ``usage`` and ``cost`` when the job called a
        model (per-call records only in the full view). Internal lease fields are never shown.
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
        view["usage"] = usage_view(job.usage, calls=not summary)
    if job.cost is not None:
        view["cost"] = cost_view(job.cost)
    if job.quality is not None:
        view["quality"] = job.quality.value
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
    if job.judgements:
        view["judgements"] = [judgement_view(j) for j in job.judgements]
    if job.feedback:
        view["feedback"] = [
            {"verdict": f.verdict, "field": f.field, "comment_code": f.comment_code, "at": iso(f.at)}
            for f in job.feedback
        ]
    if job.trace is not None:
        view["trace"] = trace_view(job)
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


def judgement_view(judgement: Judgement) -> dict[str, Any]:
    """``{judge, version, pass, score, reason_code, reason, at}``; LLM judges add model, usage, cost."""
    view: dict[str, Any] = {
        "judge": judgement.judge,
        "version": judgement.version,
        "pass": judgement.passed,
        "score": judgement.score,
        "reason_code": judgement.reason_code,
        "reason": judgement.reason,
        "at": iso(judgement.at),
    }
    if judgement.model is not None:
        view["model"] = judgement.model
    if judgement.usage is not None:
        view["usage"] = usage_view(judgement.usage, calls=False)
    if judgement.cost is not None:
        view["cost"] = cost_view(judgement.cost)
    return view


def trace_view(job: Job) -> dict[str, Any]:
    """``{trace_id, spans}``: the last attempt's stages and model calls, by start, in seconds after ``started_at``.

    Model calls come from ``usage.model_calls`` (request time and duration); stages from
    ``trace.stages``. Names, counts and timings only.
    """
    spans: list[dict[str, Any]] = []
    if job.trace is None:
        return {"trace_id": "", "spans": spans}
    for stage in job.trace.stages:
        spans.append({"name": stage.name, "kind": "stage", "start_s": stage.start_s, "seconds": stage.seconds})
    if job.usage is not None and job.started_at is not None:
        for call in job.usage.model_calls:
            start = (call.requested_at - job.started_at).total_seconds()
            if start < 0:  # a call of an earlier attempt
                continue
            spans.append(
                {
                    "name": call.response_model or call.request_model,
                    "kind": "model_call",
                    "start_s": round(start, 6),
                    "seconds": call.seconds,
                    "input_tokens": call.input_tokens,
                    "output_tokens": call.output_tokens,
                    "cache_read_tokens": call.cache_read_tokens,
                }
            )
    spans.sort(key=lambda s: (s["start_s"], s["kind"] != "stage"))
    return {"trace_id": job.trace.trace_id, "spans": spans}
