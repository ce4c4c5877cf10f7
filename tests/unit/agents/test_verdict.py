"""The verdict rule, exhaustively over small inputs, and against the expert-derived pair verdicts."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import get_args

import pytest

from common.agents.criteria_evaluator.verdict import CriterionStatus, CriterionType, Verdict, verdict

TYPES: tuple[CriterionType, ...] = get_args(CriterionType)
STATUSES: tuple[CriterionStatus, ...] = get_args(CriterionStatus)
DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "criteria"

# One criterion: the whole truth table (2 types x 4 statuses).
SINGLE: dict[tuple[CriterionType, CriterionStatus], Verdict] = {
    ("inclusion", "met"): "eligible",
    ("inclusion", "not_met"): "ineligible",
    ("inclusion", "insufficient_information"): "insufficient_information",
    ("inclusion", "not_applicable"): "eligible",
    ("exclusion", "met"): "ineligible",  # the patient has the excluding condition
    ("exclusion", "not_met"): "eligible",
    ("exclusion", "insufficient_information"): "eligible",  # an undocumented exclusion does not count
    ("exclusion", "not_applicable"): "eligible",
}
SEVERITY: dict[Verdict, int] = {"eligible": 0, "insufficient_information": 1, "ineligible": 2}


def test_the_truth_table_covers_every_type_and_status() -> None:
    assert set(SINGLE) == set(itertools.product(TYPES, STATUSES))


@pytest.mark.parametrize(("pair", "expected"), SINGLE.items(), ids=[f"{t}-{s}" for t, s in SINGLE])
def test_one_criterion(pair: tuple[CriterionType, CriterionStatus], expected: Verdict) -> None:
    assert verdict([pair]) == expected


def test_no_criteria_is_eligible() -> None:
    assert verdict([]) == "eligible"


def test_every_combination_of_three_criteria_takes_the_most_severe_single_verdict() -> None:
    # ineligible beats insufficient_information beats eligible, whatever the order: the rule is
    # a max over the per-criterion verdicts of the table above. 8^3 = 512 ordered combinations.
    for combo in itertools.product(SINGLE, repeat=3):
        singles: list[Verdict] = [SINGLE[c] for c in combo]
        expected = max(singles, key=lambda v: SEVERITY[v])
        assert verdict(combo) == expected, combo


def test_ineligible_wins_over_insufficient_information() -> None:
    assert verdict([("inclusion", "insufficient_information"), ("exclusion", "met")]) == "ineligible"
    assert verdict([("inclusion", "insufficient_information"), ("inclusion", "not_met")]) == "ineligible"


def test_accepts_any_iterable_once() -> None:
    pairs: list[tuple[CriterionType, CriterionStatus]] = [("inclusion", "met"), ("exclusion", "not_met")]
    assert verdict(iter(pairs)) == "eligible"


def test_reproduces_every_expert_derived_pair_verdict() -> None:
    labels_path, verdicts_path = DATA / "criterion_labels.jsonl", DATA / "pair_verdicts.jsonl"
    if not labels_path.is_file() or not verdicts_path.is_file():
        pytest.fail(f"shared evaluation data missing: expected {labels_path} and {verdicts_path}")
    pairs: dict[tuple[str, str], list[tuple[CriterionType, CriterionStatus]]] = {}
    for line in labels_path.read_text().splitlines():
        row = json.loads(line)
        pairs.setdefault((row["patient_id"], row["trial_id"]), []).append(
            (row["criterion_type"], row["criterion_status"])
        )
    expected = {
        (row["patient_id"], row["trial_id"]): row["derived_verdict"]
        for row in map(json.loads, verdicts_path.read_text().splitlines())
    }
    assert len(expected) == 12
    assert {pair: verdict(statuses) for pair, statuses in pairs.items()} == expected
