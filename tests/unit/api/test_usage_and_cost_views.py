"""A job's cost and per-call usage, and usage reports, as the API shows them, match the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from common.api import schemas
from common.api.openapi import openapi_document
from common.api.views import job_view
from common.costs import price_job
from common.jobs import lifecycle
from common.jobs.models import ModelCall, Source, Usage
from common.services.usage import UsageService
from common.usage.counters import UsageCounts
from common.usage.query import UsageQuery
from common.usage.report import DailyUsage
from tests.support.fakes import InMemoryUsageReader

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
CALLS = (
    ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", NOW, 1000, 500, cache_read_tokens=400),
    ModelCall("ollama", "llama3.1:8b", None, NOW, 10, 5, reasoning_tokens=2, seconds=0.5),
)


def finished():
    job = lifecycle.new_job(job_id="job_" + "a" * 26, tenant_id="acme", agent="criteria-evaluator", input={},
                            source=Source.HTTPS, now=NOW)  # fmt: skip
    job = lifecycle.claim(job, token="t", now=NOW, lease_seconds=30, max_attempts=3)
    usage = Usage.of_calls(CALLS)
    return lifecycle.complete(
        job, token="t", now=NOW, result={}, model="openai/gpt-4o-mini", usage=usage, cost=price_job(CALLS, now=NOW)
    )


def test_a_jobs_cost_and_calls_are_shown_and_documented():
    view = job_view(finished(), base_url="https://api")
    parsed = schemas.JobView.model_validate(view)
    assert set(view["cost"]) == set(schemas.CostView.model_fields)
    assert set(view["usage"]["model_calls"][0]) == set(schemas.ModelCallView.model_fields)
    assert parsed.cost is not None and parsed.cost.total_usd == "0.00042" and parsed.cost.unpriced_calls == 1
    assert view["cost"]["priced_at"] == "2026-12-02T10:00:00Z"
    assert view["usage"]["model_calls"][1]["response_model"] is None
    assert view["usage"]["cache_read_tokens"] == 400 and view["usage"]["reasoning_tokens"] == 2
    summary = job_view(finished(), base_url="", summary=True)
    assert "model_calls" not in summary["usage"] and summary["cost"] == view["cost"]


def test_a_usage_report_matches_its_schema_and_is_documented():
    counts = UsageCounts(jobs=2, succeeded=1, failed=1, calls=3, input_tokens=30, cost_nano_usd=1_500_000_001)
    reader = InMemoryUsageReader({date(2026, 12, 2): DailyUsage(date(2026, 12, 2), counts, {"a": counts}, {})})
    report = UsageService(readers=lambda tenant: reader).report(
        "acme", UsageQuery(date(2026, 11, 1), date(2026, 12, 2), "agent")
    )
    parsed = schemas.UsageReport.model_validate(report)
    assert parsed.from_ == "2026-11-01" and parsed.rows[0].key == "a"
    assert report["total"]["cost_usd"] == "1.500000001" and Decimal(report["rows"][0]["cost_usd"]) == counts.cost_usd
    assert set(report["total"]) == set(schemas.UsageCountsView.model_fields)
    operation = openapi_document()["paths"]["/v1/usage"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "group_by"}
    assert {"200", "400", "401"} <= set(operation["responses"])
    assert operation["security"] == [{"apiKey": []}]
