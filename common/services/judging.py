"""Judging a successful job's output before its callback goes out (issue 9).

:meth:`JobJudging.judge` runs while the attempt still holds its lease, between the agent's
return and the completion write, so the verdicts are stored in that same write (no extra
Firestore operation) and the callback, enqueued after it, already knows the quality:

1. the agent's deterministic judges (:mod:`common.judges.registry`), always;
2. the LLM judge (:mod:`common.judges.llm`) when a judge model is configured for the agent
   (``AGENTJOBS_JUDGE_MODEL__<AGENT>``) and the job is sampled at its tenant's rate
   (:mod:`common.judges.sampling`); its usage and cost are recorded on its judgement.

A judge that crashes, or an LLM judge that fails or times out, leaves a judgement without a
verdict (``pass: null``, ``judge_error`` / ``judge_timeout``); it never fails the job.

:meth:`JobJudging.report` runs after the write: each judgement is counted in the
``agentjobs.judgements`` metric, a flagged job raises a Sentry warning fingerprinted by judge and
agent (so repeats group into one issue) and tagged with the job, and each judge's rolling pass
rate per tenant and agent (:mod:`common.judges.alerts`) raises one alert when it drops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from common.agents.base import AgentResult
from common.config import Settings
from common.errors import AgentJobsError, TransientError
from common.jobs.models import Job
from common.judges.alerts import PassRateWindows
from common.judges.base import JudgeSpec, Subject
from common.judges.models import Judgement, Quality, quality_of
from common.judges.sampling import sampled
from common.llm.default import ModelFactory, default_model
from common.llm.port import StructuredModel
from common.telemetry import Telemetry, get
from common.telemetry.log import log, where

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["JobJudging"]


class JobJudging:
    """Runs the judges of successful jobs and reports what they found.

    Args:
        settings: Judge models, sampling rates and alert window.
        clock: Current UTC time (the judgements' ``at``).
        model_factory: Builds the model port for the LLM judge (default: the process-wide
            mirascope adapter); tests point it at the scripted server.
        telemetry: Returns the process's telemetry (default :func:`common.telemetry.get`).
        judges_for: The deterministic judges of an agent (default: the registry).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Callable[[], datetime],
        model_factory: ModelFactory | None = None,
        telemetry: Callable[[], Telemetry] = get,
        judges_for: Callable[[str], Sequence[JudgeSpec]] | None = None,
    ):
        self._settings = settings
        self._clock = clock
        self._model_factory = model_factory or default_model
        self._model: StructuredModel | None = None
        self._lock = threading.Lock()
        self._telemetry = telemetry
        self._judges_for = judges_for
        self._windows = PassRateWindows(settings.judge_alert_window, settings.judge_alert_pass_rate)

    def judge(self, job: Job, payload: BaseModel, result: AgentResult) -> tuple[tuple[Judgement, ...], Quality]:
        """Judge one successful job's output. Never raises.

        Args:
            job: The job as it is running (tenant, id, agent).
            payload: The job's validated input.
            result: What the agent returned, with the source pages it read.

        Returns:
            The judgements, in the order the judges ran, and the job's quality.
        """
        subject = Subject(input=payload, output=result.output, source_pages=result.source_pages)
        judgements = [self._deterministic(job, spec, subject) for spec in self._judges(job.agent)]
        model = self._settings.judge_model_for(job.agent)
        if model:
            judgements.append(self._llm(job, model, subject))
        return tuple(judgements), quality_of(judgements)

    def report(self, job: Job) -> None:
        """Metric per judgement; for a flagged job a Sentry warning; the rolling alert. Never raises."""
        try:
            self._report(job)
        except Exception as e:  # reporting must never touch the job's outcome
            log("judge.report_failed", severity="WARNING", job_id=job.job_id, error_type=type(e).__name__)

    # -- judges -------------------------------------------------------------------------------

    def _judges(self, agent: str) -> Sequence[JudgeSpec]:
        if self._judges_for is not None:
            return self._judges_for(agent)
        from common.judges.registry import deterministic_judges

        return deterministic_judges(agent)

    def _deterministic(self, job: Job, spec: JudgeSpec, subject: Subject) -> Judgement:
        if spec.needs_source and not subject.source_pages:
            return self._no_verdict(spec.name, spec.version, "output_unavailable", "the source pages were not kept")
        try:
            check = spec.check(subject)
        except Exception as e:
            log(
                "judge.crashed",
                severity="ERROR",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                judge=spec.name,
                error_type=type(e).__name__,
                where=where(e),
            )
            return self._no_verdict(spec.name, spec.version, "judge_error", f"the judge failed ({type(e).__name__})")
        return Judgement(
            judge=spec.name,
            version=spec.version,
            passed=check.passed,
            score=round(min(1.0, max(0.0, check.score)), 4),
            reason_code=check.reason_code,
            reason=check.reason,
            at=self._clock(),
        )

    def _llm(self, job: Job, model: str, subject: Subject) -> Judgement:
        from common.judges.llm import JUDGE_NAME, JUDGE_VERSION, ask

        if not sampled(job.job_id, self._settings.judge_rate_for(job.tenant_id)):
            return self._no_verdict(JUDGE_NAME, JUDGE_VERSION, "not_sampled", "not sampled at the tenant's rate", model)
        started = time.perf_counter()
        try:
            generation = ask(self._structured_model(), model, job.agent, subject)
        except Exception as e:
            code = (
                "judge_timeout" if isinstance(e, TransientError) and e.error_code == "model_timeout" else "judge_error"
            )
            reason_code = e.error_code if isinstance(e, AgentJobsError) else type(e).__name__
            log(
                "judge.llm_failed",
                severity="WARNING",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                code=reason_code,
                seconds=round(time.perf_counter() - started, 3),
            )
            return self._no_verdict(JUDGE_NAME, JUDGE_VERSION, code, f"the judge model failed ({reason_code})", model)
        usage = generation.usage()
        from common.costs.pricing import price_job

        answer = generation.output
        return Judgement(
            judge=JUDGE_NAME,
            version=JUDGE_VERSION,
            passed=answer.passed,
            score=round(answer.score, 4),
            reason_code="ok" if answer.passed else "rubric_failed",
            reason=answer.reason,
            at=self._clock(),
            model=model,
            usage=usage,
            cost=price_job(usage.model_calls, now=self._clock()),
        )

    def _structured_model(self) -> StructuredModel:
        with self._lock:  # built once, on the first LLM judgement (that is when mirascope loads)
            if self._model is None:
                self._model = self._model_factory()
            return self._model

    def _no_verdict(self, judge: str, version: str, code: str, reason: str, model: str | None = None) -> Judgement:
        return Judgement(
            judge=judge,
            version=version,
            passed=None,
            score=0.0,
            reason_code=code,
            reason=reason,
            at=self._clock(),
            model=model,
        )

    # -- reporting ----------------------------------------------------------------------------

    def _report(self, job: Job) -> None:
        telemetry = self._telemetry()
        tags = {"tenant_id": job.tenant_id, "job_id": job.job_id, "agent": job.agent}
        for j in job.judgements:
            outcome = "not_judged" if j.passed is None else "pass" if j.passed else "fail"
            telemetry.record_judgement(agent=job.agent, judge=j.judge, outcome=outcome)
            if j.passed is None:
                continue
            state = self._windows.observe((job.tenant_id, job.agent, j.judge), j.passed)
            if state.alert:
                log(
                    "judge.pass_rate_low",
                    severity="WARNING",
                    tenant_id=job.tenant_id,
                    agent=job.agent,
                    judge=j.judge,
                    pass_rate=round(state.pass_rate, 3),
                    jobs=state.jobs,
                )
                telemetry.alert(
                    "judge_pass_rate_low",
                    fingerprint=["judge-pass-rate", j.judge, job.agent, job.tenant_id],
                    tags={"tenant_id": job.tenant_id, "agent": job.agent, "judge": j.judge},
                )
        if job.quality is not Quality.FLAGGED:
            return
        for j in job.judgements:
            if j.passed is False:
                log(
                    "job.flagged",
                    severity="WARNING",
                    tenant_id=job.tenant_id,
                    job_id=job.job_id,
                    agent=job.agent,
                    judge=j.judge,
                    reason_code=j.reason_code,
                )
                telemetry.alert(
                    "job_flagged",
                    fingerprint=["judge", j.judge, job.agent],
                    tags={**tags, "judge": j.judge, "reason_code": j.reason_code, "quality": job.quality.value},
                )
