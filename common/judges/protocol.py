"""Deterministic judges of the protocol processor's output: grounding checks against the PDF. Pure.

* ``criteria_on_cited_page``: every criterion's text is found where it says it starts: its first
  chunk on the cited page, the whole text on that page and the pages after it
  (:mod:`common.judges.grounding`: fuzzy, whitespace- and hyphenation-tolerant, numbers exact).
  A criterion made up, rewritten or with a page off by one or more pages fails.
* ``sections_disjoint``: every section lies inside the document, ends no earlier than it starts,
  and no two sections overlap partially. Nesting is fine (an *Inclusion Criteria* section inside
  *Eligibility*), and so is sharing a boundary page (one section ends where the next starts).
* ``no_duplicate_criteria``: no criterion id appears twice in its list, and no two criteria have
  the same text (compared compacted: case, spacing and punctuation ignored).
"""

from __future__ import annotations

from common.agents.protocol_processor.models import Criterion, ProtocolSummary, SectionRef
from common.judges.base import Check, JudgeSpec, Subject, ids, share
from common.judges.grounding import compact, grounding, numbers

__all__ = [
    "GROUNDED",
    "JUDGES",
    "MAX_SPAN_PAGES",
    "criteria_on_cited_page",
    "no_duplicate_criteria",
    "sections_disjoint",
]

GROUNDED = 0.9
"""Least share of a criterion's characters found in its pages for it to count as found."""
MAX_SPAN_PAGES = 8
"""Most pages a criterion's text is looked for in, from the cited page on."""


def _summary(subject: Subject) -> ProtocolSummary:
    out = subject.output
    return out if isinstance(out, ProtocolSummary) else ProtocolSummary.model_validate(out.model_dump())


def _labelled(summary: ProtocolSummary) -> list[tuple[str, Criterion]]:
    return [("I" + c.id, c) for c in summary.inclusion_criteria] + [("E" + c.id, c) for c in summary.exclusion_criteria]


def criteria_on_cited_page(subject: Subject) -> Check:
    """Every criterion's text is found on the page it cites (see the module docstring)."""
    pages = subject.source_pages
    packed: dict[int, str] = {}
    page_numbers: dict[int, set[str]] = {}

    def page(index: int) -> str:  # compacted once per page, only for the pages looked at
        if index not in packed:
            packed[index] = compact(pages[index])
            page_numbers[index] = numbers(pages[index])
        return packed[index]

    criteria = _labelled(_summary(subject))
    bad: list[str] = []
    for label, criterion in criteria:
        if not 1 <= criterion.page <= len(pages):
            bad.append(label)
            continue
        needed = len(compact(criterion.text))
        span = [criterion.page - 1]
        size = len(page(span[0]))
        # Enough pages for the text even if it starts at the foot of the cited page.
        while span[-1] + 1 < len(pages) and len(span) < MAX_SPAN_PAGES and size < needed + len(page(span[0])):
            span.append(span[-1] + 1)
            size += len(page(span[-1]))
        found = grounding(
            criterion.text,
            [pages[i] for i in span],
            compacted=[page(i) for i in span],
            source_numbers=[page_numbers[i] for i in span],
        )
        if not found.grounded(GROUNDED):
            bad.append(label)
    score = share(len(criteria) - len(bad), len(criteria))
    if bad:
        return Check(False, score, "criterion_not_on_page", f"not found on the cited page: {ids(bad)}")
    return Check(True, score, "ok", f"{len(criteria)} criteria found on their pages")


def _overlap(a: SectionRef, b: SectionRef) -> bool:
    first, second = (a, b) if (a.start_page, -a.end_page) <= (b.start_page, -b.end_page) else (b, a)
    nested = second.end_page <= first.end_page
    touching = second.start_page >= first.end_page
    return not nested and not touching


def sections_disjoint(subject: Subject) -> Check:
    """Sections lie in the document and never overlap partially (see the module docstring)."""
    summary = _summary(subject)
    sections = summary.sections
    pages = summary.page_count or len(subject.source_pages)
    outside = [str(i) for i, s in enumerate(sections) if s.end_page < s.start_page or (pages and s.end_page > pages)]
    pairs = [
        f"{i}/{j}"
        for i, a in enumerate(sections)
        for j in range(i + 1, len(sections))
        if _overlap(a, sections[j]) or (a.kind == sections[j].kind and a.start_page == sections[j].start_page)
    ]
    bad = set(outside) | {k for p in pairs for k in p.split("/")}
    score = share(len(sections) - len(bad), len(sections))
    if outside:
        return Check(False, score, "section_out_of_range", f"sections outside the document (by index): {ids(outside)}")
    if pairs:
        return Check(False, score, "sections_overlap", f"overlapping sections (by index): {ids(pairs)}")
    return Check(True, score, "ok", f"{len(sections)} sections, none overlapping")


def no_duplicate_criteria(subject: Subject) -> Check:
    """No criterion id twice in its list, no criterion text twice (see the module docstring)."""
    summary = _summary(subject)
    criteria = _labelled(summary)
    duplicates: list[str] = []
    seen_ids: set[str] = set()
    seen_texts: dict[str, str] = {}
    for label, criterion in criteria:
        text = compact(criterion.text)
        if label in seen_ids:
            duplicates.append(label)
        elif text and text in seen_texts:
            duplicates.append(f"{label}={seen_texts[text]}")
        seen_ids.add(label)
        seen_texts.setdefault(text, label)
    score = share(len(criteria) - len(duplicates), len(criteria))
    if duplicates:
        return Check(False, score, "duplicate_criteria", f"duplicated: {ids(duplicates)}")
    return Check(True, score, "ok", f"{len(criteria)} criteria, no duplicate")


JUDGES: tuple[JudgeSpec, ...] = (
    JudgeSpec("criteria_on_cited_page", "1", criteria_on_cited_page, needs_source=True),
    JudgeSpec("sections_disjoint", "1", sections_disjoint),
    JudgeSpec("no_duplicate_criteria", "1", no_duplicate_criteria),
)
"""The protocol processor's deterministic judges, in the order they run."""
