"""Jobs and tenants to and from plain document dictionaries (Firestore's shape).

Datetimes stay ``datetime`` (Firestore stores them as timestamps); USD amounts are decimal
strings (``"0.000435"``), exact where floats would drift; everything else is JSON types. Unknown
fields are ignored on read so documents written by newer code stay readable, and fields added
later (usage's cache/reasoning tokens and per-call records, ``cost``, ``price_overrides``) have
defaults so older documents stay readable too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from common.costs.models import Cost, PriceOverride
from common.jobs.models import (
    CallbackAttempt,
    CallbackStatus,
    Job,
    JobError,
    JobStatus,
    JobTrace,
    ModelCall,
    Source,
    StageTiming,
    Usage,
)
from common.judges.feedback import Feedback
from common.judges.models import Judgement, Quality
from common.plans.codec import plan_from_doc, plan_to_doc
from common.tenants.models import ApiKey, Tenant, WebhookSecret

_UNKNOWN_ISSUE_TIME = datetime(1970, 1, 1, tzinfo=UTC)

__all__ = [
    "api_key_from_doc",
    "api_key_to_doc",
    "callback_to_doc",
    "cost_from_doc",
    "cost_to_doc",
    "error_from_doc",
    "error_to_doc",
    "feedback_to_doc",
    "job_from_doc",
    "job_to_doc",
    "judgement_from_doc",
    "judgement_to_doc",
    "model_call_to_doc",
    "price_override_from_doc",
    "price_override_to_doc",
    "tenant_from_doc",
    "tenant_to_doc",
    "trace_from_doc",
    "trace_to_doc",
]


def job_to_doc(job: Job) -> dict[str, Any]:
    """The document stored at ``tenants/{tenant_id}/jobs/{job_id}``."""
    return {
        "job_id": job.job_id,
        "tenant_id": job.tenant_id,
        "agent": job.agent,
        "status": job.status.value,
        "input": job.input,
        "source": job.source.value,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "attempts": job.attempts,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "lease_token": job.lease_token,
        "lease_expires_at": job.lease_expires_at,
        "result": job.result,
        "result_ref": job.result_ref,
        "error": error_to_doc(job.error),
        "timings": job.timings,
        "callback_url": job.callback_url,
        "metadata": job.metadata,
        "model": job.model,
        "usage": None if job.usage is None else _usage_to_doc(job.usage),
        "callbacks": [callback_to_doc(a) for a in job.callbacks],
        "callback_status": None if job.callback_status is None else job.callback_status.value,
        "callback_error": job.callback_error,
        "callback_updated_at": job.callback_updated_at,
        "cost": None if job.cost is None else cost_to_doc(job.cost),
        "expires_at": job.expires_at,
        "deleted_at": job.deleted_at,
        "cancel_requested_at": job.cancel_requested_at,
        "retries": job.retries,
        "event_seq": job.event_seq,
        "judgements": [judgement_to_doc(j) for j in job.judgements],
        "quality": None if job.quality is None else job.quality.value,
        "feedback": [feedback_to_doc(f) for f in job.feedback],
        "trace": None if job.trace is None else trace_to_doc(job.trace),
    }


def feedback_to_doc(feedback: Feedback) -> dict[str, Any]:
    """One reviewer's feedback as stored in the job's ``feedback`` array (codes only)."""
    return {
        "verdict": feedback.verdict,
        "at": feedback.at,
        "field": feedback.field,
        "comment_code": feedback.comment_code,
        "quality": feedback.quality,
    }


def judgement_to_doc(judgement: Judgement) -> dict[str, Any]:
    """One judge's verdict as stored in the job's ``judgements`` array (``pass`` as in the API)."""
    doc: dict[str, Any] = {
        "judge": judgement.judge,
        "version": judgement.version,
        "pass": judgement.passed,
        "score": judgement.score,
        "reason_code": judgement.reason_code,
        "reason": judgement.reason,
        "at": judgement.at,
    }
    if judgement.model is not None:
        doc["model"] = judgement.model
    if judgement.usage is not None:
        doc["usage"] = _usage_to_doc(judgement.usage)
    if judgement.cost is not None:
        doc["cost"] = cost_to_doc(judgement.cost)
    return doc


def judgement_from_doc(doc: dict[str, Any]) -> Judgement:
    """Inverse of :func:`judgement_to_doc`."""
    usage = cast(dict[str, Any] | None, doc.get("usage"))
    cost = cast(dict[str, Any] | None, doc.get("cost"))
    passed = doc.get("pass")
    return Judgement(
        judge=str(doc.get("judge", "")),
        version=str(doc.get("version", "")),
        passed=None if passed is None else bool(passed),
        score=float(doc.get("score", 0.0)),
        reason_code=str(doc.get("reason_code", "")),
        reason=str(doc.get("reason", "")),
        at=cast(datetime, doc["at"]),
        model=doc.get("model"),
        usage=None if usage is None else _usage_from_doc(usage),
        cost=None if cost is None else cost_from_doc(cost),
    )


def trace_to_doc(trace: JobTrace) -> dict[str, Any]:
    """``{"trace_id", "stages": [{"name", "start_s", "seconds"}]}``."""
    return {
        "trace_id": trace.trace_id,
        "stages": [{"name": s.name, "start_s": s.start_s, "seconds": s.seconds} for s in trace.stages],
    }


def trace_from_doc(doc: dict[str, Any]) -> JobTrace:
    """Inverse of :func:`trace_to_doc`."""
    stages = cast(list[dict[str, Any]], doc.get("stages") or [])
    return JobTrace(
        trace_id=str(doc.get("trace_id", "")),
        stages=tuple(
            StageTiming(str(s.get("name", "")), float(s.get("start_s", 0.0)), float(s.get("seconds", 0.0)))
            for s in stages
        ),
    )


def error_to_doc(error: JobError | None) -> dict[str, Any] | None:
    """``{"code", "message", "cause"?}``; the cause nests one level (a cause has no cause)."""
    if error is None:
        return None
    doc: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.cause is not None:
        doc["cause"] = {"code": error.cause.code, "message": error.cause.message}
    return doc


def error_from_doc(doc: dict[str, Any] | None) -> JobError | None:
    """Inverse of :func:`error_to_doc`."""
    if doc is None:
        return None
    cause = cast(dict[str, Any] | None, doc.get("cause"))
    return JobError(
        str(doc.get("code", "")),
        str(doc.get("message", "")),
        None if cause is None else JobError(str(cause.get("code", "")), str(cause.get("message", ""))),
    )


def callback_to_doc(attempt: CallbackAttempt) -> dict[str, Any]:
    """One callback attempt as stored in the job's ``callbacks`` array."""
    return {
        "at": attempt.at,
        "event": attempt.event,
        "http_status": attempt.http_status,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
    }


