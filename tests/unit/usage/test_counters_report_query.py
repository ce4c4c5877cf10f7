"""Usage counters of finished jobs, reports grouped by day/agent/model, and the query's bounds. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from common.costs.models import Cost
from common.errors import InvalidRequest
from common.jobs import lifecycle
from common.jobs.models import JobError, ModelCall, Source, Usage
from common.retention.erasure import tombstone
from common.usage.counters import SHARDS, UsageCounts, finished_usage, nano_usd, shard_of
from common.usage.query import parse_usage_query
from common.usage.report import DailyUsage, group_usage, merge_days

NOW = datetime(2026, 12, 2, 23, 59, tzinfo=UTC)
CALL = ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", NOW, 1000, 200, 400, 0, 50)


def running(agent: str = "criteria-evaluator"):
    job = lifecycle.new_job(job_id="j1", tenant_id="acme", agent=agent, input={}, source=Source.HTTPS, now=NOW)
    return lifecycle.claim(job, token="t", now=NOW, lease_seconds=30, max_attempts=3)


def cost(total: str | None, priced: int = 1, unpriced: int = 0) -> Cost:
    usd = None if total is None else Decimal(total)
    return Cost(usd, usd, Decimal(0) if usd is not None else None, priced, unpriced, "genai-prices==x", NOW)


def test_a_completion_counts_the_job_its_tokens_and_its_cost():
    before = running()
    after = lifecycle.complete(
        before,
        token="t",
        now=NOW,
        result={},
        model="openai/gpt-4o-mini",
        usage=Usage.of_calls((CALL, CALL)),
        cost=cost("0.000123456789", priced=2),
    )
    finished = finished_usage(before, after)
    assert finished is not None
    assert (finished.day, finished.agent, finished.model) == (date(2026, 12, 2), "criteria-evaluator", after.model)
    counts = finished.counts
    assert (counts.jobs, counts.succeeded, counts.failed, counts.calls) == (1, 1, 0, 2)
    assert (counts.input_tokens, counts.output_tokens, counts.cache_read_tokens, counts.reasoning_tokens) == (
        2000,
        400,
        800,
        100,
    )
    assert counts.cost_nano_usd == 123457 and (counts.priced_calls, counts.unpriced_calls) == (2, 0)


def test_only_the_write_into_success_or_failed_counts():
    before = running()
    done = lifecycle.complete(before, token="t", now=NOW, result={})
    assert finished_usage(before.replace(status=before.status), before) is None  # running -> running
    assert finished_usage(done, done.replace(callbacks=())) is None  # terminal -> terminal (callbacks, redelivery)
    assert finished_usage(done, tombstone(done, now=NOW)) is None  # erasure is not a finish
    pending = lifecycle.new_job(job_id="j3", tenant_id="acme", agent="a", input={}, source=Source.GCS, now=NOW)
    assert finished_usage(pending, tombstone(pending, now=NOW)) is None
    failed = lifecycle.fail(before, token="t", now=NOW, error=JobError("x", "y"))
    counted = finished_usage(before, failed)
    assert counted is not None and (counted.counts.failed, counted.counts.calls, counted.model) == (1, 0, None)
    created_failed = lifecycle.reject(
        lifecycle.new_job(job_id="j2", tenant_id="acme", agent="a", input={}, source=Source.GCS, now=NOW),
        now=NOW,
        error=JobError("unknown_agent", "no"),
    )
    assert finished_usage(None, created_failed) is not None


def test_calls_of_a_job_left_unpriced_count_as_unpriced_never_zero_dollars():
    before = running()
    unpriced = lifecycle.complete(
        before, token="t", now=NOW, result={}, model="ollama/x", usage=Usage.of_calls((CALL,))
    )
    counts = finished_usage(before, unpriced).counts  # pyright: ignore[reportOptionalMemberAccess]
    assert (counts.cost_nano_usd, counts.priced_calls, counts.unpriced_calls) == (0, 0, 1)
    partly = unpriced.replace(cost=cost(None, priced=0, unpriced=1))
    assert finished_usage(before, partly).counts.unpriced_calls == 1  # pyright: ignore[reportOptionalMemberAccess]


def test_nano_dollars_round_half_even_and_convert_back_exactly():
    assert nano_usd(Decimal("0.0000000015")) == 2 and nano_usd(Decimal("0.0000000025")) == 2
    assert UsageCounts(cost_nano_usd=123457).cost_usd == Decimal("0.000123457")
    assert UsageCounts().cost_usd == 0


def test_reports_group_days_agents_and_models():
    a = UsageCounts(jobs=1, succeeded=1, calls=1, input_tokens=10, cost_nano_usd=5)
    b = UsageCounts(jobs=2, failed=2)
    days = [
        DailyUsage(date(2026, 12, 2), a + b, {"criteria-evaluator": a, "protocol-processor": b}, {"openai/m": a}),
        DailyUsage(date(2026, 12, 1), a, {"criteria-evaluator": a}, {"openai/m": a}),
    ]
    rows, total = group_usage(days, "day")
    assert [r.key for r in rows] == ["2026-12-01", "2026-12-02"] and total.jobs == 4 and total.cost_nano_usd == 10
    rows, _ = group_usage(days, "agent")
    assert [(r.key, r.counts.jobs) for r in rows] == [("criteria-evaluator", 2), ("protocol-processor", 2)]
    rows, _ = group_usage(days, "model")
    assert [(r.key, r.counts.input_tokens) for r in rows] == [("openai/m", 20)]
    assert group_usage([], "day") == ([], UsageCounts())


def test_usage_query_defaults_and_bounds():
    today = date(2026, 12, 2)
    query = parse_usage_query({}, today=today)
    assert (query.start, query.end, query.group_by) == (today - timedelta(days=29), today, "day")
    full_year = parse_usage_query({"from": "2025-12-02", "to": "2026-12-02", "group_by": "model"}, today=today)
    assert (full_year.end - full_year.start).days + 1 == 366 and full_year.group_by == "model"
    for args, parameter in [
        ({"from": "2025-12-01", "to": "2026-12-02"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "２０２６-01-01"}, "to"),
        ({"from": "2026-12-03", "to": "2026-12-02"}, "from"),
        ({"group_by": "DAY"}, "group_by"),
    ]:
        with pytest.raises(InvalidRequest) as raised:
            parse_usage_query(args, today=today)
        assert raised.value.error_code == "invalid_parameter"
        assert raised.value.to_dict()["parameter"] == parameter
    with pytest.raises(InvalidRequest, match="unknown query parameter"):
        parse_usage_query({"tenant": "other"}, today=today)


def test_a_days_shards_merge_into_one_day_and_jobs_spread_over_shards():
    a = UsageCounts(jobs=1, succeeded=1)
    b = UsageCounts(jobs=1, failed=1)
    day = date(2026, 12, 2)
    [first, second] = merge_days(
        [DailyUsage(day, a, {"x": a}, {"m": a}), DailyUsage(date(2026, 12, 1), b), DailyUsage(day, b, {"x": b}, {})]
    )
    assert (first.day, first.total, first.agents, first.models) == (date(2026, 12, 1), b, {}, {})
    assert second.total == a + b and second.agents == {"x": a + b} and second.models == {"m": a}
    shards = {shard_of(f"job_{n}") for n in range(200)}
    assert shards == set(range(SHARDS)) and shard_of("job_1") == shard_of("job_1")


def test_a_cancellation_is_a_finish_and_a_retried_job_counts_each_run():
    before = running()
    stopped = lifecycle.stop_cancelled(before, token="t", now=NOW)
    counted = finished_usage(before, stopped)
    assert counted is not None
    assert (counted.counts.jobs, counted.counts.cancelled, counted.counts.failed) == (1, 1, 0)
    pending = lifecycle.new_job(job_id="j4", tenant_id="acme", agent="a", input={}, source=Source.GCS, now=NOW)
    cancelled_at_once = lifecycle.cancel(pending, now=NOW)
    assert finished_usage(pending, cancelled_at_once) is not None
    assert finished_usage(cancelled_at_once, lifecycle.cancel(cancelled_at_once, now=NOW)) is None
    # A retried job's failed run was counted when it failed; the retry starts without its usage.
    failed = lifecycle.fail(before, token="t", now=NOW, error=JobError("x", "y")).replace(
        usage=Usage.of_calls((CALL,)), cost=cost("0.1")
    )
    retried = lifecycle.retry(failed, now=NOW, max_attempts=5)
    assert (retried.usage, retried.cost, finished_usage(failed, retried)) == (None, None, None)
