"""Reviewers' feedback as an evaluation dataset (``agentjobs eval export-feedback``).

Each successful job with feedback becomes one JSONL case (:mod:`common.evals.datasets`' format):
its agent and input, and, when the latest verdict is ``correct``, its result as the expected
output with an assertion on the verdict (criteria evaluator) so a later run that changes it
shows as a regression. ``incorrect`` and ``partial`` cases carry the verdicts and fields in
``metadata`` for review, without expected output. Ids and codes only, besides the job's own
input and result, which the tenant owns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from common.jobs.models import Job, JobStatus

__all__ = ["feedback_cases"]


def feedback_cases(jobs: Iterable[Job]) -> list[dict[str, Any]]:
    """One dataset line per successful job with feedback, oldest job first."""
    cases: list[dict[str, Any]] = []
    for job in sorted(jobs, key=lambda j: j.created_at):
        if job.status is not JobStatus.SUCCESS or not job.feedback:
            continue
        latest = job.feedback[-1]
        case: dict[str, Any] = {
            "name": job.job_id,
            "agent": job.agent,
            "input": job.input,
            "metadata": {
                "job_id": job.job_id,
                "quality": None if job.quality is None else job.quality.value,
                "feedback": [
                    {"verdict": f.verdict, "field": f.field, "comment_code": f.comment_code} for f in job.feedback
                ],
                "flagged_by": [j.judge for j in job.judgements if j.passed is False],
            },
        }
        if latest.verdict == "correct" and job.result is not None:
            case["expected_output"] = job.result
            if "verdict" in job.result:
                case["assertions"] = [{"field": "verdict", "equals": job.result["verdict"]}]
        cases.append(case)
    return cases
