"""The plain-data model of a document after text extraction: lines with their pages.

Kept free of pypdf and of any parsing logic so every stage (layout, sections, criteria, fields)
can be built and tested from hand-written lines.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Document", "Line", "OutlineEntry"]


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """One bookmark of a PDF outline.

    Attributes:
        title: The bookmark title, whitespace collapsed.
        page: 1-based PDF page the bookmark points to.
        depth: Nesting depth in the outline tree, 0 for top-level bookmarks.
    """

    title: str
    page: int
    depth: int


@dataclass(frozen=True, slots=True)
class Line:
    """One text line of a page.

    Attributes:
        text: The line, stripped, internal whitespace collapsed; ``""`` for a blank line.
        page: 1-based PDF page the line is on.
        indent: Number of leading spaces in the extracted text. A weak hint only: text
            extraction does not reproduce indentation faithfully.
        x: Where the line starts on the page, in PDF points from the left edge, when the
            text extraction reported it; ``None`` otherwise. Only comparable between lines of
            the same document (a hanging indent, a note back at the margin).
    """

    text: str
    page: int
    indent: int = 0
    x: float | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A document as a flat sequence of lines, running headers and footers removed.

    Attributes:
        lines: All lines in reading order, page after page.
        page_count: Number of pages in the PDF (pages may have no lines).
        outline: The PDF bookmarks, if any, in document order.
    """

    lines: tuple[Line, ...]
    page_count: int
    outline: tuple[OutlineEntry, ...] = ()

    def page_of(self, index: int) -> int:
        """1-based page of line ``index``; past the end, the last page.

        Args:
            index: A line index, ``0 <= index``; indexes past the end are clamped.

        Returns:
            The 1-based page number.
        """
        if not self.lines:
            return 1
        return self.lines[min(index, len(self.lines) - 1)].page
