"""Sections and criteria on the two real protocols, scored against the reference criteria."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pytest

from common.evaluation import score_criteria
from common.pdf.document import Document
from common.pdf.layout import document_from_pdf
from common.pdf.text import PdfText, read_pdf
from common.pdf.toc import find_toc_pages
from common.protocols.criteria import ParsedCriteria, parse_criteria
from common.protocols.sections import Section, locate_sections, pages_for
from tests.support.shared_data import protocol_gold, protocol_pdf

PROTOCOLS = ["CDISC_Pilot_Study", "EliLilly_NCT03421379_Diabetes"]
MIN_SCORE = 0.95


@dataclass(frozen=True)
class Parsed:
    pages: tuple[str, ...]
    doc: Document
    sections: list[Section]
    criteria: ParsedCriteria


@cache
def _pdf(name: str) -> PdfText:
    return read_pdf(protocol_pdf(name))


@cache
def _parsed(name: str, variant: str = "full") -> Parsed:
    pdf = _pdf(name)
    doc = document_from_pdf(pdf)
    if variant in {"no-outline", "body-only"}:
        doc = Document(lines=doc.lines, page_count=doc.page_count)
    if variant == "body-only":
        toc = find_toc_pages(doc)
        doc = Document(lines=tuple(line for line in doc.lines if line.page not in toc), page_count=doc.page_count)
    sections = locate_sections(doc)
    return Parsed(pages=pdf.pages, doc=doc, sections=sections, criteria=parse_criteria(doc, sections))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@pytest.mark.parametrize("variant", ["full", "no-outline", "body-only"])
@pytest.mark.parametrize("name", PROTOCOLS)
def test_criteria_match_the_reference(name: str, variant: str) -> None:
    parsed = _parsed(name, variant)
    gold = protocol_gold(name)["eligibility_criteria"]
    for kind, predicted in (
        ("inclusion", parsed.criteria.inclusion),
        ("exclusion", parsed.criteria.exclusion),
    ):
        score = score_criteria([c.text for c in predicted], [c["text"] for c in gold[kind]])
        assert score.recall >= MIN_SCORE, (name, variant, kind, score)
        assert score.precision >= MIN_SCORE, (name, variant, kind, score)
        assert score.mean_ratio > 0.85, (name, variant, kind, score)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_ids_match_the_reference_labels(name: str) -> None:
    parsed = _parsed(name)
    gold = protocol_gold(name)["eligibility_criteria"]
    for kind, predicted in (
        ("inclusion", parsed.criteria.inclusion),
        ("exclusion", parsed.criteria.exclusion),
    ):
        # The reference pads numbers ("01"); the protocol prints "[1]".
        assert [c.id for c in predicted] == [c["id"].lstrip("0") for c in gold[kind]]


@pytest.mark.parametrize("name", PROTOCOLS)
def test_every_criterion_starts_on_its_page(name: str) -> None:
    parsed = _parsed(name)
    for criterion in (*parsed.criteria.inclusion, *parsed.criteria.exclusion):
        opening = _squash(criterion.text)[:12]  # a criterion may run onto the next page early
        assert opening in _squash(parsed.pages[criterion.page - 1]), (criterion.id, criterion.page)
        if criterion.page > 1:
            # ... and not already on the page before (it does not start there).
            previous = _squash(parsed.pages[criterion.page - 2])
            assert _squash(criterion.id + criterion.text)[:40] not in previous, (criterion.id, criterion.page)


@pytest.mark.parametrize(
    ("name", "kind", "label", "page"),
    [
        ("CDISC_Pilot_Study", "inclusion", "1", 11),
        ("CDISC_Pilot_Study", "inclusion", "6", 12),
        ("CDISC_Pilot_Study", "exclusion", "16b", 13),
        ("CDISC_Pilot_Study", "exclusion", "31b", 16),
        ("EliLilly_NCT03421379_Diabetes", "inclusion", "4", 28),
        ("EliLilly_NCT03421379_Diabetes", "exclusion", "18", 29),
        ("EliLilly_NCT03421379_Diabetes", "exclusion", "36", 30),
    ],
)
def test_known_criterion_pages(name: str, kind: str, label: str, page: int) -> None:
    parsed = _parsed(name)
    criteria = parsed.criteria.inclusion if kind == "inclusion" else parsed.criteria.exclusion
    assert next(c.page for c in criteria if c.id == label) == page


def test_nested_items_are_folded_into_their_parent() -> None:
    inclusion = _parsed("EliLilly_NCT03421379_Diabetes").criteria.inclusion
    first = inclusion[0].text
    assert "[1a] T1DM" in first and "[1b] T2DM" in first and "[B] OAM" in first
    exclusion = _parsed("CDISC_Pilot_Study").criteria.exclusion
    ecg = next(c for c in exclusion if c.id == "16b")
    assert "Wolff-Parkinson-White" in ecg.text  # a nested item printed on the next page


@pytest.mark.parametrize(
    ("name", "kind", "start", "end"),
    [
        ("CDISC_Pilot_Study", "inclusion", 11, 12),
        ("CDISC_Pilot_Study", "exclusion", 13, 23),
        ("CDISC_Pilot_Study", "objectives_endpoints", 7, 7),
        ("CDISC_Pilot_Study", "schedule_of_activities", 52, 54),
        ("EliLilly_NCT03421379_Diabetes", "synopsis", 9, 10),
        ("EliLilly_NCT03421379_Diabetes", "schedule_of_activities", 11, 19),
        ("EliLilly_NCT03421379_Diabetes", "objectives_endpoints", 23, 23),
        ("EliLilly_NCT03421379_Diabetes", "study_design", 24, 25),
        ("EliLilly_NCT03421379_Diabetes", "eligibility", 26, 31),
        ("EliLilly_NCT03421379_Diabetes", "inclusion", 26, 28),
        ("EliLilly_NCT03421379_Diabetes", "exclusion", 28, 30),
    ],
)
def test_section_pages(name: str, kind: str, start: int, end: int) -> None:
    found = [s for s in _parsed(name).sections if s.kind == kind]
    assert [(s.start_page, s.end_page) for s in found] == [(start, end)]


@pytest.mark.parametrize("name", PROTOCOLS)
def test_sources_agree(name: str) -> None:
    def spans(variant: str) -> list[tuple[str, int, int]]:
        return [
            (s.kind, s.start_page, s.end_page)
            for s in _parsed(name, variant).sections
            if s.kind in {"inclusion", "exclusion", "eligibility"}
        ]

    assert spans("full") == spans("no-outline") == spans("body-only")


@pytest.mark.parametrize("name", PROTOCOLS)
def test_contents_pages_are_never_sections(name: str) -> None:
    parsed = _parsed(name)
    toc = find_toc_pages(parsed.doc)
    assert toc
    assert not any(s.start_page in toc for s in parsed.sections)


def test_pages_for_eligibility_covers_the_criteria_pages() -> None:
    parsed = _parsed("EliLilly_NCT03421379_Diabetes")
    pages = pages_for(parsed.sections, {"inclusion", "exclusion"})
    assert pages == list(range(26, 31))
    assert {c.page for c in (*parsed.criteria.inclusion, *parsed.criteria.exclusion)} <= set(pages)