def _usage_to_doc(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "document_tokens": usage.document_tokens,
        "calls": usage.calls,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "model_calls": [model_call_to_doc(c) for c in usage.model_calls],
    }


def model_call_to_doc(call: ModelCall) -> dict[str, Any]:
    """One model call as stored in ``usage.model_calls``."""
    return {
        "provider": call.provider,
        "request_model": call.request_model,
        "response_model": call.response_model,
        "requested_at": call.requested_at,
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "cache_read_tokens": call.cache_read_tokens,
        "cache_write_tokens": call.cache_write_tokens,
        "reasoning_tokens": call.reasoning_tokens,
        "seconds": call.seconds,
    }


def _model_call_from_doc(doc: dict[str, Any]) -> ModelCall:
    return ModelCall(
        provider=str(doc.get("provider", "")),
        request_model=str(doc.get("request_model", "")),
        response_model=doc.get("response_model"),
        requested_at=cast(datetime, doc["requested_at"]),
        input_tokens=int(doc.get("input_tokens", 0)),
        output_tokens=int(doc.get("output_tokens", 0)),
        cache_read_tokens=int(doc.get("cache_read_tokens", 0)),
        cache_write_tokens=int(doc.get("cache_write_tokens", 0)),
        reasoning_tokens=int(doc.get("reasoning_tokens", 0)),
        seconds=float(doc.get("seconds", 0.0)),
    )


def _usage_from_doc(usage: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=int(usage.get("input_tokens", 0)),
        output_tokens=int(usage.get("output_tokens", 0)),
        document_tokens=usage.get("document_tokens"),
        calls=int(usage.get("calls", 0)),
        cache_read_tokens=int(usage.get("cache_read_tokens", 0)),
        cache_write_tokens=int(usage.get("cache_write_tokens", 0)),
        reasoning_tokens=int(usage.get("reasoning_tokens", 0)),
        model_calls=tuple(_model_call_from_doc(c) for c in cast(list[dict[str, Any]], usage.get("model_calls") or [])),
    )


