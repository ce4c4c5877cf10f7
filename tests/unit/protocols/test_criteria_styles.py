"""Criteria list parsing on synthetic lines: the list styles protocols use."""

from __future__ import annotations

from common.pdf.document import Document, Line
from common.pdf.list_markers import match_marker
from common.pdf.list_parser import parse_list
from common.protocols.criteria import parse_criteria, parse_criteria_lines
from common.protocols.sections import locate_sections


def _lines(*pages: str) -> list[Line]:
    return [Line(text=text.strip(), page=n) for n, page in enumerate(pages, start=1) for text in page.splitlines()]


def _texts(lines: list[Line], kind: str = "inclusion") -> list[tuple[str, str]]:
    assert kind in {"inclusion", "exclusion"}
    parsed = parse_criteria_lines(lines, "inclusion" if kind == "inclusion" else "exclusion")
    return [(c.id, c.text) for c in parsed]


def test_markers() -> None:
    cases = {
        "[16b] Evidence from ECG": ("[n]", "16b", 16, "b"),
        "12. Known allergy": ("n.", "12", 12, ""),
        "3) ECOG 0-1": ("n)", "3", 3, ""),
        "(4) Prior therapy": ("(n)", "4", 4, ""),
        "b) Seizure disorder": ("a)", "b", 2, ""),
        "[B] OAM: up to 3": ("[A]", "B", 2, ""),
        "iii. a woman at least 55": ("i.", "iii", 3, ""),
        "I2. Confirmed diagnosis": ("IE:I", "I2", 2, ""),
        "EX-03: Current smokers": ("IE:EX", "EX03", 3, ""),
        "Inclusion 4: Adults": ("word", "4", 4, ""),
        "ii.) a woman 55 or older": ("i)", "ii", 2, ""),
        "2: Adults": ("n:", "2", 2, ""),
    }
    for text, (style, label, value, suffix) in cases.items():
        marker = match_marker(text)
        assert marker is not None, text
        assert (marker.style, marker.label, marker.value, marker.suffix) == (style, label, value, suffix), text
    bullet = match_marker("\u2022 Age 65 years or older")
    assert bullet is not None and bullet.style.startswith("bullet:") and bullet.value is None
    for text in (
        "1.5 mg twice daily",
        "2 weeks after dosing",
        "in 2 weeks",
        "-2 days",
        "or placebo",
        "e.g. aspirin",
    ):
        assert match_marker(text) is None, text


def test_bullets_are_items_and_other_glyphs_nest() -> None:
    lines = _lines(
        "Participants must meet all of the following criteria:\n"
        "\u2022 Age 65 years or older\n"
        "\u2022 Able to provide informed consent\n"
        "o including via a legally authorized representative\n"
        "\u2022 Serum vitamin D below 20 ng/mL"
    )
    assert _texts(lines) == [
        ("I1", "Age 65 years or older"),
        ("I2", "Able to provide informed consent o including via a legally authorized representative"),
        ("I3", "Serum vitamin D below 20 ng/mL"),
    ]
    assert [c.id for c in parse_criteria_lines(lines, "exclusion")] == ["E1", "E2", "E3"]


def test_dot_numbers_with_nested_letters_and_romans() -> None:
    lines = _lines(
        "Patients are eligible only if all of the following apply:\n"
        "1. Male or female aged 18 to 75 years.\n"
        "2. Female participants:\n"
        "a. Not a woman of childbearing potential, or\n"
        "b. A woman of childbearing potential who:\n"
        "i. uses a highly effective method, and\n"
        "ii. has a negative pregnancy test.\n"
        "3. Able to give informed consent."
    )
    parsed = _texts(lines)
    assert [label for label, _ in parsed] == ["1", "2", "3"]
    assert parsed[1][1].startswith("Female participants: a. Not a woman")
    assert parsed[1][1].endswith("ii. has a negative pregnancy test.")


