"""Input and output models of the criteria evaluator agent.

The agent assesses one patient against a trial's eligibility criteria, criterion by criterion, as
in TrialGPT (Jin et al., "Matching patients to clinical trials with large language models", Nature
Communications 2024), then derives the overall verdict in code
(:mod:`common.agents.criteria_evaluator.verdict`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from common.agents.criteria_evaluator.criteria_text import split_criteria_text
from common.agents.criteria_evaluator.verdict import CriterionStatus, CriterionType, Verdict

__all__ = [
    "MAX_CRITERIA",
    "MAX_SENTENCES",
    "CriteriaEvaluation",
    "CriteriaEvaluatorInput",
    "CriterionAssessment",
    "CriterionInput",
]

MAX_CRITERIA = 200
MAX_SENTENCES = 500
_MAX_CRITERION_CHARS = 4_000
_MAX_SENTENCE_CHARS = 4_000
_MAX_CRITERIA_TEXT_CHARS = 100_000

CriterionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=_MAX_CRITERION_CHARS)]
Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=_MAX_SENTENCE_CHARS)]


class CriterionInput(BaseModel):
    """One eligibility criterion.

    Attributes:
        type: ``inclusion`` (the patient must satisfy it) or ``exclusion`` (a patient who
            satisfies it is excluded).
        text: The criterion as written in the protocol, 1 to 4,000 characters.
    """

    model_config = ConfigDict(extra="forbid")

    type: CriterionType
    text: CriterionText


class CriteriaEvaluatorInput(BaseModel):
    """What the criteria evaluator reads.

    Attributes:
        criteria: Either a list of 1 to 200 ``{type, text}`` criteria, or the eligibility text
            of a trial (up to 100,000 characters) with ``Inclusion Criteria:`` /
            ``Exclusion Criteria:`` headings, split into items by
            :func:`~common.agents.criteria_evaluator.criteria_text.split_criteria_text`.
        patient_profile: The patient note as a list of 1 to 500 sentences (each 1 to 4,000
            characters). Evidence in the output refers to these by 0-based index.
    """

    model_config = ConfigDict(extra="forbid")

    criteria: (
        Annotated[str, StringConstraints(min_length=1, max_length=_MAX_CRITERIA_TEXT_CHARS)]
        | Annotated[list[CriterionInput], Field(min_length=1, max_length=MAX_CRITERIA)]
    ) = Field(
        examples=[
            [
                {"type": "inclusion", "text": "Patients with cough or shortness of breath"},
                {"type": "exclusion", "text": "Pregnant women"},
            ],
            "Inclusion Criteria:\n- Age 18 or older\nExclusion Criteria:\n- Pregnancy",
        ]
    )
    patient_profile: Annotated[list[Sentence], Field(min_length=1, max_length=MAX_SENTENCES)] = Field(
        examples=[["A 31 yo male presents with productive cough and chest pain.", "He has a fever of 103.4."]]
    )

    @field_validator("criteria")
    @classmethod
    def _criteria_text_splits(cls, value: str | list[CriterionInput]) -> str | list[CriterionInput]:
        # Reject unsplittable text at submission (422), not when the job runs.
        if isinstance(value, str):
            items = split_criteria_text(value)
            if len(items) > MAX_CRITERIA:
                raise ValueError(f"criteria text has more than {MAX_CRITERIA} criteria")
            if any(len(item.text) > _MAX_CRITERION_CHARS for item in items):
                raise ValueError(f"a criterion in the criteria text is longer than {_MAX_CRITERION_CHARS} characters")
        return value

    def criteria_items(self) -> list[CriterionInput]:
        """The criteria as a list, splitting text criteria.

        Raises:
            CriteriaTextError: Text criteria without headings or items (a ``ValueError``;
                validation already rejects such input).
        """
        if isinstance(self.criteria, list):
            return list(self.criteria)
        return [CriterionInput(type=c.type, text=c.text) for c in split_criteria_text(self.criteria)]


class CriterionAssessment(BaseModel):
    """The assessment of one criterion.

    Attributes:
        criterion: The criterion text, as given (or as split from text).
        type: ``inclusion`` or ``exclusion``.
        status: ``met`` when the patient satisfies the criterion's condition, ``not_met`` when
            the note shows they do not, ``insufficient_information`` when the note does not say,
            ``not_applicable`` when the criterion does not apply to this patient. For an
            **exclusion** criterion, ``met`` means the patient **has the excluding condition**
            (and is therefore ineligible).
        evidence: 0-based indexes into ``patient_profile`` of the sentences supporting the status,
            ascending, without duplicates; indexes the model gave outside the profile are dropped.
        explanation: The model's short justification. It may quote the patient note.
    """

    criterion: str
    type: CriterionType
    status: CriterionStatus
    evidence: list[int] = Field(default_factory=list[int])
    explanation: str = ""


class CriteriaEvaluation(BaseModel):
    """The agent's output: one assessment per criterion, in input order, and the verdict.

    Attributes:
        criteria: One assessment per input criterion, in the same order.
        verdict: Computed in code from the statuses
            (:func:`common.agents.criteria_evaluator.verdict.verdict`): ``ineligible`` if any
            inclusion criterion is ``not_met`` or any exclusion criterion is ``met``; else
            ``insufficient_information`` if any inclusion criterion is
            ``insufficient_information``; else ``eligible``.
    """

    criteria: list[CriterionAssessment]
    verdict: Verdict
