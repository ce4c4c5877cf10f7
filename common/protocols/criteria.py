"""Inclusion and exclusion criteria from the located sections.

For each of inclusion and exclusion, every section of that kind is parsed as a list
(:func:`common.pdf.list_parser.parse_list`) and the richest parse wins: a synopsis often
repeats the criteria in short form, the body section has them in full (and when the synopsis
copies them in full, the body's list still wins). When the document has no
separate inclusion/exclusion headings, the eligibility section is split at its "Inclusion
Criteria" / "Exclusion Criteria" lines. Criteria printed as plain paragraphs, without any list
marker, are taken paragraph by paragraph as a last resort.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from common.pdf.document import Document, Line
from common.pdf.headings import is_capitalised_heading
from common.pdf.layout import join_lines
from common.pdf.list_markers import match_marker
from common.pdf.list_parser import parse_list
from common.protocols.section_kinds import classify_heading
from common.protocols.sections import Section, sections_of

__all__ = ["CriteriaKind", "ParsedCriteria", "ParsedCriterion", "parse_criteria", "parse_criteria_lines"]

CriteriaKind = Literal["inclusion", "exclusion"]

_PSEUDO_HEADING = re.compile(
    r"^(?:key\s+|main\s+)?(?P<kind>inclusion|exclusion)\s+criteria\b\s*[:.]?\s*$|"
    r"^(?:key\s+|main\s+)?(?P<kind2>inclusion|exclusion)\s+criteria\s*:",
    re.IGNORECASE,
)
_INTRO = re.compile(
    r"(?::\s*$|\bfollowing\b|\bcriteria\b.*\b(?:all|any)\b|\b(?:all|any)\b.*\bcriteria\b)", re.IGNORECASE
)
_ENDS_PARAGRAPH = (".", ";", ":")
# "6.3. Lifestyle Requirements": a numbered sub-section heading, never a criterion.
_SUBSECTION_HEADING = re.compile(r"^\d{1,2}(?:\.\d{1,3}){1,5}\.?\s+(?P<title>[A-Z].*)$")
_MINOR_WORDS = frozenset({"a", "an", "and", "and/or", "or", "of", "the", "to", "for", "in", "on", "with", "from", "by"})
_MAX_PSEUDO_WORDS = 12
_PREFIX: dict[CriteriaKind, str] = {"inclusion": "I", "exclusion": "E"}
# A list in the synopsis counts for this share of its size against one in the body.
_SYNOPSIS_WEIGHT = 0.8


@dataclass(frozen=True, slots=True)
class ParsedCriterion:
    """One criterion.

    Attributes:
        id: The label as printed (``"16b"``, ``"I3"``), or ``"I<n>"``/``"E<n>"`` for bullets and
            paragraphs.
        text: Full text, nested items folded in, whitespace normalised.
        page: 1-based PDF page on which the criterion starts.
    """

    id: str
    text: str
    page: int


@dataclass(frozen=True, slots=True)
class ParsedCriteria:
    """Both criteria lists, in document order."""

    inclusion: tuple[ParsedCriterion, ...]
    exclusion: tuple[ParsedCriterion, ...]


def parse_criteria(doc: Document, sections: Sequence[Section]) -> ParsedCriteria:
    """Inclusion and exclusion criteria of a document.

    Args:
        doc: The document.
        sections: Its sections, from :func:`common.protocols.sections.locate_sections`.

    Returns:
        The criteria; a list is empty when it could not be found.
    """
    return ParsedCriteria(
        inclusion=tuple(_best(doc, sections, "inclusion")),
        exclusion=tuple(_best(doc, sections, "exclusion")),
    )


def parse_criteria_lines(lines: Sequence[Line], kind: CriteriaKind) -> list[ParsedCriterion]:
    """Criteria from the body lines of one inclusion or exclusion section.

    Args:
        lines: The section's lines after its heading.
        kind: Which list this is; used for the ids of unnumbered items and to stop at the
            heading of the other list.

    Returns:
        The criteria in order, the introductory sentence dropped.
    """
    other: CriteriaKind = "exclusion" if kind == "inclusion" else "inclusion"
    end = next((i for i, line in enumerate(lines) if line.text and _pseudo_heading(line.text) == other), len(lines))
    # Once the list has started, a heading the section locator missed ("STUDY PROCEDURES",
    # "6.3. Lifestyle Requirements") ends it rather than joining the last criterion.
    end = _list_end(lines, end)
    items = parse_list(lines[:end])
    prefix = _PREFIX[kind]
    if items:
        return [
            ParsedCriterion(id=item.label or f"{prefix}{n}", text=item.text, page=item.page)
            for n, item in enumerate(items, start=1)
        ]
    return [
        ParsedCriterion(id=f"{prefix}{n}", text=text, page=page)
        for n, (text, page) in enumerate(_paragraphs(lines[:end]), start=1)
    ]


def _best(doc: Document, sections: Sequence[Section], kind: CriteriaKind) -> list[ParsedCriterion]:
    best: list[ParsedCriterion] = []
    best_size = 0.0
    for section in sections_of(sections, kind):
        parsed = parse_criteria_lines(doc.lines[section.start_line + 1 : section.end_line], kind)
        # The richest parse wins: a synopsis restates criteria briefly, the body in full. When the
        # synopsis copies them in full, the body's list is the reference one.
        size = sum(len(c.text) for c in parsed) * (_SYNOPSIS_WEIGHT if _in_synopsis(section, sections) else 1.0)
        if size > best_size:
            best, best_size = parsed, size
    # Without its own heading, the list sits in the eligibility section under an
    # "Inclusion Criteria:" line. Those ranges end less precisely, so they only win with more
    # items, never with merely longer text.
    for start, end in _ranges_in_eligibility(doc, sections, kind):
        parsed = parse_criteria_lines(doc.lines[start:end], kind)
        if len(parsed) > len(best):
            best = parsed
    return best


def _in_synopsis(section: Section, sections: Sequence[Section]) -> bool:
    """True when a criteria section belongs to the synopsis.

    A synopsis section spans it; or an unnumbered synopsis heading comes before it with no
    numbered section in between (the labels of a synopsis, "Inclusion Criteria", "Study design",
    end the synopsis section as the locator sees it); or the last key section before it that is
    not about criteria is the synopsis.
    """
    previous: Section | None = None
    unnumbered_synopsis = False
    for other in sections:
        if other.start_line >= section.start_line:
            break
        if other.kind == "synopsis":
            if other.end_line >= section.end_line:
                return True
            unnumbered_synopsis = other.number is None
        elif other.number is not None:
            unnumbered_synopsis = False
        if other.kind not in {"inclusion", "exclusion"}:
            previous = other
    if unnumbered_synopsis and section.number is None:
        return True
    return previous is not None and previous.kind == "synopsis"


def _list_end(lines: Sequence[Line], end: int) -> int:
    """Where the list ends: at a heading the section locator missed, once the list has begun.

    "STUDY PROCEDURES" or "6.3. Lifestyle Requirements" after the last criterion ends the list
    instead of joining that criterion. A capitalised line followed by the next item in the list's
    own style is a sub-heading inside the list ("MEDICAL CONDITIONS"), not its end.
    """
    opening = next(((i, m) for i in range(end) if (m := match_marker(lines[i].text)) is not None), None)
    if opening is None:
        return end
    first, style = opening[0], opening[1].style
    for i in range(first + 1, end):
        if not _is_heading_line(lines[i].text):
            continue
        following = next((j for j in range(i + 1, end) if lines[j].text), None)
        marker = match_marker(lines[following].text) if following is not None else None
        if marker is None or marker.style != style:
            return i
    return end


def _is_heading_line(text: str) -> bool:
    if not text:
        return False
    if is_capitalised_heading(text):
        return True
    match = _SUBSECTION_HEADING.match(text)
    if match is None:
        return False
    title = match["title"]
    words = [w for w in title.split() if w.lower() not in _MINOR_WORDS]
    return 0 < len(words) <= 12 and title[-1] not in ".,;" and all(w[0].isupper() for w in words if w[0].isalpha())


def _pseudo_heading(text: str) -> CriteriaKind | None:
    # A wrapped sentence may start a line with "inclusion criteria."; a heading is capitalised.
    if not text[:1].isupper() or "clusion" not in text.lower().replace(" ", ""):
        return None  # cheap tests first: this runs on every line of an eligibility section
    if len(text.split()) > _MAX_PSEUDO_WORDS:
        return None
    match = _PSEUDO_HEADING.match(text)
    if match is not None:
        word = (match["kind"] or match["kind2"]).lower()
        return "inclusion" if word == "inclusion" else "exclusion"
    kind = classify_heading(text, strict=True)
    if kind in {"inclusion", "exclusion"}:
        return "inclusion" if kind == "inclusion" else "exclusion"
    return None


def _ranges_in_eligibility(doc: Document, sections: Sequence[Section], kind: CriteriaKind) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for section in sections_of(sections, "eligibility"):
        marks = [
            (i, found)
            for i in range(section.start_line + 1, section.end_line)
            if (found := _pseudo_heading(doc.lines[i].text)) is not None
        ]
        for k, (i, found) in enumerate(marks):
            if found == kind:
                end = marks[k + 1][0] if k + 1 < len(marks) else section.end_line
                ranges.append((i + 1, end))
        if kind == "inclusion" and not any(found == "inclusion" for _, found in marks):
            ranges.extend(_unlabelled_inclusion(section, sections, marks))
    return ranges


def _unlabelled_inclusion(
    section: Section, sections: Sequence[Section], marks: Sequence[tuple[int, str]]
) -> list[tuple[int, int]]:
    """The inclusion list of an eligibility section that only labels its exclusions.

    "5.1 Eligibility Criteria" followed by "5.2 Exclusion Criteria" (the NCI template): what comes
    before the first exclusion heading is the inclusion list.
    """
    inside = [s for s in sections if section.start_line < s.start_line < section.end_line and s is not section]
    if any(s.kind == "inclusion" for s in inside):
        return []
    starts = [s.start_line for s in inside if s.kind == "exclusion"] + [i for i, found in marks if found == "exclusion"]
    return [(section.start_line + 1, min(starts))] if starts else []


def _paragraphs(lines: Sequence[Line]) -> list[tuple[str, int]]:
    paragraphs: list[tuple[list[str], int]] = []
    current: list[str] = []
    page = 0
    for line in lines:
        if not line.text:
            if current:
                paragraphs.append((current, page))
                current = []
            continue
        if not current:
            page = line.page
        current.append(line.text)
        if line.text.endswith(_ENDS_PARAGRAPH):
            paragraphs.append((current, page))
            current = []
    if current:
        paragraphs.append((current, page))
    texts = [(join_lines(parts), p) for parts, p in paragraphs]
    if texts and _INTRO.search(texts[0][0]):
        texts = texts[1:]
    return [(t, p) for t, p in texts if t]
