"""The criteria evaluator's deterministic judges on the physician-labelled pairs, and corruptions."""

from __future__ import annotations

import pytest

from common.agents.criteria_evaluator.models import CriteriaEvaluation, CriteriaEvaluatorInput, CriterionAssessment
from common.evals.shared_data import LabelledPair, load_pairs
from common.judges.base import Subject
from common.judges.criteria import (
    JUDGES,
    evidence_quotes_profile,
    one_status_per_criterion,
    status_has_evidence,
    verdict_follows_rule,
)

PAIRS = load_pairs()


def _subject(pair: LabelledPair, output: CriteriaEvaluation | None = None) -> Subject:
    return Subject(
        CriteriaEvaluatorInput.model_validate(pair.agent_input()),
        output or CriteriaEvaluation.model_validate(pair.expert_output()),
    )


def _expert(pair: LabelledPair) -> CriteriaEvaluation:
    return CriteriaEvaluation.model_validate(pair.expert_output())


def test_the_data_is_all_there():
    assert len(PAIRS) == 12 and sum(len(p.labels) for p in PAIRS) == 74


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.case_id)
def test_expert_labels_pass_every_judge_but_evidence_where_physicians_gave_none(pair: LabelledPair):
    subject = _subject(pair)
    for judge in JUDGES:
        check = judge.check(subject)
        if judge.name != "status_has_evidence":
            assert check.passed, (judge.name, check.reason)
    # Physicians sometimes label a decisive status without citing a sentence; the judge names
    # exactly those (computed from the labels, not listed here).
    missing = [
        f"C{i}"
        for i, c in enumerate(pair.labels)
        if not c.evidence and (c.status == "met" or (c.status == "not_met" and c.type == "inclusion"))
    ]
    check = status_has_evidence(subject)
    assert check.passed == (not missing)
    for label in missing:
        assert label in check.reason


def test_evidence_outside_the_note_fails():
    pair = PAIRS[0]
    out = _expert(pair)
    out.criteria[1].evidence = [len(pair.sentences) + 5]
    check = evidence_quotes_profile(_subject(pair, out))
    assert not check.passed and "C1" in check.reason


def test_a_quote_the_note_does_not_contain_fails_and_a_real_quote_passes():
    pair = PAIRS[0]
    out = _expert(pair)
    real = " ".join(pair.sentences[0].split()[:8])
    out.criteria[0].explanation = f'The note says "{real}".'
    assert evidence_quotes_profile(_subject(pair, out)).passed
    out.criteria[2].explanation = 'The note says "the patient had a chest tube placed yesterday".'
    check = evidence_quotes_profile(_subject(pair, out))
    assert not check.passed and check.reason_code == "evidence_not_in_profile"
    assert "C2" in check.reason and "chest tube" not in check.reason


def test_a_flipped_verdict_fails():
    for pair in PAIRS:
        out = _expert(pair)
        out.verdict = "eligible" if out.verdict != "eligible" else "ineligible"
        check = verdict_follows_rule(_subject(pair, out))
        assert not check.passed and check.reason_code == "verdict_mismatch"


def test_a_status_that_contradicts_the_verdict_fails():
    pair = next(p for p in PAIRS if p.verdict == "eligible")
    out = _expert(pair)
    i = next(i for i, c in enumerate(out.criteria) if c.type == "exclusion")
    out.criteria[i].status = "met"  # the patient now has an excluding condition, the verdict still says eligible
    out.criteria[i].evidence = [0]
    assert not verdict_follows_rule(_subject(pair, out)).passed


def test_missing_extra_and_mismatched_statuses_fail():
    pair = PAIRS[0]
    out = _expert(pair)
    out.criteria.pop(2)
    check = one_status_per_criterion(_subject(pair, out))
    assert not check.passed and check.reason_code == "status_count_mismatch"
    out = _expert(pair)
    out.criteria.append(CriterionAssessment(criterion="Invented", type="inclusion", status="met", evidence=[0]))
    assert "1 extra" in one_status_per_criterion(_subject(pair, out)).reason
    out = _expert(pair)
    out.criteria[0], out.criteria[1] = out.criteria[1], out.criteria[0]
    check = one_status_per_criterion(_subject(pair, out))
    assert "C0 mismatched" in check.reason and "C1 mismatched" in check.reason


def test_met_without_evidence_fails_but_an_exclusion_not_met_may_go_without():
    pair = PAIRS[0]
    out = _expert(pair)
    for c in out.criteria:
        if c.type == "exclusion" and c.status == "not_met":
            c.evidence = []
    assert status_has_evidence(_subject(pair, out)).passed
    i = next(i for i, c in enumerate(out.criteria) if c.status == "met")
    out.criteria[i].evidence = []
    check = status_has_evidence(_subject(pair, out))
    assert not check.passed and f"C{i}" in check.reason