def test_transcelerate_subheadings_are_dropped() -> None:
    lines = _lines(
        "Participants are eligible to be included in the study only if all of the following criteria apply:\n"
        "Age\n"
        "1. Participant must be 18 to 65 years of age inclusive, at the time of signing the informed\n"
        "consent.\n"
        "Type of Participant and Disease Characteristics\n"
        "2. Participants who are overtly healthy as determined by medical evaluation.\n"
        "3. Body weight of at least 50 kg.\n"
        "Sex and Contraceptive/Barrier Requirements\n"
        "4. Male or female.\n"
        "Informed Consent\n"
        "5. Capable of giving signed informed consent."
    )
    parsed = _texts(lines)
    assert [label for label, _ in parsed] == ["1", "2", "3", "4", "5"]
    assert parsed[0][1] == (
        "Participant must be 18 to 65 years of age inclusive, at the time of signing the informed consent."
    )
    assert parsed[2][1] == "Body weight of at least 50 kg."
    assert parsed[3][1] == "Male or female."


def test_title_case_subheading_between_items_is_dropped() -> None:
    lines = _lines("1. History of stroke.\nCardiovascular Conditions\n2. Heart failure.")
    assert _texts(lines, "exclusion") == [("1", "History of stroke."), ("2", "Heart failure.")]


def test_last_wrapped_line_of_an_item_is_kept() -> None:
    # A wrapped last line that starts with a capital is not a sub-heading.
    lines = _lines("1. have a diagnosis of type 2\nDiabetes Mellitus\n2. are able to consent")
    assert _texts(lines) == [
        ("1", "have a diagnosis of type 2 Diabetes Mellitus"),
        ("2", "are able to consent"),
    ]


def test_prefixed_ids() -> None:
    lines = _lines(
        "I1. Adults aged 18 years and older.\nI2. Confirmed diagnosis of asthma,\nas defined by GINA guidelines."
    )
    assert _texts(lines) == [
        ("I1", "Adults aged 18 years and older."),
        ("I2", "Confirmed diagnosis of asthma, as defined by GINA guidelines."),
    ]


def test_bracket_numbers_with_sub_numbers_and_letters() -> None:
    lines = _lines(
        "[1] have had a diagnosis of either:\n"
        "[1a] T1DM, and have been on insulin\n"
        "[A] multiple daily injection, or\n"
        "[B] continuous infusion\n"
        "Or\n"
        "[1b] T2DM\n"
        "[2] male patients: agree to use contraception\n"
        "[3] female patients:\n"
        "[3a] women of childbearing potential\n"
        "[i] a woman at least 50 years of age\n"
        "[ii] a woman 55 or older\n"
        "[4] are between 18 and 64 years old"
    )
    parsed = _texts(lines)
    assert [label for label, _ in parsed] == ["1", "2", "3", "4"]
    assert "[1b] T2DM" in parsed[0][1]
    assert parsed[2][1].endswith("[ii] a woman 55 or older")


def test_letter_suffix_and_skipped_numbers_continue_the_list() -> None:
    lines = _lines(
        "[14] History of the following.\n[15] History of syncope.\n[16b] ECG evidence:\na) LBBB\n[17] Other."
    )
    assert [label for label, _ in _texts(lines, "exclusion")] == ["14", "15", "16b", "17"]


def test_nested_list_with_the_same_marker_style() -> None:
    lines = _lines(
        "1) Age 18 years or older\n"
        "2) Measurable disease:\n"
        "1) at least one lesion of 10 mm or more\n"
        "2) not previously irradiated\n"
        "3) outside the brain\n"
        "3) ECOG performance status 0-1\n"
        "4) Adequate organ function"
    )
    parsed = _texts(lines)
    assert [label for label, _ in parsed] == ["1", "2", "3", "4"]
    assert parsed[1][1] == (
        "Measurable disease: 1) at least one lesion of 10 mm or more 2) not previously irradiated 3) outside the brain"
    )


def test_nested_list_under_the_first_item() -> None:
    lines = _lines("1) Either:\n1) type 1 diabetes\n2) type 2 diabetes\n2) Adult\n3) Consent")
    parsed = _texts(lines)
    assert [label for label, _ in parsed] == ["1", "2", "3"]
    assert parsed[0][1] == "Either: 1) type 1 diabetes 2) type 2 diabetes"


def test_wrapped_line_starting_with_a_number_is_not_an_item() -> None:
    lines = _lines(
        "1. Screening HbA1c of 7.0% or more within the past\n12 weeks before Visit\n3. Patients on insulin\n2. Adult"
    )
    assert [label for label, _ in _texts(lines)] == ["1", "2"]


