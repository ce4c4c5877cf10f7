"""Pages that summarise protocol amendments (a "Summary of Changes" table, a document history).

An amendment summary quotes the headings and text it changed ("6.2 Exclusion Criteria: criterion
4 revised"), so its pages look like key sections without being them. The model mode never sends
them, and sections whose heading sits on them are not sent either.

A summary starts on a page with a heading line such as "Summary of Changes", "Protocol Amendment
Summary", "Document History" or "Revision History", and runs on over the following pages until a
page where one of the protocol's own sections starts (or at most :data:`MAX_PAGES` pages).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from common.pdf.document import Document
from common.protocols.sections import Section

__all__ = ["MAX_PAGES", "find_amendment_pages"]

MAX_PAGES = 12
"""Longest amendment summary assumed, in pages."""

_HEADING = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?(?:protocol\s+)?(?:summary\s+of\s+(?:protocol\s+)?(?:changes|amendments?|modifications)|"
    r"amendment\s+(?:summary|history|rationale)(?:\s+and\s+summary\s+of\s+changes)?|"
    r"(?:protocol\s+)?amendment\s+summary\s+of\s+changes(?:\s+table)?|document\s+history|revision\s+history|"
    r"protocol\s+(?:amendment|revision)\s+history|summary\s+of\s+changes\s+table|list\s+of\s+changes)\b",
    re.IGNORECASE,
)
_MAX_HEADING_WORDS = 12


def find_amendment_pages(doc: Document, sections: Sequence[Section]) -> frozenset[int]:
    """The pages of the document's amendment summaries.

    Args:
        doc: The document.
        sections: Its sections (:func:`common.protocols.sections.locate_sections`); a page where
            one starts ends a summary.

    Returns:
        1-based page numbers; empty when the document has no amendment summary.
    """
    starts = {
        line.page
        for line in doc.lines
        if line.text and len(line.text.split()) <= _MAX_HEADING_WORDS and _HEADING.match(line.text)
    }
    if not starts:
        return frozenset()
    section_pages = {s.start_page for s in sections}
    pages: set[int] = set()
    for start in sorted(starts):
        pages.add(start)
        for page in range(start + 1, min(doc.page_count, start + MAX_PAGES) + 1):
            if page in section_pages or page in starts:
                break
            pages.add(page)
    return frozenset(pages)
