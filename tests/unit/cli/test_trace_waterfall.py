"""``agentjobs jobs trace``: the waterfall drawn from a job as the API returns it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from common.api.views import job_view
from common.cli.trace import render_trace, waterfall_rows
from common.jobs.models import Job, JobStatus, JobTrace, ModelCall, Source, StageTiming, Usage

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def finished_job() -> Job:
    started = T0 + timedelta(seconds=0.5)
    at = started + timedelta(seconds=0.1)
    call = ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", at, 1200, 300, 1000, seconds=0.6)
    return Job(
        job_id="job_abc",
        tenant_id="acme",
        agent="criteria-evaluator",
        status=JobStatus.SUCCESS,
        input={},
        source=Source.HTTPS,
        created_at=T0,
        updated_at=T0,
        attempts=1,
        started_at=started,
        finished_at=started + timedelta(seconds=1.0),
        model="openai/gpt-4o-mini",
        usage=Usage.of_calls((call,)),
        trace=JobTrace("ab" * 16, (StageTiming("assess_criteria", 0.05, 0.7),)),
    )


def test_rows_put_queue_stages_model_calls_and_the_finish_on_one_clock():
    view = job_view(finished_job(), base_url="http://x")
    rows = waterfall_rows(view)
    assert [(r.kind, r.name) for r in rows] == [
        ("queue", "queued"),
        ("stage", "assess_criteria"),
        ("model_call", "gpt-4o-mini-2024-07-18"),
        ("finish", "store, callback"),
    ]
    assert rows[0].seconds == pytest.approx(0.5)
    assert rows[1].start_s == pytest.approx(0.55) and rows[2].start_s == pytest.approx(0.6)
    assert rows[3].start_s == pytest.approx(1.25) and rows[3].seconds == pytest.approx(0.25)
    # gpt-4o-mini list prices: 200 x $0.15/M + 1000 cached x $0.075/M + 300 x $0.60/M.
    assert rows[2].cost_usd is not None and float(rows[2].cost_usd) == pytest.approx(0.000285)
    assert rows[2].tokens == "1200/300 (1000 cached)"


def test_render_prints_the_waterfall_and_the_trace_link():
    console = Console(record=True, width=160)
    render_trace(console, job_view(finished_job(), base_url="http://x"), trace_ui="http://127.0.0.1:6006")
    text = console.export_text()
    assert "assess_criteria" in text and "model gpt-4o-mini-2024-07-18" in text and "█" in text
    assert "0.000285" in text and "1 model call(s)" in text
    assert f"http://127.0.0.1:6006/redirects/traces/{'ab' * 16}" in text


def test_a_job_that_never_ran_has_no_timeline():
    job = finished_job().replace(trace=None, started_at=None, status=JobStatus.PENDING)
    with pytest.raises(ValueError, match="no recorded timeline"):
        waterfall_rows(job_view(job, base_url="http://x"))
