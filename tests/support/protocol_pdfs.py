"""Render realistic multi-page protocol PDFs from a structured description (reportlab).

The point is to print the *same* eligibility criteria in the layouts real protocols use and check
that extraction does not depend on one of them. A :class:`Protocol` is a list of blocks
(headings, paragraphs, inline labels, criteria lists, key/value tables, page breaks) plus page
furniture (title page, table of contents with dot leaders and page numbers, running header and
footer with page numbers). :func:`render_protocol` lays it out with reportlab and returns the PDF
bytes together with what was rendered: every criterion of the lists marked ``reference=True``
with its expected text, id and the PDF pages it was drawn on. Those expectations come from the
description only, never from the extractor under test.

Layout notes (what a PDF reader sees):

* each list marker is drawn as the paragraph's bullet, on the same baseline as the first line of
  the item, so text extraction yields ``"1. Participant must ..."`` like Word-made PDFs;
* wrapped lines are real line breaks; an item may split across a page, with the running
  header and footer printed in between;
* the header is drawn when a page starts and the footer when it ends (``footer_first=False``),
  or both first, so extraction puts them at either end of the page text;
* the table of contents is laid out in a first pass to learn the pages of the headings, then
  printed with dot leaders (or without, ``toc_style``) in a second pass; pages before
  ``first_numbered_page`` carry roman numerals;
* optional: markers drawn as separate text objects (extraction puts them on a line of their
  own), PDF bookmarks, justified text, markers at the margin, a two-column body, criteria
  printed as a two-column table, tables inside an item.

Fonts: Bitstream Vera, shipped with reportlab (so "≥", "≤", "•" and "×" extract as such); the
round bullets "●"/"○" need DejaVu Sans, used when the system has it (Vera draws them as missing
glyphs otherwise, which only changes the bullet glyph the extractor sees).

Usage::

    rendered = render_protocol(Protocol(title=..., protocol_id=..., sponsor=..., blocks=(...)))
    rendered.pdf  # bytes
    rendered.inclusion  # ExpectedCriterion(id, text, page, pages) for each reference item
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Indenter,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

__all__ = [
    "Block",
    "CoverImage",
    "CriteriaList",
    "ExpectedCriterion",
    "GridTable",
    "Heading",
    "Item",
    "KeyValueTable",
    "Label",
    "NewPage",
    "Para",
    "Protocol",
    "RenderedProtocol",
    "SubHeading",
    "filler",
    "marker_text",
    "render_protocol",
]

Kind = Literal["inclusion", "exclusion"]

# ---------------------------------------------------------------------------------------------
# Description
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A heading line, printed exactly as ``text`` ("5.1. Inclusion Criteria", "INCLUSION CRITERIA").

    ``level`` (1 = chapter) sets the type size and the indentation in the contents; ``toc``
    lists it in the table of contents.
    """

    text: str
    level: int = 1
    toc: bool = True


@dataclass(frozen=True)
class Para:
    """A body paragraph."""

    text: str
    indent: float = 0.0


@dataclass(frozen=True)
class Label:
    """A short bold paragraph that labels what follows ("Inclusion criteria:"), not a heading."""

    text: str


@dataclass(frozen=True)
class NewPage:
    """Start a new page."""


@dataclass(frozen=True)
class Item:
    """One list item: its text, an optional table (e.g. laboratory limits), nested items and a note.

    The table is printed right after the text, inside the item; the note (an indented
    paragraph, "Note: ...") after the nested items.
    """

    text: str
    sub: tuple[Item, ...] = ()
    note: str | None = None
    table: tuple[tuple[str, ...], ...] = ()
    footnote: tuple[str, str] | None = None
    """``(word, text)``: a superscript footnote number after ``word`` in the item, and the
    footnote ``text`` printed at the foot of the page in smaller type. The expected text of
    the item has neither."""


@dataclass(frozen=True)
class SubHeading:
    """An unnumbered group title between items (the TransCelerate template's "Age", "Informed Consent")."""

    text: str


@dataclass(frozen=True)
class CriteriaList:
    """A list of criteria.

    Attributes:
        kind: Inclusion or exclusion.
        entries: Items and group sub-headings, in order.
        markers: Marker format per nesting level: ``"{n}."``, ``"{n})"``, ``"({n})"``,
            ``"[{n}]"``, ``"{a}."``, ``"{a})"``, ``"{i}."``, ``"IN{n:02d}"``, ``"E{n}"``,
            ``"{n}"`` (a bare number) or a bullet glyph (``"•"``, ``"●"``, ``"o"``, ``"-"``).
            The last format is reused for deeper levels.
        start: Number of the first top-level item (exclusion numbering continuing inclusion).
        intro: The sentence before the list ("... only if all of the following criteria apply:").
        reference: The list the extractor must return (the full section, not a synopsis).
        as_table: Print the items as a two-column table, marker | text.
        font_size: Type size of the items (synopsis tables use smaller type).
    """

    kind: Kind
    entries: tuple[Item | SubHeading, ...]
    markers: tuple[str, ...] = ("{n}.", "{a}.", "{i}.")
    start: int = 1
    intro: str | None = None
    reference: bool = True
    as_table: bool = False
    font_size: float | None = None

    @property
    def items(self) -> list[Item]:
        """The top-level items, sub-headings left out."""
        return [e for e in self.entries if isinstance(e, Item)]


