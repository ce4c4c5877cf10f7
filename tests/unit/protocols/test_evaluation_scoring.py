"""common.evaluation: normalisation, the token-overlap ratio and one-to-one matching."""

from __future__ import annotations

import pytest

from common.evaluation import normalise, score_criteria, token_overlap, tokens


def test_normalise_entities_case_spaces_and_float_numbers() -> None:
    assert normalise("Sinus pauses &gt;2  seconds\n") == "sinus pauses >2 seconds"
    assert normalise("Depakote&#174; (valproic acid)") == "depakote® (valproic acid)"
    assert normalise("at least 50.0 years, 2.05 mg") == "at least 50 years, 2.05 mg"
    assert tokens("ADAS-Cog (11) at Week 24") == ["adas", "cog", "11", "at", "week", "24"]


def test_token_overlap_is_symmetric_and_strict() -> None:
    assert token_overlap("a b c d", "d c b a") == 1.0
    assert token_overlap("a b c d", "a b") == 0.5  # half of the longer text
    assert token_overlap("a b", "a b c d") == 0.5
    assert token_overlap("a a b", "a b b") == pytest.approx(2 / 3)  # multisets, not sets
    assert token_overlap("", "a") == 0.0
    assert token_overlap("x y", "z") == 0.0


def test_merged_items_do_not_match_both_references() -> None:
    gold = ["Males aged 18 to 65 years", "Signed informed consent obtained before screening"]
    merged = [" ".join(gold)]
    score = score_criteria(merged, gold)
    assert score.matched == 1
    assert score.recall == 0.5
    assert score.precision == 1.0


def test_one_to_one_greedy_matching() -> None:
    gold = ["history of stroke", "history of seizures", "pregnancy"]
    predicted = ["history of seizures", "history of stroke", "history of stroke", "lactation"]
    score = score_criteria(predicted, gold)
    assert score.matched == 2
    assert score.recall == pytest.approx(2 / 3)
    assert score.precision == 0.5
    assert score.mean_ratio == 1.0
    assert score.unmatched_gold == (2,)
    assert set(score.unmatched_pred) == {2, 3}
    assert {(i, j) for i, j, _ in score.pairs} == {(0, 1), (1, 0)}


def test_threshold_is_inclusive() -> None:
    assert score_criteria(["a b"], ["a b c d"], threshold=0.5).matched == 1
    assert score_criteria(["a b"], ["a b c d"], threshold=0.51).matched == 0


def test_empty_lists() -> None:
    both = score_criteria([], [])
    assert (both.recall, both.precision, both.matched, both.mean_ratio) == (1.0, 1.0, 0, 0.0)
    nothing_found = score_criteria([], ["a"])
    assert (nothing_found.recall, nothing_found.precision) == (0.0, 0.0)
    nothing_expected = score_criteria(["a"], [])
    assert (nothing_expected.recall, nothing_expected.precision) == (0.0, 0.0)