def test_numbering_continues_from_inclusion_into_exclusion() -> None:
    doc = Document(
        lines=tuple(
            _lines(
                "5. Study Population\n"
                "5.1. Inclusion Criteria\n"
                "Patients may be included only if they meet all of the following criteria:\n"
                "[1] Adults.\n[2] Consent.\n",
                "5.2. Exclusion Criteria\n"
                "Patients will be excluded for any of the following reasons:\n"
                "[3] Pregnancy.\n[4] Allergy to\nthe study drug.\n"
                "5.3. Lifestyle Restrictions\nNo grapefruit.",
            )
        ),
        page_count=2,
    )
    criteria = parse_criteria(doc, locate_sections(doc))
    assert [(c.id, c.text, c.page) for c in criteria.inclusion] == [("1", "Adults.", 1), ("2", "Consent.", 1)]
    assert [(c.id, c.text, c.page) for c in criteria.exclusion] == [
        ("3", "Pregnancy.", 2),
        ("4", "Allergy to the study drug.", 2),
    ]


def test_inclusion_and_exclusion_under_one_eligibility_heading() -> None:
    doc = Document(
        lines=tuple(
            _lines(
                "4 Eligibility Criteria\n"
                "Inclusion criteria:\n1. Adults.\n2. Consent.\n"
                "Exclusion criteria:\n3. Pregnancy.\n"
                "5 Treatments\nText."
            )
        ),
        page_count=1,
    )
    criteria = parse_criteria(doc, locate_sections(doc))
    assert [c.text for c in criteria.inclusion] == ["Adults.", "Consent."]
    assert [c.text for c in criteria.exclusion] == ["Pregnancy."]


def test_list_stops_at_an_unrecognised_heading() -> None:
    lines = _lines("\u2022 Current smokers\n\u2022 Pregnancy\nSTUDY PROCEDURES\nParticipants are seen monthly.")
    assert _texts(lines, "exclusion") == [("E1", "Current smokers"), ("E2", "Pregnancy")]


def test_inclusion_list_stops_at_the_exclusion_heading() -> None:
    lines = _lines("1. Adults.\n2. Consent.\nExclusion Criteria\n1. Pregnancy.")
    assert _texts(lines) == [("1", "Adults."), ("2", "Consent.")]


def test_unnumbered_paragraphs_fallback() -> None:
    lines = _lines(
        "Subjects must meet all of the following criteria:\n"
        "Aged 18 years or older at the time\nof consent.\n"
        "Diagnosed with moderate asthma.\n"
        "Able to attend all visits."
    )
    assert _texts(lines) == [
        ("I1", "Aged 18 years or older at the time of consent."),
        ("I2", "Diagnosed with moderate asthma."),
        ("I3", "Able to attend all visits."),
    ]


def test_bare_numbers_from_a_table() -> None:
    lines = _lines("No. Criterion\n1 Age 18 or older\n2 Signed consent\n3 Stable therapy for\n12 weeks")
    assert _texts(lines) == [
        ("1", "Age 18 or older"),
        ("2", "Signed consent"),
        ("3", "Stable therapy for 12 weeks"),
    ]


def test_page_of_each_item_is_its_first_line() -> None:
    items = parse_list(_lines("1. First item\nwraps.\n2. Second item starts here\n", "and ends here.\n3. Third"))
    assert [(item.label, item.page) for item in items] == [("1", 1), ("2", 1), ("3", 2)]
    assert items[1].text == "Second item starts here and ends here."


def test_no_list_no_items() -> None:
    assert parse_list(_lines("Just a paragraph.\nAnother line.")) == []


def test_capitalised_subheadings_inside_the_list_do_not_end_it() -> None:
    lines = _lines("1. Adults.\nMEDICAL CONDITIONS\n2. No heart failure.\nSTUDY PROCEDURES\nVisits are monthly.")
    assert _texts(lines, "exclusion") == [("1", "Adults."), ("2", "No heart failure.")]


def test_a_wrapped_mention_of_the_other_list_does_not_end_the_list() -> None:
    lines = _lines("1. Patients who do not meet all\ninclusion criteria.\n2. Pregnancy.")
    assert _texts(lines, "exclusion") == [
        ("1", "Patients who do not meet all inclusion criteria."),
        ("2", "Pregnancy."),
    ]
