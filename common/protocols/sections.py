"""Locate the key sections of a protocol (synopsis, objectives, design, eligibility, ...).

This is the public section locator: besides the offline extractor, the model mode uses it to
send a model only the pages that matter. Headings come from, in order of trust:

1. the PDF outline (bookmarks), each located on its destination page;
2. the printed table of contents, whose entries are looked for in the body in order (the
   printed page numbers are not PDF indexes, so they are not trusted);
3. a scan of the body for numbered headings that form a consistent outline, appendix headings
   and bare key-section phrases.

When 1 or 2 is available, the body scan only fills in kinds they miss (e.g. a schedule of
activities printed as an attachment that the contents list without page numbers). A section
runs from its heading to the next heading of the same or a higher level. Table of contents
pages are never sections, and headings printed again out of order (an amendment summary
re-printing "6.2. Exclusion Criteria") are ignored.

Usage::

    doc = document_from_pdf(pdf)
    sections = locate_sections(doc)
    pages = pages_for(sections, {"inclusion", "exclusion"})
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from common.pdf.document import Document
from common.pdf.headings import Heading, HeadingMatcher, body_headings, parse_number, title_key
from common.pdf.toc import TocEntry, find_toc_pages, parse_toc
from common.protocols.section_kinds import SECTION_KINDS, SectionKind, classify_heading, is_broad_heading, is_key_phrase

__all__ = [
    "Section",
    "SectionKind",
    "find_headings",
    "locate_sections",
    "pages_for",
    "sections_of",
]

_MIN_OUTLINE_ENTRIES = 3
_MIN_TOC_MATCHES = 3
# How far (in pages) a heading may sit from where the printed contents put it.
_PAGE_SLACK = 3
_NOT_OUTLINE_HEADINGS = re.compile(
    r"^(?:tables?|figures?|listings?|list of\b|(?:table of )?contents\b|table\s+\S+|figure\s+\S+)",
    re.IGNORECASE,
)
_APPENDIX_TITLE = re.compile(r"^(?:protocol\s+)?(?:appendix|appendices|attachment|annex)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Section:
    """A key section of the document.

    Attributes:
        kind: What the section is (see :data:`SectionKind`).
        title: The heading as printed, without its number.
        number: The heading number (``"6.1"``), if any.
        start_page: 1-based PDF page of the heading.
        end_page: 1-based PDF page of the section's last line (inclusive).
        start_line: Index in ``Document.lines`` of the heading line.
        end_line: Index in ``Document.lines`` just past the section's last line.
        level: Heading level, 1 for top-level sections.
    """

    kind: SectionKind
    title: str
    number: str | None
    start_page: int
    end_page: int
    start_line: int
    end_line: int
    level: int

    @property
    def pages(self) -> range:
        """The section's 1-based pages, ``start_page`` to ``end_page`` inclusive."""
        return range(self.start_page, self.end_page + 1)


def locate_sections(doc: Document) -> list[Section]:
    """The key sections of a document, in document order.

    A kind may occur more than once (e.g. inclusion criteria in the synopsis and in the body);
    a section nested inside another of the same kind ("2.1 Primary Objectives" inside
    "2 Objectives") is folded into the outer one, except that a broad chapter ("3 Investigational
    Plan") gives way to the specific heading it contains ("3.1 Summary of Study Design").

    Args:
        doc: The document, as built by :func:`common.pdf.layout.build_document`.

    Returns:
        The recognised sections, sorted by position.
    """
    headings = find_headings(doc)
    sections: list[Section] = []
    for index, heading in enumerate(headings):
        kind = classify_heading(heading.title)
        if kind is None:
            continue
        end = len(doc.lines)
        for later in headings[index + 1 :]:
            if later.level <= heading.level:
                end = later.line
                break
        last = _last_text_line(doc, heading.line, end)
        sections.append(
            Section(
                kind=kind,
                title=heading.title,
                number=heading.number,
                start_page=heading.page,
                end_page=max(heading.page, doc.page_of(last)),
                start_line=heading.line,
                end_line=end,
                level=heading.level,
            )
        )
    return _fold_nested(sections)


