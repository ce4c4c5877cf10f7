"""The protocol processor's deterministic judges: real outputs pass, corrupted outputs fail."""

from __future__ import annotations

import pytest

from common.agents.protocol_processor.models import Criterion, ProtocolSummary, SectionRef
from common.judges.protocol import JUDGES, criteria_on_cited_page, no_duplicate_criteria, sections_disjoint
from tests.unit.judges.conftest import PROTOCOLS, protocol_output, protocol_subject


def _copy(name: str) -> ProtocolSummary:
    return protocol_output(name)[0].model_copy(deep=True)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_real_outputs_pass_every_judge(name: str):
    summary, _ = protocol_output(name)
    assert len(summary.inclusion_criteria) >= 5 and len(summary.exclusion_criteria) >= 10
    for judge in JUDGES:
        check = judge.check(protocol_subject(name))
        assert check.passed, (judge.name, check.reason)
        assert check.score == 1.0


@pytest.mark.parametrize("name", PROTOCOLS)
def test_a_changed_criterion_text_is_named(name: str):
    summary = _copy(name)
    target = summary.exclusion_criteria[3]
    target.text = "Participants with a history of lunar travel or exposure to zero gravity within 6 months."
    check = criteria_on_cited_page(protocol_subject(name, summary))
    assert not check.passed
    assert check.reason_code == "criterion_not_on_page"
    assert f"E{target.id}" in check.reason
    assert "lunar" not in check.reason  # ids only, never text
    total = len(summary.inclusion_criteria) + len(summary.exclusion_criteria)
    assert check.score == pytest.approx((total - 1) / total)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_a_changed_number_is_caught(name: str):
    summary = _copy(name)
    target = next(
        c for c in summary.inclusion_criteria + summary.exclusion_criteria if any(ch.isdigit() for ch in c.text)
    )
    digits = "".join(ch for ch in target.text if ch.isdigit())
    target.text = target.text.replace(digits[0], "7" if digits[0] != "7" else "3", 1) + " 987654"
    assert not criteria_on_cited_page(protocol_subject(name, summary)).passed


@pytest.mark.parametrize("name", PROTOCOLS)
@pytest.mark.parametrize("shift", [10, -1, 1])
def test_a_page_off_is_caught(name: str, shift: int):
    summary = _copy(name)
    target = summary.inclusion_criteria[1]
    target.page += shift
    check = criteria_on_cited_page(protocol_subject(name, summary))
    assert not check.passed
    assert f"I{target.id}" in check.reason


def test_a_fabricated_criterion_and_a_page_outside_the_document_fail():
    summary = _copy(PROTOCOLS[0])
    summary.exclusion_criteria.append(Criterion(id="99", text="Prior treatment with xanomeline patches.", page=13))
    summary.inclusion_criteria.append(Criterion(id="98", text="Age 50 or older.", page=10_000))
    check = criteria_on_cited_page(protocol_subject(PROTOCOLS[0], summary))
    assert not check.passed
    assert "E99" in check.reason and "I98" in check.reason


def test_overlapping_sections_fail_nesting_and_touching_pass():
    summary = _copy(PROTOCOLS[1])
    assert sections_disjoint(protocol_subject(PROTOCOLS[1], summary)).passed  # inclusion ends where exclusion starts
    summary.sections = [
        SectionRef(kind="eligibility", title="Eligibility", start_page=10, end_page=20),
        SectionRef(kind="inclusion", title="Inclusion", start_page=11, end_page=12),  # nested: fine
        SectionRef(kind="exclusion", title="Exclusion", start_page=12, end_page=15),  # touches: fine
        SectionRef(kind="schedule_of_activities", title="SoA", start_page=18, end_page=25),  # overlaps 10-20
    ]
    check = sections_disjoint(protocol_subject(PROTOCOLS[1], summary))
    assert not check.passed and check.reason_code == "sections_overlap"
    assert "0/3" in check.reason
    summary.sections = [SectionRef(kind="inclusion", title="Inclusion", start_page=30, end_page=500)]
    assert sections_disjoint(protocol_subject(PROTOCOLS[1], summary)).reason_code == "section_out_of_range"


def test_duplicated_criteria_fail():
    summary = _copy(PROTOCOLS[0])
    original = summary.inclusion_criteria[0]
    summary.inclusion_criteria.append(Criterion(id="77", text=original.text.upper() + " .", page=original.page))
    summary.exclusion_criteria.append(summary.exclusion_criteria[0].model_copy())
    check = no_duplicate_criteria(protocol_subject(PROTOCOLS[0], summary))
    assert not check.passed
    assert f"I77=I{original.id}" in check.reason
    assert f"E{summary.exclusion_criteria[0].id}" in check.reason
