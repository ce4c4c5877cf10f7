"""What the criteria evaluator sends to the model, and the shape it asks back. Pure.

The prompt follows TrialGPT's criterion-level matching (Jin et al., Nature Communications 2024):
the patient note as numbered sentences, each criterion assessed separately with the sentences
that support it. The model is not asked for an overall verdict; code derives it.

The answer schema stays inside OpenAI's strict structured-output subset (no length limits, every
field required) so that every format mode and provider accepts it; its limits are checked in code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from common.agents.criteria_evaluator.models import CriterionInput
from common.llm.port import OutputCheck, OutputRejected

__all__ = ["SYSTEM_PROMPT", "CriteriaAnswer", "ModelAssessment", "build_prompt", "check_one_per_criterion"]

SYSTEM_PROMPT = """\
You are a clinical research coordinator screening a patient for a clinical trial.

Assess every eligibility criterion separately, using only the patient note. For each criterion give:
- explanation: one or two sentences of reasoning;
- evidence: the numbers of the note sentences that support your status (empty if none);
- status, one of:
  - "met": the note shows the patient satisfies the criterion's condition;
  - "not_met": the note shows the patient does not;
  - "insufficient_information": the note does not say enough to tell;
  - "not_applicable": the criterion does not apply to this patient.

For an EXCLUSION criterion the status still describes the condition itself: "met" means the patient
HAS the excluding condition; "not_met" means the note shows they do not have it.

Do not judge overall eligibility. Return exactly one assessment per criterion, identified by its
criterion_index."""


class ModelAssessment(BaseModel):
    """The model's assessment of one criterion."""

    criterion_index: int = Field(description="The number of the criterion in the list, starting at 0.")
    explanation: str = Field(description="One or two sentences of reasoning.")
    evidence: list[int] = Field(description="Numbers of the patient note sentences supporting the status.")
    status: Literal["met", "not_met", "insufficient_information", "not_applicable"] = Field(
        description="For an exclusion criterion, met means the patient has the excluding condition."
    )


class CriteriaAnswer(BaseModel):
    """Assessments of the trial's eligibility criteria for one patient, one per criterion."""

    assessments: list[ModelAssessment]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_prompt(criteria: Sequence[CriterionInput], patient_profile: Sequence[str]) -> str:
    """The user prompt: numbered note sentences, then numbered criteria tagged with their type.

    Args:
        criteria: The criteria, in order; ``criterion_index`` refers to this order (0-based).
        patient_profile: The note's sentences; evidence numbers refer to this order (0-based).

    Returns:
        The prompt text, one sentence or criterion per line.
    """
    sentences = "\n".join(f"{i}. {_one_line(s)}" for i, s in enumerate(patient_profile))
    items = "\n".join(f"{i}. [{c.type}] {_one_line(c.text)}" for i, c in enumerate(criteria))
    return (
        "Patient note, one numbered sentence per line:\n"
        f"{sentences}\n\n"
        f"Eligibility criteria ({len(criteria)}), numbered from 0, each tagged [inclusion] or [exclusion]:\n"
        f"{items}\n\n"
        f"Return {len(criteria)} assessments, one for each criterion_index from 0 to {len(criteria) - 1}."
    )


def check_one_per_criterion(count: int) -> OutputCheck[CriteriaAnswer]:
    """A check that an answer has exactly one assessment per criterion index ``0..count-1``.

    Returns:
        A callable raising :class:`~common.llm.port.OutputRejected` (message: indexes only).
    """

    def check(answer: CriteriaAnswer) -> None:
        seen = [a.criterion_index for a in answer.assessments]
        expected = set(range(count))
        missing = sorted(expected - set(seen))
        unknown = sorted(set(seen) - expected)
        repeated = sorted({i for i in seen if seen.count(i) > 1})
        if missing or unknown or repeated:
            problems = [
                f"{label} criterion_index {values}"
                for label, values in (("missing", missing), ("unknown", unknown), ("repeated", repeated))
                if values
            ]
            raise OutputRejected(
                f"expected exactly one assessment for each criterion_index from 0 to {count - 1}; "
                + "; ".join(problems)
            )

    return check
