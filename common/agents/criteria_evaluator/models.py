"""Input and output models of the criteria evaluator agent.

The agent assesses one patient against a trial's eligibility criteria, criterion by criterion, as
in TrialGPT (Jin et al., "Matching patients to clinical trials with large language models", Nature
Communications 2024), then derives the overall verdict in code
(:mod:`common.agents.criteria_evaluator.verdict`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator

from common.agents.criteria_evaluator.criteria_text import split_criteria_text
from common.agents.criteria_evaluator.verdict import CriterionStatus, CriterionType, Verdict
from common.boundary.input_limits import (
    MAX_CRITERIA,
    MAX_CRITERIA_TEXT_CHARS,
    MAX_CRITERION_CHARS,
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
)

__all__ = [
    "CRITERIA_TEXT_PATTERN",
    "MAX_CRITERIA",
    "MAX_SENTENCES",
    "NOT_BLANK_PATTERN",
    "CriteriaEvaluation",
    "CriteriaEvaluatorInput",
    "CriterionAssessment",
    "CriterionInput",
]


# The OpenAPI document must not accept what validation refuses, or clients (and schemathesis)
# send what they were promised and get a 422. JSON Schema cannot strip whitespace or split text,
# so these patterns state the rules: a sentence is not blank (whitespace as pydantic's
# ``strip_whitespace`` sees it: Unicode White_Space); criteria text follows the documented layout
# that :func:`split_criteria_text` always splits: an optional intro line ending in ":", then
# Inclusion/Exclusion Criteria headings, each followed by marked items ("- ", "* ", "1. ", "a) ").
# The splitter also reads other layouts (plain paragraphs, ClinicalTrials.gov text); the schema
# promises only this one. Character classes are explicit so ECMA-262 and Python regexes agree.
_SPACE = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # Unicode White_Space
NOT_BLANK_PATTERN = rf"[^{_SPACE}]"
"""JSON Schema pattern of a string with at least one character that is not whitespace."""
_CHAR = r"[^\n\r\x00-\x1f\x7f\x85\u2028\u2029]"
_HEADING = (
    r"[ \t]*(?:[Kk]ey[ \t]+|[Mm]ain[ \t]+)?(?:[Ii]nclusion|INCLUSION|[Ee]xclusion|EXCLUSION)[ \t]+"
    r"(?:[Cc]riteria|CRITERIA)[ \t]*[:.]?[ \t]*"
)
_ITEM = rf"[ \t]*(?:[-*\u2022]|[0-9]{{1,3}}[.)]|[a-z][)])[ \t]+[A-Za-z]{_CHAR}{{0,{MAX_CRITERION_CHARS}}}"
CRITERIA_TEXT_PATTERN = (
    rf"^(?:[ \t]*\n)*(?:[A-Za-z][A-Za-z0-9 ,()/-]{{0,200}}:[ \t]*\n(?:[ \t]*\n)*)?"
    rf"{_HEADING}(?:\n[ \t]*)*\n{_ITEM}(?:\n(?:{_ITEM}|{_HEADING}|[ \t]*))*\n?$"
)
"""JSON Schema pattern of criteria text in the documented layout (always split into criteria)."""


def _text_schema(max_length: int, pattern: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "minLength": 1, "maxLength": max_length, "pattern": pattern})


CriterionText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CRITERION_CHARS),
    _text_schema(MAX_CRITERION_CHARS, NOT_BLANK_PATTERN),
]
Sentence = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SENTENCE_CHARS),
    _text_schema(MAX_SENTENCE_CHARS, NOT_BLANK_PATTERN),
]


class CriterionInput(BaseModel):
    """One eligibility criterion.

    Attributes:
        type: ``inclusion`` (the patient must satisfy it) or ``exclusion`` (a patient who
            satisfies it is excluded).
        text: The criterion as written in the protocol, 1 to 1,200 characters.
    """

    model_config = ConfigDict(extra="forbid")

    type: CriterionType
    text: CriterionText


class CriteriaEvaluatorInput(BaseModel):
    """What the criteria evaluator reads.

    Attributes:
        criteria: Either a list of 1 to 100 ``{type, text}`` criteria (each up to 1,200
            characters), or the eligibility text of a trial (up to 64,000 characters) with
            ``Inclusion Criteria:`` / ``Exclusion Criteria:`` headings, split into items by
            :func:`~common.agents.criteria_evaluator.criteria_text.split_criteria_text`.
        patient_profile: The patient note as a list of 1 to 200 sentences (each 1 to 400
            characters). Evidence in the output refers to these by 0-based index.
    """

    model_config = ConfigDict(extra="forbid")

    criteria: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=MAX_CRITERIA_TEXT_CHARS),
            _text_schema(MAX_CRITERIA_TEXT_CHARS, CRITERIA_TEXT_PATTERN),
        ]
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
            if any(len(item.text) > MAX_CRITERION_CHARS for item in items):
                raise ValueError(f"a criterion in the criteria text is longer than {MAX_CRITERION_CHARS} characters")
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