def _usd(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def cost_to_doc(cost: Cost) -> dict[str, Any]:
    """A job's ``cost``: USD amounts as decimal strings, ``None`` when nothing was priced."""
    return {
        "total_usd": _usd(cost.total_usd),
        "input_usd": _usd(cost.input_usd),
        "output_usd": _usd(cost.output_usd),
        "priced_calls": cost.priced_calls,
        "unpriced_calls": cost.unpriced_calls,
        "price_source": cost.price_source,
        "priced_at": cost.priced_at,
    }


def cost_from_doc(doc: dict[str, Any]) -> Cost:
    """Rebuild a :class:`~common.costs.models.Cost` from :func:`cost_to_doc`'s shape."""
    return Cost(
        total_usd=_decimal(doc.get("total_usd")),
        input_usd=_decimal(doc.get("input_usd")),
        output_usd=_decimal(doc.get("output_usd")),
        priced_calls=int(doc.get("priced_calls", 0)),
        unpriced_calls=int(doc.get("unpriced_calls", 0)),
        price_source=str(doc.get("price_source", "")),
        priced_at=cast(datetime, doc["priced_at"]),
    )


def price_override_to_doc(override: PriceOverride) -> dict[str, Any]:
    """One tenant price override; prices as decimal strings (USD per million tokens)."""
    return {
        "provider": override.provider,
        "model": override.model,
        "input_usd_per_mtok": str(override.input_usd_per_mtok),
        "output_usd_per_mtok": str(override.output_usd_per_mtok),
        "cache_read_usd_per_mtok": _usd(override.cache_read_usd_per_mtok),
        "cache_write_usd_per_mtok": _usd(override.cache_write_usd_per_mtok),
        "effective_from": override.effective_from,
    }


def price_override_from_doc(doc: dict[str, Any]) -> PriceOverride:
    """Rebuild a :class:`~common.costs.models.PriceOverride`."""
    return PriceOverride(
        provider=str(doc["provider"]),
        model=str(doc["model"]),
        input_usd_per_mtok=Decimal(str(doc["input_usd_per_mtok"])),
        output_usd_per_mtok=Decimal(str(doc["output_usd_per_mtok"])),
        cache_read_usd_per_mtok=_decimal(doc.get("cache_read_usd_per_mtok")),
        cache_write_usd_per_mtok=_decimal(doc.get("cache_write_usd_per_mtok")),
        effective_from=doc.get("effective_from"),
    )


def job_from_doc(doc: dict[str, Any]) -> Job:
    """Rebuild a :class:`Job` from its stored document."""
    error = cast(dict[str, Any] | None, doc.get("error"))
    usage = cast(dict[str, Any] | None, doc.get("usage"))
    cost = cast(dict[str, Any] | None, doc.get("cost"))
    trace = cast(dict[str, Any] | None, doc.get("trace"))
    callbacks = cast(list[dict[str, Any]], doc.get("callbacks") or [])
    return Job(
        job_id=doc["job_id"],
        tenant_id=doc["tenant_id"],
        agent=doc["agent"],
        status=JobStatus(doc["status"]),
        input=cast(dict[str, Any], doc.get("input") or {}),
        source=Source(doc.get("source", Source.HTTPS.value)),
        created_at=cast(datetime, doc["created_at"]),
        updated_at=cast(datetime, doc["updated_at"]),
        attempts=int(doc.get("attempts", 0)),
        started_at=doc.get("started_at"),
        finished_at=doc.get("finished_at"),
        lease_token=doc.get("lease_token"),
        lease_expires_at=doc.get("lease_expires_at"),
        result=doc.get("result"),
        result_ref=doc.get("result_ref"),
        error=error_from_doc(error),
        timings={str(k): float(v) for k, v in cast(dict[str, Any], doc.get("timings") or {}).items()},
        callback_url=doc.get("callback_url"),
        metadata={str(k): str(v) for k, v in cast(dict[str, Any], doc.get("metadata") or {}).items()},
        model=doc.get("model"),
        usage=None if usage is None else _usage_from_doc(usage),
        callbacks=tuple(
            CallbackAttempt(
                at=c["at"],
                event=str(c.get("event", "")),
                http_status=c.get("http_status"),
                latency_ms=float(c.get("latency_ms", 0.0)),
                error=c.get("error"),
            )
            for c in callbacks
        ),
        callback_status=CallbackStatus(doc["callback_status"]) if doc.get("callback_status") else None,
        callback_error=doc.get("callback_error"),
        callback_updated_at=doc.get("callback_updated_at"),
        cost=None if cost is None else cost_from_doc(cost),
        expires_at=doc.get("expires_at"),
        deleted_at=doc.get("deleted_at"),
        cancel_requested_at=doc.get("cancel_requested_at"),
        retries=int(doc.get("retries", 0)),
        event_seq=int(doc.get("event_seq", 0)),
        judgements=tuple(judgement_from_doc(j) for j in cast(list[dict[str, Any]], doc.get("judgements") or [])),
        quality=Quality(doc["quality"]) if doc.get("quality") else None,
        feedback=tuple(
            Feedback(
                verdict=f.get("verdict", "partial"),
                at=f["at"],
                field=f.get("field"),
                comment_code=f.get("comment_code"),
                quality=f.get("quality"),
            )
            for f in cast(list[dict[str, Any]], doc.get("feedback") or [])
        ),
        trace=None if trace is None else trace_from_doc(trace),
    )


def tenant_to_doc(tenant: Tenant) -> dict[str, Any]:
    """The document stored at ``tenants/{tenant_id}``. Webhook secrets appear only encrypted."""
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "created_at": tenant.created_at,
        "webhook_secrets": [
            {"ciphertext": s.ciphertext, "created_at": s.created_at, "expires_at": s.expires_at}
            for s in tenant.webhook_secrets
        ],
        "webhook_url": tenant.webhook_url,
        "allowed_models": list(tenant.allowed_models),
        "active": tenant.active,
        "price_overrides": [price_override_to_doc(o) for o in tenant.price_overrides],
        "retention_days": tenant.retention_days,
        "plan": None if tenant.plan is None else plan_to_doc(tenant.plan),
        "publish_stage_events": tenant.publish_stage_events,
    }


