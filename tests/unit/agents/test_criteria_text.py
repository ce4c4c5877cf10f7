"""Splitting criteria text into typed items, on invented shapes and on the TrialGPT trials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from common.agents.criteria_evaluator.criteria_text import (
    CriteriaTextError,
    TextCriterion,
    split_criteria_text,
)
from common.agents.criteria_evaluator.models import CriteriaEvaluatorInput, CriterionInput

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "criteria"


def pairs(items: list[TextCriterion]) -> list[tuple[str, str]]:
    return [(c.type, c.text) for c in items]


def test_clinicaltrials_gov_text_with_blank_line_separated_items() -> None:
    text = (
        "inclusion criteria: \n\n Patient and/or parents/guardian signed informed consent \n\n "
        "Patients with cough or shortness of breath \n\n "
        "exclusion criteria: \n\n Chest tubes \n\n Skin lesions precluding attachment of sensors \n\n "
        "Respiratory distress \n\n Pregnant women"
    )
    assert pairs(split_criteria_text(text)) == [
        ("inclusion", "Patient and/or parents/guardian signed informed consent"),
        ("inclusion", "Patients with cough or shortness of breath"),
        ("exclusion", "Chest tubes"),
        ("exclusion", "Skin lesions precluding attachment of sensors"),
        ("exclusion", "Respiratory distress"),
        ("exclusion", "Pregnant women"),
    ]


def test_markdown_bullets_of_either_kind() -> None:
    text = "Inclusion Criteria:\n- a\n- b\nExclusion Criteria:\n* c"
    assert pairs(split_criteria_text(text)) == [("inclusion", "a"), ("inclusion", "b"), ("exclusion", "c")]


def test_numbered_items_wrapped_lines_and_nested_letters() -> None:
    text = (
        "Key Inclusion Criteria:\n"
        "1. Age 18 years or older at\n   the time of consent\n"
        "2. One of the following:\n   a. asthma\n   b. COPD\n"
        "3. Signed consent\n"
        "Key Exclusion Criteria:\n"
        "1. Pregnancy;\n"
    )
    assert pairs(split_criteria_text(text)) == [
        ("inclusion", "Age 18 years or older at the time of consent"),
        ("inclusion", "One of the following: a. asthma b. COPD"),
        ("inclusion", "Signed consent"),
        ("exclusion", "Pregnancy"),  # a list's trailing ';' is punctuation of the list, not the criterion
    ]


def test_indented_sub_bullets_fold_into_their_parent() -> None:
    # ClinicalTrials.gov's current markdown reuses "*" for nested lists, with indentation.
    text = (
        "Inclusion Criteria:\n\n* Age >= 18\n* Diagnosis of X, defined as:\n\n  * a\n  * b\n"
        "* Signed consent\n\n"
        "Exclusion Criteria:\n\n* Pregnancy\n"
    )
    assert pairs(split_criteria_text(text)) == [
        ("inclusion", "Age >= 18"),
        ("inclusion", "Diagnosis of X, defined as: * a * b"),
        ("inclusion", "Signed consent"),
        ("exclusion", "Pregnancy"),
    ]


def test_items_on_the_heading_line_and_exclusion_only_text() -> None:
    assert pairs(split_criteria_text("Inclusion criteria: age over 18\nExclusion criteria: pregnancy")) == [
        ("inclusion", "age over 18"),
        ("exclusion", "pregnancy"),
    ]
    assert pairs(split_criteria_text("EXCLUSION CRITERIA\n- Pregnancy")) == [("exclusion", "Pregnancy")]


def test_an_intro_line_before_the_first_heading_is_allowed() -> None:
    text = "Eligibility criteria:\nInclusion Criteria:\n- a"
    assert pairs(split_criteria_text(text)) == [("inclusion", "a")]


@pytest.mark.parametrize(
    "text",
    [
        "Patients with cough\nPregnant women",  # no heading: the type of each item is unknown
        "Some study notes.\nMore notes.\nInclusion Criteria:\n- a",  # text before the heading
        "Inclusion Criteria:\n\nExclusion Criteria:\n",  # headings, no items
    ],
)
def test_text_without_usable_criteria_is_rejected(text: str) -> None:
    with pytest.raises(CriteriaTextError) as caught:
        split_criteria_text(text)
    assert "cough" not in str(caught.value) and "notes" not in str(caught.value)


def test_input_model_rejects_unsplittable_text_at_validation() -> None:
    with pytest.raises(ValidationError):
        CriteriaEvaluatorInput.model_validate({"criteria": "Patients with cough", "patient_profile": ["x"]})


def test_input_model_splits_text_into_items() -> None:
    request = CriteriaEvaluatorInput.model_validate(
        {"criteria": "Inclusion Criteria:\n- a\nExclusion Criteria:\n- b", "patient_profile": [" x "]}
    )
    assert request.criteria_items() == [
        CriterionInput(type="inclusion", text="a"),
        CriterionInput(type="exclusion", text="b"),
    ]
    assert request.patient_profile == ["x"]


@pytest.mark.parametrize(
    "payload",
    [
        {"criteria": [], "patient_profile": ["x"]},
        {"criteria": [{"type": "inclusion", "text": "a"}], "patient_profile": []},
        {"criteria": [{"type": "inclusion", "text": "a"}], "patient_profile": ["  "]},
        {"criteria": [{"type": "other", "text": "a"}], "patient_profile": ["x"]},
        {"criteria": [{"type": "inclusion", "text": "a", "extra": 1}], "patient_profile": ["x"]},
        {"criteria": [{"type": "inclusion", "text": "a"}], "patient_profile": ["x"], "extra": 1},
        {"criteria": [{"type": "inclusion", "text": "a" * 4001}], "patient_profile": ["x"]},
        {"criteria": [{"type": "inclusion", "text": "a"}] * 201, "patient_profile": ["x"]},
        {"criteria": "", "patient_profile": ["x"]},
    ],
)
def test_input_model_limits(payload: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CriteriaEvaluatorInput.model_validate(payload)


def _norm(text: str) -> str:
    return " ".join(text.split()).rstrip(".;")


def test_trialgpt_trials_split_into_their_annotated_criteria() -> None:
    trials_path, labels_path = DATA / "trials.jsonl", DATA / "criterion_labels.jsonl"
    if not trials_path.is_file() or not labels_path.is_file():
        pytest.fail(f"shared evaluation data missing: expected {trials_path} and {labels_path}")
    labels = [json.loads(line) for line in labels_path.read_text().splitlines()]
    found: dict[str, set[tuple[str, str]]] = {}
    for row in map(json.loads, trials_path.read_text().splitlines()):
        # TrialGPT cut the ClinicalTrials.gov text at "exclusion criteria"; this puts it back.
        text = row["inclusion_criteria"] + "exclusion criteria" + row["exclusion_criteria"]
        found[row["nct_id"]] = {(c.type, _norm(c.text)) for c in split_criteria_text(text)}
    assert len(found) == 11
    # Where the annotators split or typed items differently from the source text.
    annotator_choices = {
        ("NCT02615912", "inclusion"),  # labels an item of the exclusion text as inclusion
        ("NCT00844987", "inclusion"),  # split "...angiography; if necessary with PCI and 4) signed..."
        ("NCT00845988", "inclusion"),  # split one paragraph holding two sentences
    }
    labelled: dict[tuple[str, str], set[str]] = {}
    for label in labels:
        labelled.setdefault((label["trial_id"], label["criterion_type"]), set()).add(_norm(label["criterion_text"]))
    checked = 0
    for (trial, kind), texts in labelled.items():
        if (trial, kind) in annotator_choices:
            continue
        assert {t for k, t in found[trial] if k == kind} == texts, (trial, kind)
        checked += 1
    assert checked == 19  # of the 22 (trial, type) lists
