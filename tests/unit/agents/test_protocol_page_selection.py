"""Page selection for the protocol processor's model mode, on the two real protocols and on synthetic documents.

Also the pure prompt side: the prompt carries exactly the selected pages, the answer check rejects
pages that were not sent (naming no text), and the answer converts to a ``ProtocolSummary``.
"""

from __future__ import annotations

import math
from functools import cache

import pytest

from common.agents.protocol_processor.page_selection import (
    DEFAULT_MAX_PAGES,
    DEFAULT_MAX_TOKENS,
    FALLBACK_PAGES,
    PageSelection,
    estimate_tokens,
    format_pages,
    page_texts,
    render_page,
    select_pages,
)
from common.agents.protocol_processor.prompt import (
    AnswerArm,
    AnswerCriterion,
    AnswerObjective,
    SummaryAnswer,
    build_prompt,
    check_answer,
    to_summary,
)
from common.agents.protocol_processor.rules import summarise_document
from common.llm.port import OutputRejected
from common.pdf.document import Document, Line
from common.pdf.layout import document_from_pdf
from common.pdf.text import read_pdf
from common.protocols.sections import Section, locate_sections, pages_for
from tests.support.shared_data import protocol_pdf

PROTOCOLS = ["CDISC_Pilot_Study", "EliLilly_NCT03421379_Diabetes"]
MAX_PAGE_FRACTION = 0.25
MAX_TOKEN_FRACTION = 0.25


@cache
def _doc(name: str) -> tuple[Document, tuple[Section, ...]]:
    pdf = read_pdf(protocol_pdf(name))
    doc = document_from_pdf(pdf)
    return doc, tuple(locate_sections(doc))


@cache
def _selection(name: str) -> PageSelection:
    doc, sections = _doc(name)
    return select_pages(doc, sections)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_the_criteria_pages_are_selected_and_are_a_small_fraction(name: str) -> None:
    doc, sections = _doc(name)
    selection = _selection(name)
    summary = summarise_document(doc)  # the rules extractor, on the whole document

    assert selection.strategy == "sections" and not selection.truncated
    assert selection.page_count == doc.page_count
    chosen = set(selection.pages)
    criteria_pages = set(pages_for(sections, {"inclusion", "exclusion"}))
    assert criteria_pages and criteria_pages <= chosen
    starts = {c.page for c in [*summary.inclusion_criteria, *summary.exclusion_criteria]}
    assert len(starts) >= 3 and starts <= chosen  # every criterion the rules find starts on a sent page
    assert 1 in chosen  # the title page
    objectives = pages_for(sections, {"objectives_endpoints"})
    assert objectives and set(objectives) <= chosen

    page_fraction = len(selection.pages) / selection.page_count
    assert page_fraction < MAX_PAGE_FRACTION, page_fraction
    assert 0 < selection.fraction < MAX_TOKEN_FRACTION, selection.fraction
    assert selection.selected_tokens < DEFAULT_MAX_TOKENS and len(selection.pages) < DEFAULT_MAX_PAGES


@pytest.mark.parametrize("name", PROTOCOLS)
def test_the_schedule_of_activities_is_not_sent(name: str) -> None:
    _, sections = _doc(name)
    selection = _selection(name)
    schedule = set(pages_for(sections, {"schedule_of_activities"}))
    others = set(
        pages_for(
            sections,
            {"inclusion", "exclusion", "eligibility", "objectives_endpoints", "synopsis", "study_design"},
        )
    )
    assert len(schedule) >= 3
    assert not (schedule - others) & set(selection.pages)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_token_estimates_use_one_rule_for_the_pages_and_the_document(name: str) -> None:
    doc, _ = _doc(name)
    selection = _selection(name)
    texts = page_texts(doc)
    chars = sum(len(render_page(n, t)) for n, t in enumerate(texts, start=1) if t)
    # ceil(chars / 4) per page, summed: at most one token of rounding per page above chars / 4.
    assert chars / 4 <= selection.document_tokens <= chars / 4 + doc.page_count
    selected_chars = sum(len(render_page(n, texts[n - 1])) for n in selection.pages)
    assert selected_chars / 4 <= selection.selected_tokens <= selected_chars / 4 + len(selection.pages)