@dataclass(frozen=True)
class KeyValueTable:
    """A two-column table (a synopsis): a label cell and a value cell per row.

    A value is a paragraph text or a sequence of blocks (paragraphs, labels, criteria lists).
    """

    rows: tuple[tuple[str, str | tuple[Para | Label | CriteriaList, ...]], ...]
    label_width: float = 1.6 * inch


@dataclass(frozen=True)
class GridTable:
    """A general table: an *Objectives | Endpoints* table, a schedule of activities.

    Attributes:
        rows: Cell texts, row by row. ``^x`` after a word prints ``x`` as a superscript (a
            footnote marker: ``"X^a"``); ``"\n"`` breaks a line inside a cell; ``"• "`` at the
            start of a line makes a bulleted line.
        header_rows: Rows repeated at the top of every page the table runs over.
        spans: ``(first column, first row, last column, last row)`` merged cells, as reportlab's
            ``SPAN`` command.
        ruled: Draw every cell border (most protocols); ``False`` prints no rule at all.
        col_widths: Column widths in points; equal widths over the text width when empty.
        font_size: Type size in the cells.
    """

    rows: tuple[tuple[str, ...], ...]
    header_rows: int = 1
    spans: tuple[tuple[int, int, int, int], ...] = ()
    ruled: bool = True
    col_widths: tuple[float, ...] = ()
    font_size: float = 8.0


@dataclass(frozen=True)
class CoverImage:
    """A cover page with no text layer (a scanned or drawn cover): shapes only."""


Block = Heading | Para | Label | NewPage | CriteriaList | KeyValueTable | GridTable


@dataclass(frozen=True)
class Protocol:
    """A whole protocol document.

    Attributes:
        title: The full title (title page).
        protocol_id: Printed on the title page and usually in the header.
        sponsor: Sponsor name on the title page.
        blocks: The body, in order.
        toc: Print a table of contents (entries from headings with ``toc=True``).
        header_left, header_right: Running header texts; ``{page}``/``{pages}`` are replaced.
        footer_left, footer_center, footer_right: Running footer texts, same placeholders.
        header_on_title_page: Also print the running header/footer on page 1.
        footer_first: Draw the footer when the page starts (extraction lists it first).
        first_numbered_page: PDF page printed as page 1; earlier pages get roman numerals.
        page_size: ``"letter"`` or ``"A4"``.
        font_size: Body type size.
        toc_title: Title of the contents page.
        title_page_lines: Extra centred lines on the title page (version, date).
        front: Blocks between the title page and the table of contents (amendment history,
            abbreviations, signatures); their headings are not listed in the contents.
        separate_markers: Draw each list marker as a text object of its own, as some PDF
            producers do; text extraction then puts the marker on a line by itself.
        bookmarks: Add a PDF outline entry for every body heading with ``toc=True``;
            ``"titles"`` leaves the heading numbers out of the bookmark titles.
        justify: Justify body paragraphs and list items (the usual Word setting).
        list_indent: Where top-level list markers sit, in points right of the text margin (0:
            markers at the margin, text on a hanging indent).
        heading_numbers_apart: Draw heading numbers as text objects of their own (Word's
            automatic numbering in some PDF converters); extraction then puts "5.1." and the
            title on separate lines.
        toc_style: ``"leaders"`` (title, dot leaders, page number), ``"plain"`` (no leaders,
            page number at the right margin) or ``"separate"`` (no leaders, the page number a
            text object of its own, so extraction puts it on its own line).
        columns: 2 sets the body (after the contents) in two columns, as journal-published
            protocols are.
    """

    title: str
    protocol_id: str
    sponsor: str
    blocks: tuple[Block, ...]
    toc: bool = True
    header_left: str = "Protocol {protocol_id}"
    header_right: str = "CONFIDENTIAL"
    footer_left: str = ""
    footer_center: str = "Page {page} of {pages}"
    footer_right: str = ""
    header_on_title_page: bool = False
    footer_first: bool = False
    first_numbered_page: int = 1
    page_size: Literal["letter", "A4"] = "letter"
    font_size: float = 10.5
    toc_title: str = "TABLE OF CONTENTS"
    title_page_lines: tuple[str, ...] = ()
    front: tuple[Block, ...] = ()
    separate_markers: bool = False
    columns: Literal[1, 2] = 1
    bookmarks: Literal["none", "numbered", "titles"] = "none"
    justify: bool = False
    list_indent: float = 18.0
    heading_numbers_apart: bool = False
    toc_style: Literal["leaders", "plain", "separate"] = "leaders"
    cover_without_text: bool = False
    """Print a cover page with no text before the title page (page 1 an image)."""


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedCriterion:
    """A rendered criterion of a reference list.

    Attributes:
        id: The label without brackets and closing punctuation (``"3"``, ``"IN03"``, ``"E2"``,
            ``"5.1.2"``), or ``I<k>``/``E<k>``
            for bullets (k counts the list's items from 1).
        text: The criterion as printed, nested items with their markers, without its own marker.
        page: PDF page of the item's first line.
        pages: Every PDF page the item (with its nested items) was drawn on.
    """

    id: str
    text: str
    page: int
    pages: tuple[int, ...]


