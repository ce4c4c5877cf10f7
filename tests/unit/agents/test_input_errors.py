"""Validation errors name fields as the client sent them, once per problem, without pydantic internals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from common.agents.criteria_evaluator.models import CriteriaEvaluatorInput
from common.agents.input_errors import field_errors


def errors(body):
    with pytest.raises(ValidationError) as caught:
        CriteriaEvaluatorInput.model_validate(body)
    return field_errors(caught.value)


def test_a_list_that_fails_inside_reports_only_its_own_problem():
    assert errors({"criteria": [{"type": "x", "text": "a"}], "patient_profile": ["a"]}) == [
        {"field": "criteria[0].type", "message": "Input should be 'inclusion' or 'exclusion'"}
    ]


def test_paths_and_messages_carry_no_pydantic_names():
    found = errors({"criteria": [5, {"type": "inclusion", "text": ""}], "patient_profile": [], "made_up": 1})
    assert found == [
        {"field": "criteria[0]", "message": "Input should be an object"},
        {"field": "criteria[1].text", "message": "String should have at least 1 character"},
        {"field": "patient_profile", "message": "List should have at least 1 item after validation, not 0"},
        {"field": "(body)", "message": "has a field the schema does not define"},
    ]
    text = repr(found)
    for internal in ("constrained-str", "list[", "CriterionInput", "Value error", "made_up"):
        assert internal not in text


def test_a_value_of_neither_union_member_is_one_problem():
    assert [e["field"] for e in errors({"criteria": 5, "patient_profile": ["a"]})] == ["criteria"]