def test_estimate_tokens_is_ceil_chars_over_four() -> None:
    assert [estimate_tokens("x" * n) for n in (0, 1, 4, 5, 400)] == [0, 1, 1, 2, 100]
    assert estimate_tokens("é" * 7) == math.ceil(7 / 4)


def test_format_pages() -> None:
    assert format_pages([9, 1, 7, 8, 11, 11, 12]) == "1, 7-9, 11-12"
    assert format_pages([]) == ""
    assert format_pages([3]) == "3"


def test_caps_keep_the_highest_priority_pages() -> None:
    doc, sections = _doc("CDISC_Pilot_Study")
    full = _selection("CDISC_Pilot_Study")
    five = select_pages(doc, sections, max_pages=5)
    assert five.truncated and len(five.pages) == 5
    # The title page first, then the inclusion criteria, in priority order.
    assert set(five.reasons.values()) <= {"title", "inclusion", "exclusion"}
    assert set(pages_for(sections, {"inclusion"})) <= set(five.pages)

    budget = full.selected_tokens // 3
    small = select_pages(doc, sections, max_tokens=budget)
    assert small.truncated and 0 < small.selected_tokens <= budget
    assert set(small.pages) < set(full.pages)
    assert small.document_tokens == full.document_tokens

    with pytest.raises(ValueError, match="at least 1"):
        select_pages(doc, sections, max_pages=0)


def _synthetic(pages: int, lines_on: dict[int, list[str]] | None = None) -> Document:
    lines: list[Line] = []
    for page in range(1, pages + 1):
        texts = (lines_on or {}).get(page) or [f"Plain body text number {page} about nothing in particular."]
        lines.extend(Line(text=t, page=page) for t in texts)
    return Document(lines=tuple(lines), page_count=pages)


def test_without_criteria_sections_it_falls_back_to_the_first_pages_not_the_whole_document() -> None:
    doc = _synthetic(60)
    selection = select_pages(doc)
    assert selection.strategy == "first_pages"
    assert selection.pages == tuple(range(1, FALLBACK_PAGES + 1))
    assert len(selection.pages) < doc.page_count


def test_eligibility_is_sent_only_when_inclusion_or_exclusion_is_missing() -> None:
    doc = _synthetic(
        30,
        {
            10: ["5 Study Population", "Patients are adults."],
            11: ["Patients must be adults to enter the trial and sign consent."],
            12: ["6 Treatments", "Drug A daily."],
        },
    )
    sections = locate_sections(doc)
    assert {s.kind for s in sections} == {"eligibility"}
    selection = select_pages(doc, sections)
    assert selection.strategy == "sections"
    assert {10, 11} <= set(selection.pages)
    assert {p for p, r in selection.reasons.items() if r == "eligibility"} == {10, 11}
    assert 20 not in selection.pages

    cdisc = _selection("CDISC_Pilot_Study")  # has inclusion and exclusion: no eligibility pages
    assert "eligibility" not in cdisc.reasons.values()


def test_amendment_summary_and_contents_pages_are_never_selected() -> None:
    doc = _synthetic(
        30,
        {
            2: ["Summary of Changes", "Section 5.1 Inclusion Criteria: criterion 3 revised.", "5.2 Exclusion Criteria"],
            3: ["5.2 Exclusion Criteria: criterion 7 removed.", "Rationale: safety."],
            4: [
                "TABLE OF CONTENTS",
                "5.1 Inclusion Criteria........12",
                "5.2 Exclusion Criteria........13",
                "6 Treatments........14",
            ],
            12: ["5.1 Inclusion Criteria", "1. Adults aged 18 to 65 years."],
            13: ["5.2 Exclusion Criteria", "1. Pregnancy."],
            14: ["6 Treatments", "Drug A daily."],
        },
    )
    selection = select_pages(doc)
    assert {12, 13} <= set(selection.pages)
    assert not {2, 3, 4} & set(selection.pages)