@dataclass(frozen=True)
class RenderedProtocol:
    """The PDF and what it contains."""

    pdf: bytes
    page_count: int
    inclusion: tuple[ExpectedCriterion, ...]
    exclusion: tuple[ExpectedCriterion, ...]
    heading_pages: dict[str, int] = field(default_factory=dict[str, int])

    def criteria(self, kind: Kind) -> tuple[ExpectedCriterion, ...]:
        """The expected criteria of one list."""
        return self.inclusion if kind == "inclusion" else self.exclusion


# ---------------------------------------------------------------------------------------------
# Markers and text
# ---------------------------------------------------------------------------------------------


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += numeral
            n -= value
    return out


def marker_text(fmt: str, n: int) -> str:
    """The printed marker of item ``n`` (1-based) in format ``fmt`` (see :class:`CriteriaList`)."""
    if "{" not in fmt:
        return fmt
    letter_ = chr(ord("a") + (n - 1) % 26)
    roman = _roman(n)
    return fmt.format(n=n, a=letter_, A=letter_.upper(), i=roman, I=roman.upper())


def _is_bullet(fmt: str) -> bool:
    return "{" not in fmt


def _expected_id(fmt: str, n: int, ordinal: int, kind: Kind) -> str:
    if _is_bullet(fmt):
        return f"{'I' if kind == 'inclusion' else 'E'}{ordinal}"
    return marker_text(fmt, n).strip("[(").rstrip(".:)]")


def _item_text(item: Item, markers: Sequence[str], depth: int) -> str:
    parts = [item.text, *(cell for row in item.table for cell in row)]
    fmt = markers[min(depth + 1, len(markers) - 1)]
    for k, child in enumerate(item.sub, start=1):
        marker = marker_text(fmt, k)
        child_text = _item_text(child, markers, depth + 1)
        parts.append(f"{marker} {child_text}" if marker else child_text)
    if item.note:
        parts.append(item.note)
    return " ".join(parts)


_FILLER = (
    "The study will be conducted in accordance with the protocol, the International Council for "
    "Harmonisation Good Clinical Practice guideline and applicable local regulations.",
    "Each participant will be assigned a unique identification number at screening, which will be "
    "used on all case report forms and laboratory requisitions.",
    "Safety will be monitored throughout the study by the investigator and by an independent data "
    "monitoring committee that reviews unblinded data at prespecified intervals.",
    "Blood samples for pharmacokinetic analysis will be collected before dosing and at 0.5, 1, 2, 4, "
    "8 and 24 hours after dosing on the days indicated in the schedule of activities.",
    "All adverse events will be recorded from the signing of the informed consent form until the "
    "follow-up visit, and serious adverse events will be reported to the sponsor within 24 hours.",
    "The sample size provides approximately 90% power to detect a difference of 0.5% in the primary "
    "endpoint at a two-sided significance level of 5%, assuming a standard deviation of 1.1%.",
    "Study intervention will be dispensed at each visit and unused material will be returned to the "
    "site so that compliance can be assessed by counting the remaining units.",
    "Concomitant medications taken within 30 days before screening and throughout the study will be "
    "recorded together with the dose, route, indication and dates of administration.",
    "Vital signs, including systolic and diastolic blood pressure, pulse rate and body temperature, "
    "will be measured after the participant has rested for at least 5 minutes in a seated position.",
    "Data will be entered into a validated electronic data capture system, and source data "
    "verification will be performed by the monitor according to the monitoring plan.",
    "The investigator is responsible for ensuring that the study is performed by adequately "
    "qualified staff and that the site has sufficient resources to enroll the planned participants.",
    "Missing data will be handled as described in the statistical analysis plan, which will be "
    "finalized before database lock and before the treatment assignments are unblinded.",
)


def filler(count: int, seed: int = 0) -> tuple[Para, ...]:
    """``count`` realistic body paragraphs of two or three sentences, deterministic in ``seed``."""
    out: list[Para] = []
    for k in range(count):
        start = (seed * 5 + k * 3) % len(_FILLER)
        size = 2 + (seed + k) % 2
        out.append(Para(" ".join(_FILLER[(start + j) % len(_FILLER)] for j in range(size))))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

