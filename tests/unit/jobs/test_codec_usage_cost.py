"""Usage with per-call records, cost and tenant price overrides round-trip through the codec."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from common.costs import Cost, PriceOverride, price_job
from common.jobs.codec import job_from_doc, job_to_doc, tenant_from_doc, tenant_to_doc
from common.jobs.models import Job, JobStatus, ModelCall, Source, Usage
from common.tenants.models import Tenant

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _job(**changes: object) -> Job:
    job = Job(
        "job_aaaabbbbccccddddeeeeffffgg", "acme", "criteria-evaluator", JobStatus.SUCCESS, {}, Source.HTTPS, NOW, NOW
    )
    return job.replace(**changes)


def test_usage_model_calls_and_cost_round_trip():
    calls = (
        ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", NOW, 1200, 300, 1000, 0, 0, 0.8),
        ModelCall("ollama", "llama3.1:8b", None, NOW, 10, 5, seconds=0.1),
    )
    usage = Usage.of_calls(calls, document_tokens=9000)
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.calls) == (1210, 305, 1000, 2)
    cost = price_job(calls, now=NOW)
    assert cost is not None and cost.unpriced_calls == 1
    job = _job(usage=usage, model="openai/gpt-4o-mini", cost=cost)
    doc = job_to_doc(job)
    assert isinstance(doc["cost"]["total_usd"], str)
    assert job_from_doc(doc) == job


def test_unpriced_cost_keeps_none_not_zero():
    cost = Cost(None, None, None, 0, 3, "", NOW)
    assert job_from_doc(job_to_doc(_job(cost=cost))).cost == cost


def test_documents_written_before_usage_records_and_cost_still_read():
    doc = job_to_doc(_job())
    doc.pop("cost")
    doc["usage"] = {"input_tokens": 5, "output_tokens": 2, "document_tokens": None, "calls": 1}
    job = job_from_doc(doc)
    assert job.usage == Usage(input_tokens=5, output_tokens=2, calls=1) and job.cost is None


def test_tenant_price_overrides_round_trip():
    tenant = Tenant(
        "acme",
        "Acme",
        NOW,
        (),
        price_overrides=(
            PriceOverride("ollama", "*", Decimal("0.02"), Decimal("0.04")),
            PriceOverride("openai", "gpt-4o-mini", Decimal("0.1"), Decimal("0.4"), Decimal("0.01"), None, NOW),
        ),
    )
    assert tenant_from_doc(tenant_to_doc(tenant)) == tenant
    old = tenant_to_doc(tenant)
    old.pop("price_overrides")
    assert tenant_from_doc(old).price_overrides == ()
