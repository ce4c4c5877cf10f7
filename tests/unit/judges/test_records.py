"""The verdict record: storage round trip, quality, the flagged event, sampling and the rolling alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from common.costs.models import Cost
from common.jobs.codec import job_from_doc, job_to_doc
from common.jobs.models import Job, JobStatus, ModelCall, Source, Usage
from common.judges.alerts import PassRateWindows
from common.judges.feedback import Feedback
from common.judges.models import Judgement, Quality, quality_of
from common.judges.sampling import sampled
from common.services.callbacks import callback_event
from common.webhooks.events import callback_body

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _judgement(passed: bool | None, **extra) -> Judgement:
    return Judgement("verdict_follows_rule", "1", passed, 1.0 if passed else 0.0, "ok", "C1", NOW, **extra)


def test_quality_sums_up_the_judgements():
    assert quality_of([]) is Quality.NOT_JUDGED
    assert quality_of([_judgement(None)]) is Quality.NOT_JUDGED
    assert quality_of([_judgement(True), _judgement(None)]) is Quality.PASSED
    assert quality_of([_judgement(True), _judgement(False)]) is Quality.FLAGGED


def test_judgements_feedback_and_quality_round_trip_through_the_stored_document():
    call = ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", NOW, input_tokens=900, output_tokens=30)
    cost = Cost(Decimal("0.000153"), Decimal("0.000135"), Decimal("0.000018"), 1, 0, "genai-prices==0.2.3", NOW)
    llm = Judgement(
        "llm_rubric", "1", False, 0.4, "rubric_failed", "C2 unsupported", NOW, "openai/gpt-4o-mini",
        Usage.of_calls((call,)), cost,
    )  # fmt: skip
    job = Job(
        "job_x", "acme", "criteria-evaluator", JobStatus.SUCCESS, {}, Source.HTTPS, NOW, NOW,
        judgements=(_judgement(True), llm), quality=Quality.FLAGGED,
        feedback=(Feedback("incorrect", NOW, "criteria[2].status", "wrong_status", "flagged"),),
    )  # fmt: skip
    doc = job_to_doc(job)
    assert doc["quality"] == "flagged" and doc["judgements"][1]["pass"] is False
    assert doc["judgements"][1]["cost"]["total_usd"] == "0.000153"
    back = job_from_doc(doc)
    assert back.judgements == job.judgements and back.quality is Quality.FLAGGED and back.feedback == job.feedback
    old = job_from_doc({k: v for k, v in doc.items() if k not in {"judgements", "quality", "feedback"}})
    assert old.judgements == () and old.quality is None and old.feedback == ()


def test_a_flagged_job_sends_job_flagged_instead_of_job_completed():
    assert callback_event(JobStatus.SUCCESS, Quality.FLAGGED) == "job.flagged"
    assert callback_event(JobStatus.SUCCESS, Quality.PASSED) == "job.completed"
    assert callback_event(JobStatus.SUCCESS, None) == "job.completed"
    assert callback_event(JobStatus.FAILED, None) == "job.failed"
    assert callback_event(JobStatus.CANCELLED, None) == "job.cancelled"
    job = Job("job_x", "acme", "a", JobStatus.SUCCESS, {}, Source.HTTPS, NOW, NOW, quality=Quality.FLAGGED)
    body = json.loads(callback_body(job, "job.flagged", base_url="https://api"))
    assert body == {
        "type": "job.flagged",
        "job_id": "job_x",
        "agent": "a",
        "status": "success",
        "links": {"self": "https://api/v1/jobs/job_x"},
        "quality": "flagged",
    }


def test_sampling_is_deterministic_and_near_its_rate():
    ids = [f"job_{i:026d}" for i in range(4000)]
    share = sum(sampled(i, 0.1) for i in ids) / len(ids)
    assert 0.08 < share < 0.12
    assert [sampled(i, 0.1) for i in ids[:50]] == [sampled(i, 0.1) for i in ids[:50]]
    assert all(sampled(i, 1.0) for i in ids[:10]) and not any(sampled(i, 0.0) for i in ids[:10])


def test_the_rolling_alert_fires_once_per_drop():
    windows = PassRateWindows(window=4, threshold=0.75)
    key = ("acme", "criteria-evaluator", "verdict_follows_rule")
    alerts = [windows.observe(key, passed).alert for passed in [True, False, True, False, False, False, True]]
    assert alerts == [False, False, False, True, False, False, False]
    for _ in range(4):
        windows.observe(key, True)  # recovered: re-armed
    assert [windows.observe(key, False).alert for _ in range(3)] == [False, True, False]  # 3/4, then 2/4
    assert not windows.observe(("acme", "other", "verdict_follows_rule"), False).alert  # window not full
