"""Text per page, line positions and the bookmark outline of a PDF, via PDFium (``pypdfium2``).

This module and :mod:`common.pdf.glyphs` are the only ones that touch PDFium, so everything
above them works on plain lines and can be tested without PDFs. PDFium is imported inside the
functions, never at module import, so a cold start that never reads a PDF does not load it.

Every failure becomes a :class:`~common.pdf.errors.DocumentError` whose message never quotes
the document.

Each line PDFium reports becomes a :class:`~common.pdf.document.Line` while its page is open:
one glyph lookup records where the line starts (x, top), its font size and, for the lines that
can be sub-headings or list items, whether it is bold. Later stages use these as layout hints: a
hanging indent, a footnote in smaller type at the page foot, a bold sub-heading inside a list.
The per-line PDFium calls go through :func:`common.pdf.pdfium_calls.untyped_pdfium`.

Glyph-level questions that only a few lines need (is this space a real word gap, is this digit
a superscript, where are the words and rules of a table) are answered lazily by
:class:`~common.pdf.glyphs.PdfGlyphs` while the PDF is open (:func:`open_pdf`).

Why PDFium: on the reference protocols it extracts text 11-23x faster than pypdf and does not
split words where a PDF's text runs break ("azathiop rine").
"""

from __future__ import annotations

import ctypes
import itertools
import math
import operator
import re
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from common.pdf.document import Line, OutlineEntry, blank_line, line_of
from common.pdf.errors import (
    CorruptDocument,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    NotAPdf,
    NoTextLayer,
)
from common.pdf.glyphs import PdfGlyphs
from common.pdf.layout import collapse_spaces, is_plain, line_normaliser
from common.pdf.pdfium_calls import untyped_pdfium

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PAGES",
    "LineX",
    "OutlineEntry",
    "PdfText",
    "extract_pages",
    "open_pdf",
    "read_pdf",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_PAGES = 1000

