"""protocol_fields, objectives and arms on synthetic documents."""

from __future__ import annotations

from common.pdf.document import Document, Line
from common.pdf.layout import build_document
from common.protocols.arms import extract_arms
from common.protocols.objectives_endpoints import parse_objectives_lines
from common.protocols.phase import find_phase
from common.protocols.sections import locate_sections
from common.protocols.title import find_title


def _lines(text: str, page: int = 1) -> list[Line]:
    return [Line(text=t.strip(), page=page) for t in text.splitlines()]


def _doc(*pages: str) -> Document:
    return build_document(list(pages))


def test_title_from_the_title_page_skips_boilerplate_and_codes() -> None:
    doc = _doc(
        "The information contained in this protocol is confidential.\n\nCompound (AB123)\n"
        "Protocol AB-123-456\n\n"
        "Safety and Efficacy of Compound in Patients\nwith Mild to Moderate Disease\n\nVersion 3.0\n"
        "Date: 01 January 2020",
        "Synopsis",
    )
    assert find_title(doc, []) == "Safety and Efficacy of Compound in Patients with Mild to Moderate Disease"


def test_title_from_a_label_wins_and_stops_at_the_next_label() -> None:
    doc = _doc(
        "Sponsor Name\nStudy Code ABC",
        "1. Synopsis\nTitle of Study:\nA Randomized Trial of Drug Z Versus Placebo in Adults\nwith Asthma\n"
        "Rationale:\nDrug Z works.",
    )
    assert find_title(doc, locate_sections(doc)) == "A Randomized Trial of Drug Z Versus Placebo in Adults with Asthma"


def test_no_title_rather_than_a_guess() -> None:
    assert find_title(_doc("Confidential\nPage 1", "Introduction text."), []) is None


def test_phase_from_the_design_section_when_the_title_has_none() -> None:
    doc = _doc(
        "Effect of Drug Q on Blood Pressure in Adults: a Randomised Trial",
        "1. Study Design\nThis is a Phase IIb, multicentre study.\n2. Population\nAdults.",
    )
    sections = locate_sections(doc)
    title = find_title(doc, sections)
    assert title == "Effect of Drug Q on Blood Pressure in Adults: a Randomised Trial"
    phase = find_phase(doc, sections, title)
    assert phase is not None
    assert phase.normalised == "Phase 2b"
    assert phase.as_written == "Phase IIb"


def test_objectives_table_with_estimands_and_abbreviations() -> None:
    found = parse_objectives_lines(
        _lines(
            "Objectives Endpoints\nPrimary\nTo assess the efficacy of drug X on\nHbA1c at Week 26\n"
            "Change from baseline in HbA1c at\nWeek 26\nPrimary estimand: treatment policy\n"
            "The intercurrent event of rescue is handled by ...\nSecondary\n\u2022 To assess weight\n"
            "\u2022 Change from baseline in body weight\nExploratory\n\u2022 Explore biomarkers\n"
            "\u2022 Biomarker levels\nAbbreviations: HbA1c = hemoglobin A1c."
        )
    )
    assert [(o.level, o.text) for o in found.objectives] == [
        ("primary", "To assess the efficacy of drug X on HbA1c at Week 26"),
        ("secondary", "To assess weight"),
        ("exploratory", "Explore biomarkers"),
    ]
    assert found.primary_endpoints == ("Change from baseline in HbA1c at Week 26",)
    assert found.secondary_endpoints == ("Change from baseline in body weight",)


def test_objectives_as_headed_lists_and_sentences() -> None:
    found = parse_objectives_lines(
        _lines(
            "2.1. Primary Objective\n"
            "The primary objective for this study is to evaluate the safety of drug Y.\n"
            "2.2. Secondary Objectives\nThe secondary objectives of this study are:\n"
            "\u2022 To evaluate pharmacokinetics\n\u2022 To evaluate immunogenicity"
        )
    )
    assert [(o.level, o.text) for o in found.objectives] == [
        ("primary", "To evaluate the safety of drug Y."),
        ("secondary", "To evaluate pharmacokinetics"),
        ("secondary", "To evaluate immunogenicity"),
    ]
    assert found.primary_endpoints == ()


def test_objectives_need_a_level() -> None:
    assert parse_objectives_lines(_lines("Some text about aims.\nTo do things.")).objectives == ()