def find_headings(doc: Document) -> list[Heading]:
    """All headings the locator works with, recognised kinds or not, in document order.

    Args:
        doc: The document.

    Returns:
        Headings sorted by line, with levels assigned (1 = top level).
    """
    toc_pages = find_toc_pages(doc)
    matcher = HeadingMatcher(doc, toc_pages)
    primary = _outline_headings(doc, matcher, toc_pages) or _toc_headings(doc, matcher, toc_pages)
    body = body_headings(doc, toc_pages, is_key_phrase)
    if not primary:
        return _assign_phrase_levels(body)
    found = {kind for kind in (classify_heading(h.title) for h in primary) if kind is not None}
    missing = set(SECTION_KINDS) - found
    has_appendices = any(_APPENDIX_TITLE.match(h.title) for h in primary)
    taken = {h.line for h in primary}
    extra: list[Heading] = []
    for heading in body:
        if heading.line in taken:
            continue
        if heading.number is None and heading.level == 1:
            if not has_appendices:
                extra.append(heading)
        elif classify_heading(heading.title) in missing:
            extra.append(heading)
    return _assign_phrase_levels(sorted([*primary, *extra], key=lambda h: h.line))


def sections_of(sections: Iterable[Section], kind: SectionKind) -> list[Section]:
    """The sections of one kind, in document order."""
    return [s for s in sections if s.kind == kind]


def pages_for(sections: Iterable[Section], kinds: Collection[SectionKind]) -> list[int]:
    """The pages covered by the sections of the given kinds.

    Args:
        sections: Sections from :func:`locate_sections`.
        kinds: The kinds of interest, e.g. ``{"inclusion", "exclusion"}``.

    Returns:
        Sorted, de-duplicated 1-based page numbers; empty when no section of those kinds
        was found.
    """
    pages: set[int] = set()
    for section in sections:
        if section.kind in kinds:
            pages.update(section.pages)
    return sorted(pages)


def _last_text_line(doc: Document, start: int, end: int) -> int:
    for i in range(end - 1, start, -1):
        if doc.lines[i].text:
            return i
    return start


def _page_first_lines(doc: Document) -> dict[int, int]:
    first: dict[int, int] = {}
    for i, line in enumerate(doc.lines):
        first.setdefault(line.page, i)
    return first


def _outline_headings(doc: Document, matcher: HeadingMatcher, toc_pages: frozenset[int]) -> list[Heading]:
    entries = [e for e in doc.outline if not _NOT_OUTLINE_HEADINGS.match(e.title) and e.page not in toc_pages]
    if len(entries) < _MIN_OUTLINE_ENTRIES:
        return []
    first_line = _page_first_lines(doc)
    headings: dict[int, Heading] = {}
    located = 0
    for entry in entries:
        number, title = parse_number(entry.title)
        if number is None:
            title = entry.title
        start = first_line.get(entry.page)
        if start is None:
            continue
        end = first_line.get(entry.page + 2, len(doc.lines))
        line = matcher.find(number, title, start, end)
        if line is None:
            line = start  # the bookmark is right about the page even when the text differs
        else:
            located += 1
            if number is None:
                # Bookmarks often drop the heading number that the page prints.
                printed, rest = parse_number(doc.lines[line].text)
                number = printed if printed is not None and title_key(rest) == title_key(title) else None
        if number is not None:
            level = number.count(".") + 1
        elif entry.depth == 0 or _APPENDIX_TITLE.match(title):
            level = 1
        else:
            level = entry.depth + 1
        headings.setdefault(
            line,
            Heading(
                line=line,
                page=doc.lines[line].page,
                number=number,
                title=title,
                level=level,
                source="outline",
            ),
        )
    if located * 2 < len(entries):
        return []  # bookmarks that do not match the text (e.g. only page labels)
    return sorted(headings.values(), key=lambda h: h.line)


