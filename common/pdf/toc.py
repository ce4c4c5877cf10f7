"""The printed table of contents: where it is and what it lists.

A table of contents line is a title followed by a page number, usually with dot leaders
("6.1. Inclusion Criteria..........25"). The page numbers are the printed ones, which rarely
equal PDF page indexes, so callers use the entries only as a list of headings to look for in the
body, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.pdf.document import Document
from common.pdf.headings import parse_number, title_key

__all__ = ["TocEntry", "find_toc_pages", "parse_toc"]

_LEADER_TAIL = re.compile(r"(?:\.{2,}|(?:\. ){2,}|…+|_{3,})[ .…_]*(?P<page>\d{1,4}|[ivxlc]{1,6})$")
_DIGITS = "0123456789"
_ROMAN = "ivxlc"
_LEADER_CHARS = frozenset(" .…_")
_PLAIN_LINE = re.compile(r"^(?P<text>\d{1,2}(?:\.\d{1,3}){0,6}\.?\s+[A-Z].*[A-Za-z)])\s+(?P<page>\d{1,4})$")
_CONTENTS_TITLE = re.compile(r"^(?:table of contents|contents)\b", re.IGNORECASE)
_RESET_KEYS = frozenset(
    {
        "tableofcontents",
        "contents",
        "sectionpage",
        "page",
        "tablepage",
        "figurepage",
        "appendixpage",
        "attachmentpage",
        "listoftables",
        "listoffigures",
        "listofappendices",
        "listofattachments",
        "listofabbreviations",
    }
)
_NOT_HEADINGS = ("table ", "figure ", "listing ", "exhibit ")
_MIN_LINES_PER_PAGE = 3
_MAX_WRAP_LINES = 3


@dataclass(frozen=True, slots=True)
class TocEntry:
    """One entry of the printed table of contents.

    Attributes:
        number: The section number without a trailing dot, if any.
        title: The title, wrapped lines joined.
        printed_page: The page number as printed (not a PDF index); 0 when it is a roman
            numeral.
        line: Index of the entry's last line in ``Document.lines``.
    """

    number: str | None
    title: str
    printed_page: int
    line: int


def _leader_entry(text: str) -> tuple[str, str] | None:
    # Cheap tests first: this runs on every line of the document. The page number (digits, or
    # a roman numeral) must follow a leader character, or the pattern cannot match.
    if not text[-1].isalnum() or ("." not in text and "…" not in text and "_" not in text):
        return None
    page_at = len(text.rstrip(_DIGITS)) if text[-1].isdigit() else len(text.rstrip(_ROMAN))
    if page_at == 0 or text[page_at - 1] not in _LEADER_CHARS:
        return None
    match = _LEADER_TAIL.search(text)
    if match is None:
        return None
    title = text[: match.start()].strip()
    if not any(ch.isalpha() for ch in title):
        return None
    return title, match["page"]


def _plain_entry(text: str) -> tuple[str, str] | None:
    if not (text[0].isdigit() and text[-1].isdigit()):
        return None
    match = _PLAIN_LINE.match(text)
    return None if match is None else (match["text"], match["page"])


def _entry(text: str) -> tuple[str, str] | None:
    return _leader_entry(text) or _plain_entry(text)


def find_toc_pages(doc: Document) -> frozenset[int]:
    """Pages that belong to the table of contents (or lists of tables, figures, appendices).

    Args:
        doc: The document.

    Returns:
        1-based page numbers; empty when the document has no recognisable table of contents.
    """
    leader: dict[int, int] = {}
    plain: dict[int, int] = {}
    titled: set[int] = set()
    for line in doc.lines:
        if not line.text:
            continue
        if line.text[0] in "tTcC" and _CONTENTS_TITLE.match(line.text):  # cheap test first
            titled.add(line.page)
        if _leader_entry(line.text):
            leader[line.page] = leader.get(line.page, 0) + 1
        elif _plain_entry(line.text):
            plain[line.page] = plain.get(line.page, 0) + 1
    pages: set[int] = set()
    for page in range(1, doc.page_count + 1):
        dotted = leader.get(page, 0)
        undotted = plain.get(page, 0)
        if dotted >= _MIN_LINES_PER_PAGE or (page in titled and dotted + undotted >= _MIN_LINES_PER_PAGE):
            pages.add(page)
        elif (
            page - 1 in pages and (page - 1 in titled or page - 2 in pages) and dotted + undotted >= _MIN_LINES_PER_PAGE
        ):
            # A leader-less table of contents continues on the next page without a title.
            pages.add(page)
    return frozenset(pages)


def parse_toc(doc: Document, toc_pages: frozenset[int]) -> list[TocEntry]:
    """The entries listed on the table of contents pages, in order.

    Entries for tables and figures are left out; appendix entries are kept.

    Args:
        doc: The document.
        toc_pages: Pages returned by :func:`find_toc_pages`.

    Returns:
        The entries in printed order.
    """
    entries: list[TocEntry] = []
    pending: list[str] = []
    for index, line in enumerate(doc.lines):
        if line.page not in toc_pages or not line.text:
            continue
        key = title_key(line.text)
        if key in _RESET_KEYS or _CONTENTS_TITLE.match(line.text):
            pending = []
            continue
        found = _entry(line.text)
        if found is None:
            # A title wrapped over several lines: only the last one carries the page number.
            pending = [*pending[-(_MAX_WRAP_LINES - 1) :], line.text]
            continue
        head, page_text = found
        text = " ".join([*pending, head]) if _continues(pending, head) else head
        pending = []
        number, title = parse_number(text)
        if not title or title.lower().startswith(_NOT_HEADINGS):
            continue
        entries.append(
            TocEntry(
                number=number,
                title=title,
                printed_page=int(page_text) if page_text.isdigit() else 0,
                line=index,
            )
        )
    return entries


def _continues(pending: list[str], text: str) -> bool:
    # A new numbered entry never continues the previous lines.
    return bool(pending) and parse_number(text)[0] is None