_FONT = "PPVera"
_BOLD = "PPVeraBd"
_SYMBOLS = "PPSymbols"


@cache
def _register_fonts() -> None:
    fonts = Path(os.path.dirname(reportlab.__file__)) / "fonts"
    pdfmetrics.registerFont(TTFont(_FONT, str(fonts / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(_BOLD, str(fonts / "VeraBd.ttf")))
    # Vera has "•" but not "●"/"○"/"◦"; DejaVu has them when the system ships it.
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdfmetrics.registerFont(TTFont(_SYMBOLS, str(dejavu if dejavu.is_file() else fonts / "Vera.ttf")))


_HEADING_NUMBER = re.compile(r"^\d+(?:\.\d+)*\.?\s+")
_GLYPH_FALLBACKS = {"●": "•", "○": "o", "◦": "o", "▪": "-", "■": "-"}


def _symbol_font(glyph: str) -> str:
    return _SYMBOLS if any(ord(ch) > 0x2500 for ch in glyph) else _FONT


def _printable(glyph: str) -> str:
    """The glyph itself when the symbol font has it, else a look-alike (no DejaVu on the system)."""
    face: Any = getattr(pdfmetrics.getFont(_SYMBOLS), "face")  # noqa: B009 - not in reportlab's stubs
    if all(ord(ch) in face.charToGlyph for ch in glyph):
        return glyph
    return "".join(_GLYPH_FALLBACKS.get(ch, ch) for ch in glyph)


class _Recorder:
    def __init__(self) -> None:
        self.pages: dict[Any, list[int]] = {}

    def add(self, tag: Any, page: int) -> None:
        self.pages.setdefault(tag, []).append(page)


class _TaggedParagraph(Paragraph):
    """A paragraph that records on which pages it is drawn (split parts included).

    ``_marker`` (text, font, x) draws a list marker as a separate text object before the
    paragraph, at the first line's baseline.
    """

    _tags: tuple[Any, ...] = ()
    _recorder: _Recorder | None = None
    _marker: tuple[str, str, float] | None = None
    _bookmark: tuple[str, str, int] | None = None
    _footnote: tuple[dict[int, list[str]], str] | None = None

    def split(self, availWidth: float, availHeight: float) -> list[Any]:
        parts: list[Any] = super().split(availWidth, availHeight)
        for k, part in enumerate(parts):
            part._tags = self._tags
            part._recorder = self._recorder
            part._marker = self._marker if k == 0 else None
            part._bookmark = self._bookmark if k == 0 else None
            part._footnote = self._footnote if k == 0 else None
        return parts

    def draw(self) -> None:
        if self._bookmark is not None:
            key, title, level = self._bookmark
            self.canv.bookmarkHorizontal(key, 0, self.height)
            self.canv.addOutlineEntry(title, key, level)
        if self._marker is not None:
            text, font, x = self._marker
            size = self.style.fontSize
            self.canv.setFont(font, size)
            self.canv.drawString(x, self.height - size, text)
        super().draw()
        if self._footnote is not None:
            registry, text = self._footnote
            registry.setdefault(self.canv.getPageNumber(), []).append(text)
        if self._recorder is not None:
            page = self.canv.getPageNumber()
            for tag in self._tags:
                self._recorder.add(tag, page)


class _Cover(Flowable):
    """A cover drawn with shapes only: a page without a text layer, like a scanned cover."""

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:
        self._size = (aW, min(aH, 6 * inch))
        return self._size

    def draw(self) -> None:
        width, height = self._size
        self.canv.setFillGray(0.85)
        self.canv.rect(0, height * 0.4, width, height * 0.5, fill=1, stroke=0)
        self.canv.setFillGray(0.3)
        for k in range(12):
            self.canv.rect(0.1 * width, height * (0.45 + k * 0.03), 0.8 * width * (0.5 + (k % 3) / 6), 4, fill=1)


class _TocLine(Flowable):
    """``title ......... page`` in one text object, as word processors print it."""

    def __init__(self, title: str, page: str, level: int, font_size: float, style: str = "leaders") -> None:
        super().__init__()
        self.title = title
        self.page = page
        self.level = level
        self.font_size = font_size
        self.style = style

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:
        self.width = aW
        return aW, self.font_size * 1.5

    def draw(self) -> None:
        canv = self.canv
        size = self.font_size
        font = _BOLD if self.level == 1 else _FONT
        indent = 14 * (self.level - 1)
        title_width = pdfmetrics.stringWidth(self.title, font, size)
        page_width = pdfmetrics.stringWidth(self.page, _FONT, size)
        dot = pdfmetrics.stringWidth(".", _FONT, size)
        gap = self.width - indent - title_width - page_width - 2 * dot
        dots = "." * max(3, int(gap / dot) - 1)
        text = canv.beginText(indent, size * 0.4)
        text.setFont(font, size)
        text.textOut(self.title)
        text.setFont(_FONT, size)
        if self.style == "leaders":
            text.textOut(dots)
        if self.style == "separate":
            canv.drawText(text)
            canv.setFont(_FONT, size)
            canv.drawRightString(self.width, size * 0.4, self.page)
            return
        text.moveCursor(self.width - indent - page_width, 0)
        text.textOut(self.page)
        canv.drawText(text)


@dataclass
class _Styles:
    body: ParagraphStyle
    bold: ParagraphStyle
    title: ParagraphStyle
    centre: ParagraphStyle
    headings: dict[int, ParagraphStyle]
    cell: ParagraphStyle


def _styles(size: float, justify: bool) -> _Styles:
    body = ParagraphStyle(
        "body", fontName=_FONT, fontSize=size, leading=size * 1.3, spaceAfter=size * 0.6, alignment=4 if justify else 0
    )
    headings = {
        level: ParagraphStyle(
            f"h{level}",
            fontName=_BOLD,
            fontSize=size + max(0, 4 - level) * 1.5,
            leading=(size + max(0, 4 - level) * 1.5) * 1.3,
            spaceBefore=size * 1.0,
            spaceAfter=size * 0.6,
        )
        for level in range(1, 6)
    }
    return _Styles(
        body=body,
        bold=ParagraphStyle("bold", parent=body, fontName=_BOLD),
        title=ParagraphStyle(
            "title", fontName=_BOLD, fontSize=size + 6, leading=(size + 6) * 1.3, alignment=1, spaceAfter=24
        ),
        centre=ParagraphStyle("centre", parent=body, alignment=1),
        headings=headings,
        cell=ParagraphStyle("cell", parent=body, fontSize=size - 1, leading=(size - 1) * 1.3, spaceAfter=2),
    )


class _Renderer:
    def __init__(self, protocol: Protocol, toc_pages: dict[int, int] | None) -> None:
        self.protocol = protocol
        self.toc_pages = toc_pages
        self.styles = _styles(protocol.font_size, protocol.justify)
        self.recorder = _Recorder()
        self.expected: dict[Kind, list[tuple[str, str, tuple[Any, ...]]]] = {"inclusion": [], "exclusion": []}
        self.headings: list[tuple[int, Heading]] = []
        self.outline_level = -1
        self.footnotes: dict[int, list[str]] = {}
        self.footnote_count = 0

    # -- paragraphs -------------------------------------------------------------------------

    def _para(
        self,
        text: str,
        style: ParagraphStyle,
        tags: tuple[Any, ...] = (),
        bullet: str | None = None,
        *,
        markup: str | None = None,
    ) -> Any:
        if bullet is not None:
            bullet = _printable(bullet)
        separate = bullet is not None and self.protocol.separate_markers
        para = _TaggedParagraph(
            markup if markup is not None else escape(text), style, bulletText=None if separate else bullet
        )
        para._tags = tags
        para._recorder = self.recorder
        if separate and bullet is not None:
            para._marker = (bullet, style.bulletFontName, style.bulletIndent)
        return para

    # -- blocks ----------------------------------------------------------------------------

    def flowables(self) -> list[Any]:
        out: list[Any] = [_Cover(), PageBreak()] if self.protocol.cover_without_text else []
        out.extend(self._title_page())
        for block in self.protocol.front:
            out.extend(self._block(block, self.protocol.font_size, -1))
        if self.protocol.front:
            out.append(PageBreak())
        if self.protocol.toc:
            out.extend(self._toc())
        if self.protocol.columns == 2:
            # Takes effect at the next page: the body starts on a new page anyway.
            out.insert(len(out) - 1, NextPageTemplate("columns"))
        for index, block in enumerate(self.protocol.blocks):
            out.extend(self._block(block, self.protocol.font_size, index))
        return out

    def _title_page(self) -> list[Any]:
        p = self.protocol
        s = self.styles
        out: list[Any] = [Spacer(1, 1.2 * inch), self._para(p.title, s.title)]
        out.append(self._para(f"Protocol Number: {p.protocol_id}", s.centre))
        out.append(self._para(f"Sponsor: {p.sponsor}", s.centre))
        out.extend(self._para(line, s.centre) for line in p.title_page_lines)
        out.append(Spacer(1, 0.6 * inch))
        out.append(
            self._para(
                "This document contains confidential information belonging to the sponsor. Except as "
                "otherwise agreed to in writing, by accepting or reviewing this document you agree to hold "
                "this information in confidence and not copy or disclose it to others.",
                s.body,
            )
        )
        out.append(PageBreak())
        return out

    def _toc(self) -> list[Any]:
        s = self.styles
        out: list[Any] = [self._para(self.protocol.toc_title, s.headings[1])]
        size = self.protocol.font_size - 0.5
        for index, block in enumerate(self.protocol.blocks):
            if isinstance(block, Heading) and block.toc:
                page = 999 if self.toc_pages is None else self.toc_pages.get(index, 0)
                out.append(
                    _TocLine(block.text, self._printed_page(page), min(block.level, 3), size, self.protocol.toc_style)
                )
        out.append(PageBreak())
        return out

    def _printed_page(self, page: int) -> str:
        first = self.protocol.first_numbered_page
        if page >= first:
            return str(page - first + 1)
        return _roman(page)

    def _block(self, block: Block, size: float, index: int) -> list[Any]:
        s = self.styles
        match block:
            case Heading():
                style = s.headings[min(block.level, 5)]
                number = _HEADING_NUMBER.match(block.text) if self.protocol.heading_numbers_apart else None
                if number is not None:
                    # Word-style numbering: the number in a text object of its own, a tab, the title.
                    style = ParagraphStyle(f"{style.name}n", parent=style, leftIndent=54, bulletIndent=0)
                    title = block.text[number.end() :]
                    para = self._para(title, style, tags=(("heading", index),) if index >= 0 else ())
                    para._marker = (number.group().strip(), style.fontName, 0.0)
                else:
                    para = self._para(block.text, style, tags=(("heading", index),) if index >= 0 else ())
                if index >= 0 and block.toc and self.protocol.bookmarks != "none":
                    # Outline levels may not skip a level.
                    level = min(block.level - 1, self.outline_level + 1)
                    self.outline_level = level
                    title = block.text
                    if self.protocol.bookmarks == "titles":
                        title = re.sub(r"^(?:section\s+)?\d+(?:\.\d+)*\.?\s+", "", title, flags=re.IGNORECASE)
                    para._bookmark = (f"h{index}", title, level)
                para.keepWithNext = 1
                return [para]
            case Para():
                style = s.body if not block.indent else ParagraphStyle("ind", parent=s.body, leftIndent=block.indent)
                return [self._para(block.text, style)]
            case Label():
                para = self._para(block.text, s.bold)
                para.keepWithNext = 1
                return [para]
            case NewPage():
                return [PageBreak()]
            case CriteriaList():
                return self._criteria(block, size)
            case KeyValueTable():
                return [self._table(block)]
            case GridTable():
                return [self._grid(block)]

    def _item_style(self, depth: int, marker_width: float, size: float) -> ParagraphStyle:
        start = self.protocol.list_indent
        left = start + depth * 22 + max(marker_width + 6, 18)
        return ParagraphStyle(
            f"item{depth}",
            fontName=_FONT,
            fontSize=size,
            leading=size * 1.3,
            leftIndent=left,
            bulletIndent=start + depth * 22,
            bulletFontName=_FONT,
            bulletFontSize=size,
            spaceAfter=size * 0.35,
            allowWidows=1,
            allowOrphans=0,
            alignment=4 if self.protocol.justify else 0,
        )

    def _criteria(self, block: CriteriaList, page_size: float) -> list[Any]:
        size = block.font_size or page_size
        out: list[Any] = []
        if block.intro:
            out.append(self._para(block.intro, ParagraphStyle("intro", parent=self.styles.body, fontSize=size)))
        number = block.start
        ordinal = 0
        rows: list[list[Any]] = []
        for entry in block.entries:
            if isinstance(entry, SubHeading):
                para = self._para(
                    entry.text,
                    ParagraphStyle(
                        "sub", parent=self.styles.bold, fontSize=size, leading=size * 1.3, spaceBefore=size * 0.4
                    ),
                )
                para.keepWithNext = 1
                if block.as_table:
                    rows.append([para, ""])
                else:
                    out.append(para)
                continue
            ordinal += 1
            fmt = block.markers[0]
            marker = marker_text(fmt, number)
            tag = (block.kind, len(self.expected[block.kind])) if block.reference else None
            tags = (tag,) if tag else ()
            if block.reference:
                self.expected[block.kind].append(
                    (_expected_id(fmt, number, ordinal, block.kind), _item_text(entry, block.markers, 0), tags)
                )
            if block.as_table:
                cell = self._item_flowables(entry, block, 0, size, tags, marker=None, table=True)
                rows.append([self._para(marker, self.styles.cell), cell])
            else:
                out.extend(self._item_flowables(entry, block, 0, size, tags, marker=marker))
            number += 1
        if block.as_table:
            table = Table(rows, colWidths=[0.8 * inch, None], repeatRows=0)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, (0.4, 0.4, 0.4)),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            out.append(table)
        return out

    def _item_flowables(
        self,
        item: Item,
        block: CriteriaList,
        depth: int,
        size: float,
        tags: tuple[Any, ...],
        *,
        marker: str | None,
        table: bool = False,
    ) -> list[Any]:
        fmt = block.markers[min(depth, len(block.markers) - 1)]
        width = pdfmetrics.stringWidth(marker or "", _FONT, size)
        if table:
            style = ParagraphStyle(
                "cellitem",
                parent=self.styles.cell,
                leftIndent=depth * 18 + (14 if depth else 0),
                bulletIndent=depth * 18,
            )
        else:
            style = self._item_style(depth, width, size)
        if marker is not None and _is_bullet(fmt):
            style = ParagraphStyle(f"{style.name}b", parent=style, bulletFontName=_symbol_font(marker))
        markup = None
        if item.footnote is not None:
            word, _ = item.footnote
            head, _, tail = item.text.partition(word)
            self.footnote_count += 1
            markup = f"{escape(head)}{escape(word)}<super>{self.footnote_count}</super>{escape(tail)}"
        para = self._para(item.text, style, tags=tags, bullet=marker or None, markup=markup)
        if item.footnote is not None:
            para._footnote = (self.footnotes, item.footnote[1])
        out: list[Any] = [para]
        if item.table:
            out.extend(self._item_table(item.table, style.leftIndent, tags))
        child_fmt = block.markers[min(depth + 1, len(block.markers) - 1)]
        for k, child in enumerate(item.sub, start=1):
            out.extend(
                self._item_flowables(child, block, depth + 1, size, tags, marker=marker_text(child_fmt, k), table=table)
            )
        if item.note:
            note_style = ParagraphStyle("note", parent=style, bulletIndent=0)
            out.append(self._para(item.note, note_style, tags=tags))
        return out

    def _item_table(self, rows: tuple[tuple[str, ...], ...], indent: float, tags: tuple[Any, ...]) -> list[Any]:
        cells = [[self._para(cell, self.styles.cell, tags=tags) for cell in row] for row in rows]
        width = 4.4 * inch / (3 if self.protocol.columns == 2 else 2)
        table = Table(cells, colWidths=[width] * max(len(row) for row in rows), hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, (0.3, 0.3, 0.3)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (0, -1), 4),
                ]
            )
        )
        return [Indenter(indent, 0), table, Indenter(-indent, 0)]

    def _grid(self, block: GridTable) -> Any:
        style = ParagraphStyle(
            "grid", parent=self.styles.cell, fontSize=block.font_size, leading=block.font_size * 1.25
        )

        def cell(text: str) -> Any:
            lines = []
            for line in text.split("\n"):
                escaped = escape(line)
                lines.append(re.sub(r"\^(\w+)", r"<super>\1</super>", escaped))
            return _TaggedParagraph("<br/>".join(lines), style)

        rows = [[cell(text) for text in row] for row in block.rows]
        width = (letter if self.protocol.page_size == "letter" else A4)[0] - 2 * inch
        columns = max(len(row) for row in block.rows)
        widths = list(block.col_widths) or [width / columns] * columns
        table = Table(rows, colWidths=widths, repeatRows=block.header_rows, hAlign="LEFT")
        commands: list[Any] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]
        if block.ruled:
            commands.append(("GRID", (0, 0), (-1, -1), 0.5, (0.3, 0.3, 0.3)))
        commands.extend(("SPAN", (c0, r0), (c1, r1)) for c0, r0, c1, r1 in block.spans)
        table.setStyle(TableStyle(commands))
        return table

    def _table(self, block: KeyValueTable) -> Any:
        s = self.styles
        rows: list[list[Any]] = []
        for label, value in block.rows:
            cell: list[Any]
            if isinstance(value, str):
                cell = [self._para(value, s.cell)]
            else:
                cell = []
                for part in value:
                    if isinstance(part, CriteriaList):
                        cell.extend(self._criteria(part, self.protocol.font_size - 1))
                    elif isinstance(part, Label):
                        cell.append(self._para(part.text, ParagraphStyle("cellb", parent=s.cell, fontName=_BOLD)))
                    else:
                        cell.append(self._para(part.text, s.cell))
            rows.append([self._para(label, ParagraphStyle("celll", parent=s.cell, fontName=_BOLD)), cell])
        width = (letter if self.protocol.page_size == "letter" else A4)[0] - 2 * inch
        table = Table(rows, colWidths=[block.label_width, width - block.label_width])
        table.setStyle(
            TableStyle([("GRID", (0, 0), (-1, -1), 0.5, (0.3, 0.3, 0.3)), ("VALIGN", (0, 0), (-1, -1), "TOP")])
        )
        return table