def test_arms_from_a_labelled_list() -> None:
    doc = _doc(
        "1. Synopsis\nTreatment Arms and Duration:\nDrug A: 10 mg once daily for\n12 weeks\n"
        "Placebo: matching tablets once daily\nNumber of Patients:\n120",
    )
    arms = extract_arms(doc, locate_sections(doc))
    assert [(a.name, a.description) for a in arms] == [
        ("Drug A", "10 mg once daily for 12 weeks"),
        ("Placebo", "matching tablets once daily"),
    ]


def test_arms_need_an_explicit_enumeration() -> None:
    doc = _doc("1. Study Design\nPatients will be randomised. The groups are balanced for age and sex.")
    assert extract_arms(doc, locate_sections(doc)) == []


# ---------------------------------------------------------------------------------------------
# Phase, planned enrolment, crossover arms, amendment pages.
# ---------------------------------------------------------------------------------------------


def test_phase_keeps_sub_phases_and_combined_phases() -> None:
    from common.protocols.phase import cdisc_phase, parse_phase

    cases = {
        "A Phase IIb, randomised study": ("Phase IIb", "Phase 2b"),
        "a phase 2b dose-ranging study": ("phase 2b", "Phase 2b"),
        "Phase 1/2 study": ("Phase 1/2", "Phase 1/2"),
        "Phase I/II Open-label": ("Phase I/II", "Phase 1/2"),
        "This Phase 3 trial": ("Phase 3", "Phase 3"),
    }
    for text, (written, normalised) in cases.items():
        found = parse_phase(text)
        assert found is not None and (found.as_written, found.normalised) == (written, normalised), text
    assert parse_phase("Phase of the moon") is None
    assert cdisc_phase("Phase 2b") == "PHASE IIB TRIAL"
    assert cdisc_phase("Phase 1/2") == "PHASE I/II TRIAL"


def test_planned_enrolment_in_words_and_digits_not_completers() -> None:
    from common.protocols.enrolment import parse_enrolment, words_to_number

    assert words_to_number("Seventy five") == 75
    assert words_to_number("three hundred and twenty") == 320
    assert parse_enrolment("Seventy five patients may be enrolled in order to have at least 66 patients") == 75
    assert parse_enrolment("Approximately 1,200 participants will be randomized to one of 3 arms.") == 1200
    assert parse_enrolment("Planned enrolment: 48") == 48
    assert parse_enrolment("At least 66 patients must complete the study.") is None
    assert parse_enrolment("Approximately 400 patients will be screened.") is None


def test_crossover_sequences_from_the_design_text() -> None:
    doc = _doc(
        "Title page",
        "1. Synopsis\nA randomised, two-period crossover study.\nTreatment Arms:\nDrug A: 10 mg once daily\n"
        "Drug B: 20 mg once daily\n2. Introduction\nText.",
    )
    arms = extract_arms(doc, locate_sections(doc))
    assert [(a.name, a.sequence) for a in arms] == [
        ("Drug A-Drug B", ("Drug A", "Drug B")),
        ("Drug B-Drug A", ("Drug B", "Drug A")),
    ]
    parallel = _doc(
        "Title page",
        "1. Synopsis\nTreatment Arms:\nDrug A: 10 mg once daily\nDrug B: 20 mg once daily\n2. Introduction\nText.",
    )
    assert [a.name for a in extract_arms(parallel, locate_sections(parallel))] == ["Drug A", "Drug B"]


def test_sequence_labels_name_the_arms() -> None:
    doc = _doc(
        "Title page",
        "1. Study Design\nThis is a three-period crossover study. Participants are randomized to the treatment "
        "sequences ABC, BCA or CAB.\n2. Population\nAdults.",
    )
    arms = extract_arms(doc, locate_sections(doc))
    assert [a.sequence for a in arms] == [("A", "B", "C"), ("B", "C", "A"), ("C", "A", "B")]


def test_endpoints_named_as_efficacy_measures_in_prose() -> None:
    from common.protocols.objectives_endpoints import endpoints_from_prose

    doc = _doc(
        "Title page",
        "3.9 Efficacy Criteria\nGroup mean changes from baseline will serve as efficacy criteria. The ADAS-Cog (11)\n"
        "and the video-referenced CIBIC+ will serve as the primary efficacy instruments. Secondary\n"
        "efficacy instruments will include the DAD, the NPI-X, and the ADAS-Cog (14). Other text.",
    )
    assert endpoints_from_prose(doc) == (
        ["ADAS-Cog (11)", "video-referenced CIBIC+"],
        ["DAD", "NPI-X", "ADAS-Cog (14)"],
    )
    assert endpoints_from_prose(_doc("Title page", "No efficacy sentence here.")) == ([], [])
