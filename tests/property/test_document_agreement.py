"""The OpenAPI document promises no more than validation accepts (pure, no emulator).

schemathesis checks this through the apps with a few hundred requests; here the patterns the
document uses for free text are checked directly, with many more examples: every string the
document's pattern accepts is accepted by the agent's input model.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from common.agents.criteria_evaluator.models import CRITERIA_TEXT_PATTERN, NOT_BLANK_PATTERN, CriteriaEvaluatorInput
from common.api.openapi import openapi_document
from tests.property.conftest import examples

pytestmark = pytest.mark.property


def accepted(criteria: object, profile: list[str] | None = None) -> bool:
    try:
        CriteriaEvaluatorInput.model_validate({"criteria": criteria, "patient_profile": profile or ["x"]})
    except ValidationError:
        return False
    return True


@examples("document_patterns")
@given(st.from_regex(CRITERIA_TEXT_PATTERN).filter(lambda t: len(t) <= 20_000))
def test_criteria_text_the_document_accepts_is_split_into_criteria(text):
    assert accepted(text), repr(text)


@examples("document_patterns")
@given(st.text(max_size=6))
def test_a_sentence_is_blank_for_the_document_exactly_when_validation_says_so(sentence):
    assert (re.search(NOT_BLANK_PATTERN, sentence) is not None) == accepted("Inclusion Criteria:\n- a", [sentence])


@pytest.mark.parametrize(
    "criteria", ["0", " ", "Inclusion Criteria:", "Inclusion Criteria::", "x\nInclusion Criteria:\n- a"]
)
def test_criteria_text_that_validation_refuses_is_outside_the_document(criteria):
    assert not accepted(criteria)
    document = openapi_document()
    text_schema = document["components"]["schemas"]["CriteriaEvaluatorInput"]["properties"]["criteria"]["anyOf"][0]
    assert re.search(text_schema["pattern"], criteria) is None