def tenant_from_doc(doc: dict[str, Any]) -> Tenant:
    """Rebuild a :class:`Tenant` from its stored document.

    A clear-text ``webhook_secret`` written by versions before encryption is ignored: such a
    tenant signs nothing until ``agentjobs tenants rotate-webhook-secret`` gives it a new secret.
    """
    secrets = cast(list[dict[str, Any]], doc.get("webhook_secrets") or [])
    retention = doc.get("retention_days")
    return Tenant(
        tenant_id=doc["tenant_id"],
        name=str(doc.get("name", doc["tenant_id"])),
        created_at=doc["created_at"],
        webhook_secrets=tuple(
            WebhookSecret(str(s.get("ciphertext", "")), s["created_at"], s.get("expires_at")) for s in secrets
        ),
        webhook_url=doc.get("webhook_url"),
        allowed_models=tuple(cast(list[str], doc.get("allowed_models") or [])),
        active=bool(doc.get("active", True)),
        price_overrides=tuple(
            price_override_from_doc(o) for o in cast(list[dict[str, Any]], doc.get("price_overrides") or [])
        ),
        retention_days=int(retention) if isinstance(retention, int) else None,
        plan=None if doc.get("plan") is None else plan_from_doc(doc["plan"]),
        publish_stage_events=bool(doc.get("publish_stage_events", False)),
    )


def api_key_to_doc(key: ApiKey) -> dict[str, Any]:
    """The document stored at ``api_keys/{sha256(api key)}``."""
    return {"tenant_id": key.tenant_id, "created_at": key.created_at, "expires_at": key.expires_at}


def api_key_from_doc(doc: dict[str, Any]) -> ApiKey:
    """Inverse of :func:`api_key_to_doc`.

    A document written before keys carried an issue time (or by hand) decodes with the Unix
    epoch as ``created_at``, so that authenticating with it never fails on a missing field.
    """
    return ApiKey(str(doc.get("tenant_id", "")), doc.get("created_at") or _UNKNOWN_ISSUE_TIME, doc.get("expires_at"))
