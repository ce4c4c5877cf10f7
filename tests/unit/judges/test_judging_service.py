"""The judging service: deterministic judges, the LLM judge through the scripted model server, reporting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

import common.telemetry as telemetry
from common.agents.base import AgentResult
from common.agents.criteria_evaluator.models import CriteriaEvaluation, CriteriaEvaluatorInput
from common.config import Settings
from common.evals.shared_data import LabelledPair, load_pairs
from common.jobs.models import Job, JobStatus, Source
from common.judges.base import Check, JudgeSpec, Subject
from common.judges.models import Quality
from common.judges.sampling import sampled
from common.llm.mirascope_adapter import MirascopeModel
from common.services.judging import JobJudging
from common.telemetry import TelemetryConfig
from tests.support.fakes import FakeClock
from tests.support.scripted_llm import HttpError, Json, ScriptedLLM, ScriptedRequest, sequence
from tests.support.sentry_receiver import SentryReceiver

PAIR = load_pairs()[0]
JUDGE_MODEL = "openai/gpt-4o-mini"


def _job(pair: LabelledPair = PAIR, job_id: str = "job_aaaabbbbccccddddeeeeffffgg", tenant: str = "acme") -> Job:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Job(
        job_id=job_id,
        tenant_id=tenant,
        agent="criteria-evaluator",
        status=JobStatus.RUNNING,
        input=pair.agent_input(),
        source=Source.HTTPS,
        created_at=now,
        updated_at=now,
    )


def _result(output: dict[str, Any] | None = None) -> AgentResult:
    return AgentResult(CriteriaEvaluation.model_validate(output or PAIR.expert_output()))


def _payload() -> CriteriaEvaluatorInput:
    return CriteriaEvaluatorInput.model_validate(PAIR.agent_input())


@pytest.fixture
def server() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(lambda _: HttpError(500, "no script set")) as s:
        yield s


def _judging(server: ScriptedLLM | None = None, **settings: Any) -> JobJudging:
    env = {"AGENTJOBS_JUDGE_MODEL__CRITERIA_EVALUATOR": JUDGE_MODEL} if server else {}
    return JobJudging(
        settings=_settings(env, **settings),
        clock=FakeClock(),
        model_factory=(lambda: MirascopeModel(base_url=server.base_url, api_key="sk-test", timeout_seconds=5))
        if server
        else None,
    )


def _settings(env: dict[str, str], **overrides: Any) -> Settings:
    import dataclasses

    return dataclasses.replace(Settings.from_env(env), **overrides)


def test_deterministic_judges_only_without_a_judge_model():
    judgements, quality = _judging().judge(_job(), _payload(), _result())
    assert [j.judge for j in judgements] == [
        "evidence_quotes_profile",
        "one_status_per_criterion",
        "verdict_follows_rule",
        "status_has_evidence",
    ]
    assert quality is Quality.PASSED
    assert all(j.model is None and j.cost is None for j in judgements)


def test_a_flipped_verdict_flags_the_job():
    output = PAIR.expert_output() | {"verdict": "eligible" if PAIR.verdict != "eligible" else "ineligible"}
    judgements, quality = _judging().judge(_job(), _payload(), _result(output))
    assert quality is Quality.FLAGGED
    failed = [j for j in judgements if j.passed is False]
    assert [j.judge for j in failed] == ["verdict_follows_rule"]
    assert failed[0].reason_code == "verdict_mismatch"


def test_a_crashing_judge_records_not_judged_and_never_raises():
    def boom(subject: Subject) -> Check:
        raise RuntimeError("judge bug")

    judging = JobJudging(settings=Settings(), clock=FakeClock(), judges_for=lambda _: [JudgeSpec("boom", "1", boom)])
    judgements, quality = judging.judge(_job(), _payload(), _result())
    assert quality is Quality.NOT_JUDGED
    assert judgements[0].passed is None and judgements[0].reason_code == "judge_error"
    assert "RuntimeError" in judgements[0].reason


def test_the_llm_judge_answers_through_the_scripted_server_and_its_cost_is_recorded(server: ScriptedLLM):
    seen: list[ScriptedRequest] = []

    def script(request: ScriptedRequest) -> Json:
        seen.append(request)
        return Json({"pass": False, "score": 0.5, "reason": "C2 is not supported by the cited sentences."})

    server.script = script
    judgements, quality = _judging(server).judge(_job(), _payload(), _result())
    llm = judgements[-1]
    assert llm.judge == "llm_rubric" and llm.model == JUDGE_MODEL
    assert llm.passed is False and llm.score == 0.5 and llm.reason_code == "rubric_failed"
    assert quality is Quality.FLAGGED
    assert llm.usage is not None and llm.usage.calls == 1 and llm.usage.input_tokens > 0
    assert llm.cost is not None and llm.cost.total_usd is not None and llm.cost.total_usd > 0
    assert llm.cost.price_source.startswith("genai-prices==")
    assert seen[0].model.startswith("gpt-4o-mini")
    assert PAIR.sentences[0] in seen[0].prompt  # the judge model sees the note; the reason may not quote it


def test_a_reason_quoting_the_note_is_asked_again_then_not_judged(server: ScriptedLLM):
    quote = " ".join(PAIR.sentences[0].split()[:8])
    server.script = sequence(
        Json({"pass": True, "score": 1.0, "reason": f"C0 is fine: {quote}"}),
        Json({"pass": True, "score": 1.0, "reason": f"Still: {quote}"}),
    )
    judgements, _ = _judging(server).judge(_job(), _payload(), _result())
    assert judgements[-1].passed is None and judgements[-1].reason_code == "judge_error"
    assert quote not in json.dumps([j.reason for j in judgements])
    assert len(server.requests) == 2


def test_a_failing_judge_model_never_fails_the_job(server: ScriptedLLM):
    server.script = lambda _: HttpError(429, "slow down")
    judgements, quality = _judging(server).judge(_job(), _payload(), _result())
    assert judgements[-1].passed is None and judgements[-1].reason_code == "judge_error"
    assert "model_rate_limited" in judgements[-1].reason
    assert quality is Quality.PASSED  # the deterministic judges passed


def test_sampling_bounds_the_llm_judge_per_tenant(server: ScriptedLLM):
    server.script = lambda _: Json({"pass": True, "score": 1.0, "reason": "All statuses supported."})
    judging = _judging(server, judge_sample_rate=1.0, judge_sample_rates={"acme": "0.1"})
    ids = [f"job_{i:026d}" for i in range(100)]
    judged = 0
    for job_id in ids:
        judgements, _ = judging.judge(_job(job_id=job_id), _payload(), _result())
        llm = judgements[-1]
        assert (llm.reason_code != "not_sampled") == sampled(job_id, 0.1)
        judged += llm.reason_code != "not_sampled"
    assert 2 <= judged <= 25
    assert len(server.requests) == judged
    other, _ = judging.judge(_job(tenant="globex"), _payload(), _result())
    assert other[-1].reason_code == "ok"  # other tenants keep the default rate


@pytest.fixture
def sentry() -> Iterator[tuple[telemetry.Telemetry, SentryReceiver]]:
    telemetry.shutdown()
    with SentryReceiver() as receiver:
        t = telemetry.init("run_agent", config=TelemetryConfig(service="run_agent", sentry_dsn=receiver.dsn))
        yield t, receiver
    telemetry.shutdown()


def test_a_flagged_job_raises_a_grouped_sentry_event_and_the_rolling_alert_fires_once(sentry):
    t, receiver = sentry
    judging = JobJudging(
        settings=_settings({}, judge_alert_window=5, judge_alert_pass_rate=0.8), clock=FakeClock(), telemetry=lambda: t
    )
    output = PAIR.expert_output() | {"verdict": "eligible" if PAIR.verdict != "eligible" else "ineligible"}
    for i in range(8):
        job = _job(job_id=f"job_{i:026d}")
        judgements, quality = judging.judge(job, _payload(), _result(output))
        judging.report(job.replace(status=JobStatus.SUCCESS, judgements=judgements, quality=quality))
    t.flush()
    events = receiver.wait_for("event", 9)
    flagged = [e for e in events if e.get("logentry", {}).get("message") == "job_flagged"]
    alerts = [e for e in events if e.get("logentry", {}).get("message") == "judge_pass_rate_low"]
    assert len(flagged) == 8
    assert {tuple(e["fingerprint"]) for e in flagged} == {("judge", "verdict_follows_rule", "criteria-evaluator")}
    assert flagged[0]["tags"]["job_id"].startswith("job_") and flagged[0]["tags"]["judge"] == "verdict_follows_rule"
    assert flagged[0]["level"] == "warning"
    assert len(alerts) == 1 and alerts[0]["tags"]["judge"] == "verdict_follows_rule"
    raw = receiver.raw().decode("utf-8", "replace")
    assert PAIR.sentences[0][:30] not in raw and PAIR.labels[0].text not in raw