# The PDF specification lets producers put a little junk before the header; readers accept it
# within the first kilobyte. The same slack is allowed after the end-of-file marker.
_HEADER_WINDOW = 1024
_TRAILER_WINDOW = 2048
# A page "has text" when it yields at least this many letters or digits; a scan with a stamped
# page number or a one-word OCR fragment stays below it.
_MIN_PAGE_ALNUM = 40
# The document has a text layer when at least this share of its pages has text.
_MIN_TEXT_PAGE_SHARE = 0.1
# At least _MIN_PAGE_ALNUM letters or digits; the scan stops as soon as it has seen them.
_ENOUGH_ALNUM = re.compile(rf"(?:[\W_]*[^\W_]){{{_MIN_PAGE_ALNUM}}}", re.UNICODE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters that str.splitlines() treats as line breaks but PDFium leaves inside a line.
_SPLITLINES_ONLY = str.maketrans(dict.fromkeys("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", " "))
_SPLITLINES_ONLY_RE = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_BOLD_WEIGHT = 600
_MAX_HEADING_CHARS = 100
_LOWER_MARKER = re.compile(r"[a-z]{1,4}[.)]")
# PDFium load errors (FPDF_GetLastError).
_ERR_PASSWORD = 4
_ERR_SECURITY = 5


LineX = tuple[float | None, ...]
"""Left x position (PDF points) of each line of a page's text, ``None`` for a blank line."""


@dataclass(frozen=True, slots=True)
class PdfText:
    r"""The extracted content of a PDF.

    Attributes:
        pages: Text of each page in order (index 0 is PDF page 1), lines joined by ``"\\n"``;
            ``""`` for a page without text.
        outline: The bookmarks in document order, empty when the PDF has none.
        lines: Per page, one :class:`~common.pdf.document.Line` for each line of
            ``pages[i].split("\\n")``: its text normalised
            (:func:`common.pdf.layout.normalise_line`), with its position, type size, weight and
            first character index where PDFium gave them (a blank line has none).
        page_heights: Height of each page in points.
        glyphs: Glyph-level access while the PDF is open (:func:`open_pdf`); ``None`` once closed
            or when read with :func:`read_pdf`.
    """

    pages: tuple[str, ...]
    outline: tuple[OutlineEntry, ...] = ()
    lines: tuple[tuple[Line, ...], ...] = ()
    page_heights: tuple[float, ...] = ()
    glyphs: PdfGlyphs | None = None

    @property
    def page_count(self) -> int:
        """Number of pages in the PDF."""
        return len(self.pages)

    @property
    def line_x(self) -> tuple[LineX, ...]:
        """Per page, the left x of each line (``None`` for blank lines), from :attr:`lines`."""
        return tuple(tuple(line.x for line in page) for page in self.lines)


def extract_pages(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pages: int = DEFAULT_MAX_PAGES) -> list[str]:
    """Text of each page of a PDF.

    Args:
        data: The PDF file's bytes.
        max_bytes: Largest accepted input, in bytes.
        max_pages: Largest accepted number of pages.

    Returns:
        One string per page, in page order (index 0 is PDF page 1).

    Raises:
        EmptyDocument: ``data`` is empty.
        DocumentTooLarge: ``data`` is over ``max_bytes`` or the PDF has over ``max_pages`` pages.
        NotAPdf: ``data`` has no ``%PDF-`` header.
        EncryptedDocument: the PDF is encrypted with a password we do not have.
        CorruptDocument: the file is truncated or PDFium cannot parse it.
        NoTextLayer: (almost) no page has extractable text, e.g. a scan.
    """
    return list(read_pdf(data, max_bytes=max_bytes, max_pages=max_pages, with_outline=False).pages)


def read_pdf(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    with_outline: bool = True,
) -> PdfText:
    """Text, line positions and, optionally, the bookmark outline of a PDF; the PDF is closed after.

    Args:
        data: The PDF file's bytes.
        max_bytes: Largest accepted input, in bytes.
        max_pages: Largest accepted number of pages.
        with_outline: Also read the bookmarks. A damaged outline is ignored, never fatal.

    Returns:
        The pages' text and lines, and the outline; ``glyphs`` is ``None``.

    Raises:
        EmptyDocument: ``data`` is empty.
        DocumentTooLarge: ``data`` is over ``max_bytes`` or the PDF has over ``max_pages`` pages.
        NotAPdf: ``data`` has no ``%PDF-`` header.
        EncryptedDocument: the PDF is encrypted with a password we do not have.
        CorruptDocument: the file is truncated or PDFium cannot parse it.
        NoTextLayer: (almost) no page has extractable text, e.g. a scan.
    """
    with open_pdf(data, max_bytes=max_bytes, max_pages=max_pages, with_outline=with_outline) as pdf:
        return PdfText(pages=pdf.pages, outline=pdf.outline, lines=pdf.lines, page_heights=pdf.page_heights)


@contextmanager
def open_pdf(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    with_outline: bool = True,
) -> Generator[PdfText]:
    """Like :func:`read_pdf`, but the PDF stays open inside the ``with`` block for glyph queries.

    Args:
        data: The PDF file's bytes.
        max_bytes: Largest accepted input, in bytes.
        max_pages: Largest accepted number of pages.
        with_outline: Also read the bookmarks.

    Yields:
        The extracted text with ``glyphs`` set; the glyphs are closed when the block ends.

    Raises:
        EmptyDocument: ``data`` is empty.
        DocumentTooLarge: ``data`` is over ``max_bytes`` or the PDF has over ``max_pages`` pages.
        NotAPdf: ``data`` has no ``%PDF-`` header.
        EncryptedDocument: the PDF is encrypted with a password we do not have.
        CorruptDocument: the file is truncated or PDFium cannot parse it.
        NoTextLayer: (almost) no page has extractable text, e.g. a scan.
    """
    _check_bytes(data, max_bytes)
    document = _open(data)
    glyphs = PdfGlyphs(document)
    try:
        page_count = len(document)
        if page_count > max_pages:
            raise DocumentTooLarge(
                f"The document has {page_count} pages; the limit is {max_pages}.",
                details={"page_count": page_count, "max_pages": max_pages},
            )
        if page_count == 0:
            raise CorruptDocument("The PDF has no pages.")
        pages, lines, heights = _read_pages(glyphs, page_count)
        _require_text_layer(pages)
        outline = _outline(document) if with_outline else ()
        yield PdfText(pages=pages, outline=outline, lines=lines, page_heights=heights, glyphs=glyphs)
    finally:
        glyphs.close()


def _check_bytes(data: bytes, max_bytes: int) -> None:
    if not data:
        raise EmptyDocument("The document is empty (0 bytes).")
    if len(data) > max_bytes:
        raise DocumentTooLarge(
            f"The document is {len(data)} bytes; the limit is {max_bytes} bytes.",
            details={"size_bytes": len(data), "max_bytes": max_bytes},
        )
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise NotAPdf("The document is not a PDF (no %PDF- header).")
    # PDFium rebuilds a cut file from what is left and would silently drop the missing pages; a
    # protocol with half its pages gone must fail, not yield half a summary.
    if b"%%EOF" not in data[-_TRAILER_WINDOW:]:
        raise CorruptDocument("The PDF is truncated (no end-of-file marker).")


def _open(data: bytes) -> Any:
    import pypdfium2 as pdfium  # pyright: ignore[reportMissingTypeStubs]

    try:
        # PDFium tries the empty user password itself, so owner-password-only PDFs (print/copy
        # restrictions) open.
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code in (_ERR_PASSWORD, _ERR_SECURITY):
            raise EncryptedDocument("The PDF is encrypted and needs a password.") from e
        raise CorruptDocument("The PDF cannot be parsed.") from e
    except Exception as e:  # anything else from the parser is a broken file, not our bug
        raise CorruptDocument("The PDF cannot be parsed.") from e


def _read_pages(
    glyphs: PdfGlyphs, page_count: int
) -> tuple[tuple[str, ...], tuple[tuple[Line, ...], ...], tuple[float, ...]]:
    raw = untyped_pdfium()
    get_box, get_size, get_weight = raw.FPDFText_GetCharBox, raw.FPDFText_GetFontSize, raw.FPDFText_GetFontWeight
    get_index = raw.FPDFText_GetCharIndexFromTextIndex
    count_chars = raw.FPDFText_CountChars
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    ref_left, ref_right, ref_bottom, ref_top = (
        ctypes.byref(left),
        ctypes.byref(right),
        ctypes.byref(bottom),
        ctypes.byref(top),
    )
    pages: list[str] = []
    per_page: list[tuple[Line, ...]] = []
    heights: list[float] = []
    failures = 0
    last_error: Exception | None = None
    for index in range(page_count):
        number = index + 1
        try:
            handle, height = glyphs.load(number)
            text = glyphs.text(number)
        except Exception as e:  # one bad content stream should not sink a whole protocol
            failures += 1
            last_error = e
            pages.append("")
            per_page.append((blank_line(number),))
            heights.append(0.0)
            continue
        identity = len(text) == count_chars(handle)
        # On a plain page (most) a line is normalised by stripping it and collapsing only where
        # two spaces meet; one scan of the page tells, and spares the scans below.
        plain = is_plain(text)
        if not plain and _SPLITLINES_ONLY_RE.search(text):  # one-for-one: offsets stay valid
            text = text.translate(_SPLITLINES_ONLY)
        normalise = line_normaliser(text) if not plain else collapse_spaces
        starts, lines = _lines(text)
        page_lines: list[Line] = []
        append = page_lines.append
        for start, line in zip(starts, lines, strict=False):  # starts may hold one more
            content = line.lstrip()
            if plain:
                stripped = content.rstrip(" ") if "  " not in content else " ".join(content.split())
            else:
                stripped = normalise(line) if content else ""
            if not stripped:
                append(blank_line(number, stripped))
                continue
            char = start + len(line) - len(content)
            if not identity:
                char = get_index(handle, char)
            if char < 0 or not get_box(handle, char, ref_left, ref_right, ref_bottom, ref_top):
                append(blank_line(number, stripped))
                continue
            # Weight matters for the lines that can be sub-headings (short, not opening in lower
            # case) and for list items ("a)", "iv."), whose weight tells a bold list from a
            # plain one. A line opening in lower case otherwise continues a sentence. PDFium's
            # weight lookup is its dearest per-line call.
            bold = (
                len(content) <= _MAX_HEADING_CHARS
                and (not content[0].islower() or _LOWER_MARKER.match(content) is not None)
                and get_weight(handle, char) >= _BOLD_WEIGHT
            )
            size = get_size(handle, char)
            start_char = start if identity else get_index(handle, start)
            append(line_of((stripped, number, 0, left.value, height - top.value, size or None, bold, start_char, line)))
        pages.append("\n".join(lines))
        per_page.append(tuple(page_lines))
        heights.append(height)
    if failures == page_count:
        raise CorruptDocument("No page of the PDF could be read.") from last_error
    return tuple(pages), tuple(per_page), tuple(heights)


def _lines(text: str) -> tuple[list[int], list[str]]:
    """The lines of PDFium's page text, and the text index where each starts (maybe one more)."""
    if text.count("\n") == text.count("\r\n") and text.count("\r") == text.count("\r\n"):
        # PDFium ends lines with CRLF; splitting on it is much cheaper than a regex scan.
        lines = text.split("\r\n")
        if len(lines) > 1 and not lines[-1]:
            lines.pop()  # the break that ends the last line opens no new one
        # Line k starts after the k lines and k breaks (2 characters each) before it; the sums
        # run in C (one more than there are lines).
        return list(itertools.accumulate(map(operator.add, map(len, lines), itertools.repeat(2)), initial=0)), lines
    lines = _LINE_BREAK.split(text)
    ends = [len(found.group()) for found in _LINE_BREAK.finditer(text)] + [0]
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    starts: list[int] = []
    start = 0
    for line, end in zip(lines, ends, strict=False):  # ends may count one more: the popped line
        starts.append(start)
        start += len(line) + end
    return starts, lines


def _require_text_layer(pages: tuple[str, ...]) -> None:
    text_pages = sum(1 for text in pages if _ENOUGH_ALNUM.match(text) is not None)
    needed = max(1, math.ceil(len(pages) * _MIN_TEXT_PAGE_SHARE))
    if text_pages < needed:
        raise NoTextLayer(
            f"The PDF has extractable text on {text_pages} of {len(pages)} pages; it may be a scan.",
            details={"text_pages": text_pages, "page_count": len(pages)},
        )


def _outline(document: Any) -> tuple[OutlineEntry, ...]:
    entries: list[OutlineEntry] = []
    try:
        for bookmark in document.get_toc():
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            title = " ".join(str(bookmark.get_title() or "").split())
            if index is None or index < 0 or not title:
                continue  # a bookmark pointing nowhere is skipped, not fatal
            entries.append(OutlineEntry(title=title, page=int(index) + 1, depth=int(bookmark.level)))
    except Exception:  # a damaged outline only costs us the best heading source
        return tuple(entries)
    return tuple(entries)
