"""Fuzzy grounding: tolerant of layout, strict on words and numbers."""

from __future__ import annotations

from common.judges.grounding import compact, grounding, numbers

PAGE = (
    "5.1 Inclusion Criteria\n"
    "Patients may be included in the study only if they meet all of the follow-\n"
    "ing criteria:\n"
    "[1] Males and post-menopausal females at least 50 years of age with a partici pant\n"
    "    diagnosis of probable Alzheimer&#39;s disease.\n"
)


def test_compact_drops_layout_and_entities():
    assert compact("Alzheimer&#39;s  dis-\nease") == compact("alzheimers disease") == "alzheimersdisease"
    assert compact("ﬁbrosis") == "fibrosis"  # NFKC ligature


def test_text_reflowed_hyphenated_and_split_is_found():
    text = "Patients may be included in the study only if they meet all of the following criteria"
    assert grounding(text, [PAGE]).grounded(0.9)
    text = "Males and post-menopausal females at least 50 years of age with a participant diagnosis"
    assert grounding(text, [PAGE]).grounded(0.9)


def test_rewritten_text_is_not_found():
    g = grounding("Females of child-bearing potential who are pregnant or breastfeeding at screening", [PAGE])
    assert g.score < 0.5
    assert not g.grounded(0.9)


def test_a_changed_number_is_caught_although_the_text_is_close():
    g = grounding("Males and post-menopausal females at least 65 years of age", [PAGE])
    assert g.missing_numbers == ("65",)
    assert not g.grounded(0.9)
    assert numbers("50.0 years, 1,5 mg") == {"50", "1.5"}


def test_a_small_typo_is_tolerated():
    assert grounding("Males and post-menopausal femals at least 50 years of age", [PAGE]).grounded(0.9)


def test_the_text_must_start_in_the_first_part():
    later = "Completely different page text about dosing schedules and visits."
    assert not grounding("Males and post-menopausal females at least 50 years of age", [later, PAGE]).head_found
    assert grounding("Males and post-menopausal females at least 50 years of age", [PAGE, later]).head_found
