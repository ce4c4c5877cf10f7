"""common.protocols.scoring: encounter alignment, schedule cells, clean text and presence."""

from __future__ import annotations

import pytest

from common.evaluation import tokens
from common.protocols.scoring import align_encounters, cell_scores, encounter_matches, found_verbatim, stated_in


@pytest.mark.parametrize(
    ("gold", "name", "timing", "expected"),
    [
        ("Week 2", "Visit 4", "Week 2", True),
        ("Baseline", "Visit 3", "Week 0", True),
        ("Screening 1", "Visit 1", "Week -2", True),
        ("Screening", "Screening", "Days -28 to -2", True),
        ("Period 1, Day -1", "Period 1, Day -1", "Day -1", True),
        ("Period 1, Day -1", "Period 1, Day 1", "Day 1", False),  # the sign matters
        ("Follow-up", "Follow-up/ED", None, True),
        ("Wash Out", "Wash out", "3 to 14 days", True),
        ("Week 2", "Visit 2", "Week 4", False),
    ],
)
def test_encounter_matches(gold: str, name: str, timing: str | None, expected: bool) -> None:
    assert encounter_matches(gold, name, timing) is expected


def test_alignment_keeps_order_so_roles_pair_with_the_right_visit() -> None:
    gold = ["Screening 1", "Screening 2", "Baseline", "Week 2", "Week 4"]
    predicted = [
        ("Visit 1", "Week -2"),
        ("Visit 2", "Week -.3"),
        ("Visit 3", "Week 0"),
        ("Visit 4", "Week 2"),
        ("ET", None),
    ]
    assert align_encounters(gold, predicted) == [(0, 0), (1, 1), (2, 2), (3, 3)]


def test_cell_scores_count_cells_through_both_matchings() -> None:
    gold = [("Informed consent", ["Screening"]), ("Vital signs", ["Screening", "Week 2"])]
    predicted = [
        ("Informed consent", ["Visit 1"]),
        ("Vital signs", ["Visit 1", "Visit 2", "ET"]),
        ("Meal", ["Visit 2"]),
    ]
    pairs = align_encounters(["Screening", "Week 2"], [("Visit 1", "Week -2"), ("Visit 2", "Week 2"), ("ET", None)])
    scores = cell_scores(predicted, gold, pairs, ["Visit 1", "Visit 2", "ET"], ["Screening", "Week 2"])
    assert (scores.predicted_cells, scores.gold_cells) == (5, 3)
    assert scores.recall == 1.0
    assert scores.precision == pytest.approx(3 / 5)
    assert scores.f1 == pytest.approx(0.75)


def test_found_verbatim_allows_skips_only_at_a_page_break() -> None:
    words = ["a", "b", "c", "Protocol", "X", "Page", "4", "d", "e", "f", "g", "h"]
    page_starts = [0, 3]
    assert found_verbatim("b c d e", words, page_starts)
    assert not found_verbatim("b c d f", words, page_starts)  # "e" skipped mid-page
    assert not found_verbatim("b  c  x", words, page_starts)


def test_stated_in_uses_a_sliding_window() -> None:
    document = tokens("the primary endpoint is the change from baseline in HbA1c at week 26 in all patients")
    assert stated_in("Change from baseline in HbA1c at Week 26", document)
    assert not stated_in("Change from baseline in body weight at Week 52", document)
