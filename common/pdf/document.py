"""The plain-data model of a document after text extraction: lines with their pages.

Kept free of PDFium and of any parsing logic so every stage (layout, headings, lists, tables)
and every protocol field can be built and tested from hand-written lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["Document", "Line", "LineBox", "OutlineEntry", "blank_line", "line_of"]

_TUPLE_NEW: Any = tuple.__new__  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


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


class LineBox(NamedTuple):
    """Where a line of extracted text sits and how it is set (input of ``build_document``).

    For lines whose positions come from elsewhere than :func:`common.pdf.text.open_pdf`, which
    builds each :class:`Line` with its position directly.

    Attributes:
        x: Left edge of the line's first visible glyph, in PDF points from the page's left edge.
        top: Top edge of that glyph, in points from the page's top edge.
        bottom: Bottom edge of that glyph, in points from the page's top edge.
        size: Font size of that glyph, in points (0.0 when the PDF does not say).
        bold: The glyph's font weight is 600 or more.
        char_start: Index of the line's first character in the page's text (PDFium's character
            index), so the glyphs of the line can be looked up again.
    """

    x: float
    top: float
    bottom: float
    size: float
    bold: bool
    char_start: int


class Line(NamedTuple):
    """One text line of a page.

    A named tuple, not a frozen dataclass: one is made per line of every page, and a frozen
    dataclass costs five times as much to build (0.94 µs against 0.19 µs here). Change one
    with ``line._replace(...)``.

    Attributes:
        text: The line, stripped, internal whitespace collapsed, odd characters normalised;
            ``""`` for a blank line.
        page: 1-based PDF page the line is on.
        indent: Number of leading spaces in the extracted text. A weak hint only: text
            extraction does not reproduce indentation faithfully.
        x: Where the line starts on the page, in PDF points from the left edge, when the
            text extraction reported it; ``None`` otherwise. Only comparable between lines of
            the same document (a hanging indent, a note back at the margin).
        top: Top edge of the line, in points from the page's top edge; ``None`` when unknown.
        size: Font size of the line's first glyph, in points; ``None`` when unknown.
        bold: The line's first glyph is bold (``False`` when unknown).
        char_start: PDFium character index of the line's first raw character on its page, or
            ``-1`` when the line did not come from a PDF.
        raw: The line as extracted, before normalisation (``""`` when not from a PDF); with
            ``char_start`` it maps each raw character back to its glyph.
    """

    text: str
    page: int
    indent: int = 0
    x: float | None = None
    top: float | None = None
    size: float | None = None
    bold: bool = False
    char_start: int = -1
    raw: str = ""


def line_of(values: tuple[str, int, int, float | None, float | None, float | None, bool, int, str]) -> Line:
    """A :class:`Line` from its nine field values in order, built straight from the tuple.

    The hot paths (every line of a PDF) use it: it skips the NamedTuple's Python-level
    ``__new__``, about twice as fast.

    Args:
        values: ``(text, page, indent, x, top, size, bold, char_start, raw)``.

    Returns:
        The line.
    """
    return _TUPLE_NEW(Line, values)


def blank_line(page: int, text: str = "") -> Line:
    """A line without position: blank, or whose glyphs PDFium could not place.

    Args:
        page: 1-based page.
        text: The line's text, ``""`` for a blank line.

    Returns:
        The line.
    """
    return _TUPLE_NEW(Line, (text, page, 0, None, None, None, False, -1, ""))


@dataclass(frozen=True, slots=True)
class Document:
    """A document as a flat sequence of lines, running headers and footers removed.

    Attributes:
        lines: All body lines in reading order, page after page.
        page_count: Number of pages in the PDF (pages may have no lines).
        outline: The PDF bookmarks, if any, in document order.
        footnotes: Footnote lines found at the foot of pages (smaller type, below the body),
            in reading order; they are not in ``lines``.
        page_heights: Height of each page in points (index 0 is page 1); empty when unknown.
    """

    lines: tuple[Line, ...]
    page_count: int
    outline: tuple[OutlineEntry, ...] = ()
    footnotes: tuple[Line, ...] = ()
    page_heights: tuple[float, ...] = ()

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
