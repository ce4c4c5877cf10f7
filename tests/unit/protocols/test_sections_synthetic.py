"""Section locator on synthetic documents: classification, sources of headings, spans."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.pdf.document import Document, Line, OutlineEntry
from common.pdf.toc import find_toc_pages, parse_toc
from common.protocols.section_kinds import (
    _classify,  # pyright: ignore[reportPrivateUsage]
    _strict_retry_can_classify,  # pyright: ignore[reportPrivateUsage]
    classify_heading,
)
from common.protocols.sections import locate_sections, pages_for, sections_of


def _doc(*pages: str, outline: tuple[OutlineEntry, ...] = ()) -> Document:
    lines = tuple(Line(text=t.strip(), page=n) for n, page in enumerate(pages, start=1) for t in page.splitlines())
    return Document(lines=lines, page_count=len(pages), outline=outline)


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("6.1. Inclusion Criteria", "inclusion"),
        ("INCLUSION CRITERIA:", "inclusion"),
        ("Key Exclusion Criteria", "exclusion"),
        ("Inclusion and Exclusion Criteria", "eligibility"),
        ("Study Population", "eligibility"),
        ("4.1 Patients", "eligibility"),
        ("Selection of Study Population", "eligibility"),
        ("Criteria for Enrollment", "eligibility"),
        ("Objectives and Endpoints", "objectives_endpoints"),
        ("Objectives, Endpoints, and Estimands", "objectives_endpoints"),
        ("Primary Objectives", "objectives_endpoints"),
        ("Study Design", "study_design"),
        ("Overall Design", "study_design"),
        ("Investigational Plan", "study_design"),
        ("Summary of Study Design", "study_design"),
        ("Protocol Synopsis", "synopsis"),
        ("Schedule of Activities (SoA)", "schedule_of_activities"),
        ("Schedule of Events for Protocol ABC-1", "schedule_of_activities"),
        ("Study Flow Chart", "schedule_of_activities"),
        ("Time and Events Schedule", "schedule_of_activities"),
        ("Violation of Criteria for Enrollment", None),
        ("Scientific Rationale for Study Design", None),
        ("Discontinuation of Inadvertently Enrolled Patients", None),
        ("Populations for Analyses", None),
        ("Primary Efficacy Analysis", None),
        ("Introduction", None),
    ],
)
def test_classify_heading(title: str, kind: str | None) -> None:
    assert classify_heading(title) == kind


def test_strict_classification_needs_the_phrase_alone() -> None:
    assert classify_heading("Inclusion Criteria", strict=True) == "inclusion"
    assert classify_heading("inclusion criteria are checked at visit 1", strict=True) is None
    assert classify_heading("Schedule of Activities", strict=True) == "schedule_of_activities"
    assert classify_heading("Schedule of activities is in the appendix", strict=True) is None


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Ex clusion Criteria", "exclusion"),
        ("Key Inclusion and Exclusion Crit eria for the Study Patients", "eligibility"),
        ("Schedule of Activi ties for Part A and Part B of the Study", "schedule_of_activities"),
        ("Primary and Secondary Objec tives and Endpoints of the Study", "objectives_endpoints"),
        ("The primary objectives of this study are", None),
    ],
)
def test_strict_split_headings_are_joined_again(title: str, kind: str | None) -> None:
    assert classify_heading(title, strict=True) == kind


WORDS = ["inclusion", "exclusion", "criteria", "schedule", "of", "activities", "synopsis", "eligibility", "study"]
WORDS += ["design", "objectives", "endpoints", "non", "this", "are", "time", "and", "events", "flow", "chart", "for"]
WORDS += ["patients", "selection", "(continued)", "outcome", "measures", "soa", "the", "primary", "visit", "plan"]


@settings(max_examples=2000, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=7, max_size=12),
    split=st.integers(min_value=0),
    cut=st.integers(min_value=1),
)
def test_the_strict_retry_shortcut_skips_only_hopeless_titles(words: list[str], split: int, cut: int) -> None:
    # The shortcut must be sound: when it skips the retries, no title with one space removed
    # classifies (the text layer splits one word of a heading).
    k = split % len(words)
    if len(words[k]) > 1:
        at = 1 + cut % (len(words[k]) - 1)
        words = [*words[:k], words[k][:at], words[k][at:], *words[k + 1 :]]
    title = " ".join(words)
    compact = "".join(ch for ch in title.lower() if "a" <= ch <= "z")
    if _classify(title, True) is not None or _strict_retry_can_classify(title, compact):
        return
    spaces = [i for i, ch in enumerate(title) if ch == " "]
    assert all(_classify(title[:i] + title[i + 1 :], True) is None for i in spaces)


TOC = (
    "Table of Contents\n"
    "Section Page\n"
    "1. Synopsis........................................2\n"
    "2. Study Design....................................3\n"
    "3. Study Population................................4\n"
    "3.1. Inclusion Criteria............................4\n"
    "3.2. Exclusion Criteria............................5\n"
    "4. Treatment of Patients in the Study and\n"
    "Follow-up Procedures............................6\n"
    "Appendix 1. Amendment Summary.....................7"
)


def _toc_document() -> Document:
    return _doc(
        "A Phase 2 Study of Something\nSponsor",
        TOC,
        "1. Synopsis\nTitle: A Phase 2 Study of Something\nPhase: 2",
        "2. Study Design\nRandomised and blinded.",
        "3. Study Population\nAdults.\n3.1. Inclusion Criteria\n[1] Adults.\n[2] Consent.",
        "3.2. Exclusion Criteria\n[3] Pregnancy.",
        "4. Treatment of Patients in the Study and\nFollow-up Procedures\nDosing.",
        ("Appendix 1. Amendment Summary\nRevised sections:\n3.2. Exclusion Criteria\n[3] Pregnancy or lactation."),
    )


def test_table_of_contents_pages_and_entries() -> None:
    doc = _toc_document()
    assert find_toc_pages(doc) == frozenset({2})
    entries = parse_toc(doc, frozenset({2}))
    assert [(e.number, e.title, e.printed_page) for e in entries] == [
        ("1", "Synopsis", 2),
        ("2", "Study Design", 3),
        ("3", "Study Population", 4),
        ("3.1", "Inclusion Criteria", 4),
        ("3.2", "Exclusion Criteria", 5),
        ("4", "Treatment of Patients in the Study and Follow-up Procedures", 6),
        (None, "Appendix 1. Amendment Summary", 7),
    ]


def test_sections_from_the_table_of_contents() -> None:
    sections = locate_sections(_toc_document())
    found = [(s.kind, s.number, s.start_page, s.end_page) for s in sections]
    assert found == [
        ("synopsis", "1", 3, 3),
        ("study_design", "2", 4, 4),
        ("eligibility", "3", 5, 6),
        ("inclusion", "3.1", 5, 5),
        ("exclusion", "3.2", 6, 6),
    ]
    # The contents page is never a section, and the amendment's re-printed heading is ignored.
    assert all(s.start_page != 2 for s in sections)
    assert len(sections_of(sections, "exclusion")) == 1


def test_sections_from_the_outline_even_without_contents() -> None:
    pages = (
        "Cover",
        "1. Objectives\nTo assess safety.",
        "2. Population\n2.1. Inclusion Criteria\n1. Adults.",
        "2.2. Exclusion Criteria\n1. Children.\n2.3. Restrictions\nNone.",
    )
    outline = (
        OutlineEntry(title="1. Objectives", page=2, depth=0),
        OutlineEntry(title="2. Population", page=3, depth=0),
        OutlineEntry(title="2.1. Inclusion Criteria", page=3, depth=1),
        OutlineEntry(title="2.2. Exclusion Criteria", page=4, depth=1),
        OutlineEntry(title="2.3. Restrictions", page=4, depth=1),
        OutlineEntry(title="Tables", page=2, depth=0),
    )
    sections = locate_sections(_doc(*pages, outline=outline))
    assert [(s.kind, s.start_page, s.end_page) for s in sections] == [
        ("objectives_endpoints", 2, 2),
        ("eligibility", 3, 4),
        ("inclusion", 3, 3),
        ("exclusion", 4, 4),
    ]
    exclusion = sections[-1]
    assert exclusion.end_line - exclusion.start_line == 2  # stops before "2.3. Restrictions"


def test_body_scan_ignores_list_items_and_out_of_order_repeats() -> None:
    doc = _doc(
        (
            "1. Introduction\nBackground.\n2. Objectives\nThe objectives are:\n1. To assess safety.\n"
            "2. To assess efficacy."
        ),
        ("3. Study Design\n3.1. Overall Design\nRandomised.\n4. Eligibility\n4.1. Inclusion Criteria\n1. Adults."),
        "4.2. Exclusion Criteria\n1. Children.\n5. Statistics\nText.",
        (
            "Appendix 1. Amendment\nText.\nAppendix 2. Amendment details\n4.2. Exclusion Criteria\n"
            "1. Children and teens."
        ),
    )
    sections = locate_sections(doc)
    assert [(s.kind, s.number, s.start_page, s.end_page) for s in sections] == [
        ("objectives_endpoints", "2", 1, 1),
        ("study_design", "3", 2, 2),
        ("eligibility", "4", 2, 3),
        ("inclusion", "4.1", 2, 2),
        ("exclusion", "4.2", 3, 3),
    ]


def test_unnumbered_key_phrases_and_appendix_schedule() -> None:
    doc = _doc(
        ("STUDY SYNOPSIS\nA short study.\nInclusion Criteria\n\u2022 Adults\nExclusion Criteria\n\u2022 Children"),
        "Protocol Attachment ABC.1\nSchedule of Events\nVisit 1 2 3",
        "Schedule of Events (continued)\nVisit 4 5",
        "Protocol Attachment ABC.2\nQuestionnaire",
    )
    sections = locate_sections(doc)
    kinds = [(s.kind, s.start_page, s.end_page) for s in sections]
    assert ("inclusion", 1, 1) in kinds
    assert ("exclusion", 1, 1) in kinds
    assert ("schedule_of_activities", 2, 3) in kinds
    assert pages_for(sections, {"schedule_of_activities"}) == [2, 3]


def test_pages_for_merges_and_sorts() -> None:
    sections = locate_sections(_toc_document())
    assert pages_for(sections, {"inclusion", "exclusion"}) == [5, 6]
    assert pages_for(sections, {"schedule_of_activities"}) == []


def test_contents_entries_are_found_near_their_printed_pages() -> None:
    # A summary-of-changes table before the contents lists section headings too; the
    # contents' page numbers (printed 1 = PDF page 4 here) keep the match in the body.
    changes = (
        "Protocol Amendment Summary of Changes\n"
        "1 Protocol Summary\nEditorial changes.\n"
        "1.1 Synopsis\nNumber of participants updated.\n"
        "5.2 Exclusion Criteria\nCriterion 3 revised.\n"
    )
    contents = (
        "Table of Contents\n"
        "1. Protocol Summary.............................1\n"
        "1.1. Synopsis...................................1\n"
        "5. Study Population.............................2\n"
        "5.1. Inclusion Criteria.........................2\n"
        "5.2. Exclusion Criteria.........................3\n"
        "6. Study Intervention...........................4"
    )
    doc = _doc(
        "A Phase 3 Study\nSponsor",
        changes,
        contents,
        "1. Protocol Summary\n1.1. Synopsis\nA short synopsis.",
        "5. Study Population\n5.1. Inclusion Criteria\n1. Adults.",
        "5.2. Exclusion Criteria\n1. Children.",
        "6. Study Intervention\nDrug.",
    )
    found = [(s.kind, s.number, s.start_page, s.end_page) for s in locate_sections(doc)]
    assert found == [
        ("synopsis", "1.1", 4, 4),
        ("eligibility", "5", 5, 6),
        ("inclusion", "5.1", 5, 5),
        ("exclusion", "5.2", 6, 6),
    ]