def _footnote_decorator(
    protocol: Protocol, footnotes: dict[int, list[str]], then: Callable[[Any, Any], None] | None
) -> Callable[[Any, Any], None]:
    """At the end of each page, its footnotes (registered while the page was drawn) above the footer."""
    size = protocol.font_size - 2.5

    def draw(canv: Any, doc: Any) -> None:
        if then is not None:
            then(canv, doc)
        notes = footnotes.get(canv.getPageNumber(), [])
        if not notes:
            return
        first = sum(len(v) for p, v in footnotes.items() if p < canv.getPageNumber()) + 1
        canv.saveState()
        canv.setLineWidth(0.5)
        top = 0.95 * inch
        canv.line(inch, top, 2.5 * inch, top)
        canv.setFont(_FONT, size)
        for k, text in enumerate(notes):
            canv.drawString(inch, top - (k + 1) * (size + 2), f"{first + k} {text}")
        canv.restoreState()

    return draw


def _page_decorator(protocol: Protocol, pages: int, *, which: str) -> Callable[[Any, Any], None]:
    size = protocol.font_size - 1.5

    def fill(template: str, page: int) -> str:
        first = protocol.first_numbered_page
        printed = str(page - first + 1) if page >= first else _roman(page)
        total = str(pages - first + 1)
        return template.format(page=printed, pages=total, protocol_id=protocol.protocol_id)

    def draw(canv: Any, doc: Any) -> None:
        page = canv.getPageNumber()
        if page == 1 and not protocol.header_on_title_page:
            return
        width, height = doc.pagesize
        canv.saveState()
        canv.setFont(_FONT, size)
        parts = ("header", "footer") if which == "both" else (which,)
        for part in parts:
            if part == "header":
                y = height - 0.6 * inch
                if protocol.header_left:
                    canv.drawString(inch, y, fill(protocol.header_left, page))
                if protocol.header_right:
                    canv.drawRightString(width - inch, y, fill(protocol.header_right, page))
            else:
                y = 0.55 * inch
                if protocol.footer_left:
                    canv.drawString(inch, y, fill(protocol.footer_left, page))
                if protocol.footer_center:
                    canv.drawCentredString(width / 2, y, fill(protocol.footer_center, page))
                if protocol.footer_right:
                    canv.drawRightString(width - inch, y, fill(protocol.footer_right, page))
        canv.restoreState()

    return draw