def test_pages_without_text_are_never_selected() -> None:
    doc = _synthetic(5)
    empty = Document(lines=tuple(line for line in doc.lines if line.page != 2), page_count=5)
    selection = select_pages(empty)
    assert 2 not in selection.pages
    assert selection.pages == (1, 3, 4, 5)


# -- the prompt side ---------------------------------------------------------------------------


def test_the_prompt_carries_exactly_the_selected_pages() -> None:
    doc, _ = _doc("EliLilly_NCT03421379_Diabetes")
    selection = _selection("EliLilly_NCT03421379_Diabetes")
    texts = page_texts(doc)
    prompt = build_prompt(texts, selection)
    for n, text in enumerate(texts, start=1):
        marker = f"=== page {n} ===\n"
        if n in selection.pages:
            assert marker + text in prompt
        else:
            assert marker not in prompt
    assert "inclusion criteria: pages 26-28" in prompt
    assert "synopsis: pages 9-10" in prompt


def _answer(pages: list[int]) -> SummaryAnswer:
    return SummaryAnswer(
        title="  A Phase III   Study ",
        phase="phase III",
        arms=[AnswerArm(name="Placebo", description=""), AnswerArm(name=" ", description="dropped")],
        objectives=[AnswerObjective(level="primary", text=" To   compare "), AnswerObjective(level="other", text="")],
        primary_endpoints=["ADAS-Cog", " "],
        secondary_endpoints=[],
        inclusion_criteria=[AnswerCriterion(id="[1]", text="Adults\n aged 18", page=pages[0])],
        exclusion_criteria=[
            AnswerCriterion(id="", text="Pregnancy", page=pages[1]),
            AnswerCriterion(id="", text="Smoking", page=pages[1]),
        ],
    )


def test_the_check_rejects_pages_not_sent_and_empty_text_by_index_only() -> None:
    check = check_answer([1, 11, 12, 13])
    check(_answer([11, 13]))  # accepted
    with pytest.raises(OutputRejected) as caught:
        check(_answer([50, 13]))
    assert "inclusion_criteria[0].page is 50" in str(caught.value)
    assert "1, 11-13" in str(caught.value)
    assert "Adults" not in str(caught.value)

    empty = _answer([11, 13])
    empty.exclusion_criteria[1].text = "  "
    with pytest.raises(OutputRejected, match=r"exclusion_criteria\[1\]\.text is empty"):
        check(empty)


def test_the_answer_becomes_a_protocol_summary() -> None:
    summary = to_summary(_answer([11, 13]), sections=[], page_count=97, method="llm:openai/gpt-4o-mini")
    assert summary.method == "llm:openai/gpt-4o-mini"
    assert summary.page_count == 97
    assert summary.title == "A Phase III Study"
    assert summary.phase == "Phase 3"
    assert [(a.name, a.description) for a in summary.arms] == [("Placebo", None)]
    assert [(o.level, o.text) for o in summary.objectives] == [("primary", "To compare")]
    assert summary.endpoints.primary == ["ADAS-Cog"] and summary.endpoints.secondary == []
    assert [(c.id, c.text, c.page) for c in summary.inclusion_criteria] == [("1", "Adults aged 18", 11)]
    assert [c.id for c in summary.exclusion_criteria] == ["E1", "E2"]
    blank = _answer([11, 13])
    blank.title = blank.phase = ""
    converted = to_summary(blank, sections=[], page_count=1, method="llm:x/y")
    assert converted.title is None and converted.phase is None