def _toc_headings(doc: Document, matcher: HeadingMatcher, toc_pages: frozenset[int]) -> list[Heading]:
    entries = parse_toc(doc, toc_pages)
    first_line = _page_first_lines(doc)
    # A first pass learns how printed page numbers map to PDF pages; the second only accepts a
    # heading near where the contents say it is. This keeps an early entry from matching a
    # look-alike line elsewhere (an amendment table listing "1.1 Synopsis", a summary of
    # changes at the end) and dragging every later entry with it.
    body = _after_contents(doc, toc_pages)
    first_pass = _match_in_order(matcher, entries, first_line, body, None)
    offset = _page_offset(doc, list(zip(entries, first_pass, strict=True)))
    lines = _match_in_order(matcher, entries, first_line, body, offset)
    headings = [
        Heading(
            line=line,
            page=doc.lines[line].page,
            number=entry.number,
            title=entry.title,
            level=entry.number.count(".") + 1 if entry.number is not None else 1,
            source="toc",
        )
        for entry, line in zip(entries, lines, strict=True)
        if line is not None
    ]
    return headings if len(headings) >= _MIN_TOC_MATCHES else []


def _after_contents(doc: Document, toc_pages: frozenset[int]) -> int:
    """Index of the first line after the first run of contents pages: where the body starts."""
    if not toc_pages:
        return 0
    last = min(toc_pages)
    while last + 1 in toc_pages:
        last += 1
    return next((i for i, line in enumerate(doc.lines) if line.page > last), len(doc.lines))


def _match_in_order(
    matcher: HeadingMatcher,
    entries: list[TocEntry],
    first_line: dict[int, int],
    body_start: int,
    offset: int | None,
) -> list[int | None]:
    total = matcher.line_count
    found: list[int | None] = []
    # The contents list what follows them: headings printed before (a summary of changes table
    # on the first pages) are look-alikes.
    cursor = body_start
    for entry in entries:
        start, end = cursor, None
        if offset is not None and entry.printed_page > 0:
            expected = entry.printed_page + offset
            start = max(cursor, _line_at_page(first_line, expected - _PAGE_SLACK, total))
            end = _line_at_page(first_line, expected + _PAGE_SLACK + 1, total)
        line = matcher.find(entry.number, entry.title, start, end)
        found.append(line)
        if line is not None:
            cursor = line + 1
    return found


def _line_at_page(first_line: dict[int, int], page: int, total: int) -> int:
    """First line index on ``page`` or on the next page that has lines; ``total`` if none."""
    # Lines run page after page: the dict is in page order, and so are its line indexes.
    pages = list(first_line)
    at = bisect.bisect_left(pages, page)
    return first_line[pages[at]] if at < len(pages) else total


def _page_offset(doc: Document, matches: list[tuple[TocEntry, int | None]]) -> int | None:
    offsets = sorted(
        doc.lines[line].page - entry.printed_page for entry, line in matches if line is not None and entry.printed_page
    )
    if len(offsets) < _MIN_TOC_MATCHES:
        return None
    median = offsets[len(offsets) // 2]
    agreeing = sum(1 for o in offsets if abs(o - median) <= _PAGE_SLACK)
    # Printed numbers that restart per chapter or per part do not give one offset.
    return median if agreeing * 2 > len(offsets) else None


def _assign_phrase_levels(headings: list[Heading]) -> list[Heading]:
    # A bare key phrase sits below the numbered or appendix heading that encloses it, and a
    # line in capitals below that: inside an unnumbered "Inclusion Criteria" section, a
    # capitalised "MEDICAL CONDITIONS" is a sub-heading, not the section's end.
    out: list[Heading] = []
    enclosing = 0
    for heading in headings:
        if heading.level == 0:
            depth = 1 if classify_heading(heading.title, strict=True) is not None else 2
            out.append(
                Heading(
                    line=heading.line,
                    page=heading.page,
                    number=None,
                    title=heading.title,
                    level=enclosing + depth,
                    source=heading.source,
                )
            )
            continue
        enclosing = heading.level
        out.append(heading)
    return out


def _contains(outer: Section, inner: Section) -> bool:
    return (
        outer is not inner
        and outer.kind == inner.kind
        and outer.start_line <= inner.start_line
        and inner.end_line <= outer.end_line
    )


def _fold_nested(sections: list[Section]) -> list[Section]:
    # A broad chapter ("Investigational Plan") gives way to the specific heading inside it;
    # otherwise the outer section absorbs nested ones of the same kind.
    narrowed = [
        s for s in sections if not (is_broad_heading(s.title) and any(_contains(s, inner) for inner in sections))
    ]
    return [s for s in narrowed if not any(_contains(outer, s) for outer in narrowed)]