def _build(protocol: Protocol, toc_pages: dict[int, int] | None, pages: int) -> tuple[bytes, _Renderer, int]:
    renderer = _Renderer(protocol, toc_pages)
    buffer = io.BytesIO()
    size = letter if protocol.page_size == "letter" else A4
    doc = BaseDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=inch,
        rightMargin=inch,
        topMargin=inch,
        bottomMargin=inch,
        title=protocol.title,
        author=protocol.sponsor,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    gutter = 0.3 * inch
    half = (doc.width - gutter) / 2
    columns = [
        Frame(doc.leftMargin, doc.bottomMargin, half, doc.height, id="left"),
        Frame(doc.leftMargin + half + gutter, doc.bottomMargin, half, doc.height, id="right"),
    ]
    templates: list[PageTemplate] = []
    for name, frames in (("page", [frame]), ("columns", columns)):
        if protocol.footer_first:
            templates.append(
                PageTemplate(
                    id=name,
                    frames=frames,
                    onPage=_page_decorator(protocol, pages, which="both"),
                    onPageEnd=_footnote_decorator(protocol, renderer.footnotes, None),
                )
            )
        else:
            templates.append(
                PageTemplate(
                    id=name,
                    frames=frames,
                    onPage=_page_decorator(protocol, pages, which="header"),
                    onPageEnd=_footnote_decorator(
                        protocol, renderer.footnotes, _page_decorator(protocol, pages, which="footer")
                    ),
                )
            )
    doc.addPageTemplates(templates)
    doc.build(renderer.flowables())
    return buffer.getvalue(), renderer, doc.page


def render_protocol(protocol: Protocol) -> RenderedProtocol:
    """Lay the protocol out and return the PDF with the expected criteria and their pages.

    Two passes: the first learns the page count and the pages of the headings, the second
    prints them in the footer and the table of contents (same number of lines, so the same
    pagination).
    """
    _register_fonts()
    _, first, page_count = _build(protocol, None, 999)
    heading_pages = {tag[1]: pages[0] for tag, pages in first.recorder.pages.items() if tag[0] == "heading"}
    pdf, final, final_count = _build(protocol, heading_pages, page_count)
    if final_count != page_count:  # pragma: no cover - a layout change between passes
        raise RuntimeError(f"pagination changed between passes ({page_count} -> {final_count})")
    expected: dict[Kind, tuple[ExpectedCriterion, ...]] = {}
    for kind in ("inclusion", "exclusion"):
        rows: list[ExpectedCriterion] = []
        for label, text, tags in final.expected[kind]:
            pages = final.recorder.pages.get(tags[0], []) if tags else []
            rows.append(
                ExpectedCriterion(id=label, text=text, page=pages[0] if pages else 0, pages=tuple(sorted(set(pages))))
            )
        expected[kind] = tuple(rows)
    headings = {
        block.text: final.recorder.pages[("heading", index)][0]
        for index, block in enumerate(protocol.blocks)
        if isinstance(block, Heading) and ("heading", index) in final.recorder.pages
    }
    return RenderedProtocol(
        pdf=pdf,
        page_count=page_count,
        inclusion=expected["inclusion"],
        exclusion=expected["exclusion"],
        heading_pages=headings,
    )
