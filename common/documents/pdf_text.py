"""Text per page (and the bookmark outline) of a PDF, via pypdf.

This is the only module that imports pypdf, so the rest of ``common.documents`` works on plain
strings and can be tested without PDFs. Every failure becomes a
:class:`~common.documents.errors.DocumentError` whose message never quotes the document.

Alongside the text, the same extraction pass records where each line starts on the page (its x
position), which later stages use as a hint: a hanging indent, a nested bullet, text back at the
margin after a list.
"""

from __future__ import annotations

import bisect
import io
import math
import re
from dataclasses import dataclass
from typing import Any, cast

from pypdf import PdfReader
from pypdf.generic import Destination

from common.documents.document import OutlineEntry
from common.documents.errors import (
    CorruptDocument,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    NotAPdf,
    NoTextLayer,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PAGES",
    "LineX",
    "OutlineEntry",
    "PdfText",
    "extract_pages",
    "read_pdf",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_PAGES = 1000

# The PDF specification lets producers put a little junk before the header; readers accept it
# within the first kilobyte.
_HEADER_WINDOW = 1024
# A page "has text" when it yields at least this many letters or digits; a scan with a stamped
# page number or a one-word OCR fragment stays below it.
_MIN_PAGE_ALNUM = 40
# The document has a text layer when at least this share of its pages has text.
_MIN_TEXT_PAGE_SHARE = 0.1
_ALNUM = re.compile(r"[^\W_]", re.UNICODE)


LineX = tuple[float | None, ...]
"""Left x position (PDF points) of each line of a page's text, ``None`` for a blank line."""


@dataclass(frozen=True, slots=True)
class PdfText:
    """The extracted content of a PDF.

    Attributes:
        pages: Text of each page in order (index 0 is PDF page 1); ``""`` for a page without
            text.
        outline: The bookmarks in document order, empty when the PDF has none.
        line_x: Per page, the x position where each line of ``pages[i].splitlines()`` starts,
            or ``None`` for a page whose positions could not be tracked. Empty when not
            computed.
    """

    pages: tuple[str, ...]
    outline: tuple[OutlineEntry, ...] = ()
    line_x: tuple[LineX | None, ...] = ()

    @property
    def page_count(self) -> int:
        """Number of pages in the PDF."""
        return len(self.pages)


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
        CorruptDocument: pypdf cannot parse the file.
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
    """Text of each page of a PDF and, optionally, its bookmark outline.

    Args:
        data: The PDF file's bytes.
        max_bytes: Largest accepted input, in bytes.
        max_pages: Largest accepted number of pages.
        with_outline: Also read the bookmarks. A damaged outline is ignored, never fatal.

    Returns:
        The pages' text and the outline.

    Raises:
        EmptyDocument: ``data`` is empty.
        DocumentTooLarge: ``data`` is over ``max_bytes`` or the PDF has over ``max_pages`` pages.
        NotAPdf: ``data`` has no ``%PDF-`` header.
        EncryptedDocument: the PDF is encrypted with a password we do not have.
        CorruptDocument: pypdf cannot parse the file.
        NoTextLayer: (almost) no page has extractable text, e.g. a scan.
    """
    if not data:
        raise EmptyDocument("The document is empty (0 bytes).")
    if len(data) > max_bytes:
        raise DocumentTooLarge(
            f"The document is {len(data)} bytes; the limit is {max_bytes} bytes.",
            details={"size_bytes": len(data), "max_bytes": max_bytes},
        )
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise NotAPdf("The document is not a PDF (no %PDF- header).")

    reader = _open(data)
    try:
        page_count = len(reader.pages)
    except Exception as e:  # pypdf raises many unrelated types on a broken page tree
        raise CorruptDocument("The PDF page tree cannot be read.") from e
    if page_count > max_pages:
        raise DocumentTooLarge(
            f"The document has {page_count} pages; the limit is {max_pages}.",
            details={"page_count": page_count, "max_pages": max_pages},
        )
    if page_count == 0:
        raise CorruptDocument("The PDF has no pages.")

    pages, line_x = _page_texts(reader, page_count)
    _require_text_layer(pages)
    outline = _outline(reader) if with_outline else ()
    return PdfText(pages=tuple(pages), outline=outline, line_x=tuple(line_x))


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as e:  # pypdf raises PdfReadError but also ValueError, KeyError, ... on junk
        raise CorruptDocument("The PDF cannot be parsed.") from e
    if reader.is_encrypted:
        # Many "encrypted" PDFs only carry an owner password (print/copy restrictions) and
        # open with the empty user password.
        try:
            opened = reader.decrypt("")
        except Exception as e:  # unsupported algorithm, missing crypto dependency, bad keys
            raise EncryptedDocument("The PDF is encrypted and cannot be opened.") from e
        if not opened:
            raise EncryptedDocument("The PDF is encrypted and needs a password.")
    return reader


def _page_texts(reader: PdfReader, page_count: int) -> tuple[list[str], list[LineX | None]]:
    pages: list[str] = []
    positions: list[LineX | None] = []
    failures = 0
    last_error: Exception | None = None
    for index in range(page_count):
        fragments: list[tuple[str, float]] = []
        try:
            text = reader.pages[index].extract_text(visitor_text=_Collector(fragments))
        except Exception as e:  # one bad content stream should not sink a whole protocol
            failures += 1
            last_error = e
            text = ""
            fragments.clear()
        pages.append(text)
        positions.append(_line_positions(text, fragments))
    if failures == page_count:
        raise CorruptDocument("No page of the PDF could be read.") from last_error
    return pages, positions


class _Collector:
    """pypdf ``visitor_text`` callback: records each text piece with the x where it starts."""

    def __init__(self, out: list[tuple[str, float]]) -> None:
        self._out = out

    def __call__(self, text: Any, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text:
            # The text origin through the text matrix, then the current transformation matrix.
            self._out.append((str(text), float(tm[4]) * float(cm[0]) + float(tm[5]) * float(cm[2]) + float(cm[4])))


def _line_positions(text: str, fragments: list[tuple[str, float]]) -> LineX | None:
    """The x position of the first visible character of each line of ``text``.

    pypdf reports every piece of text it emits, with the position where that piece starts; the
    pieces concatenate to the page text. A line's position is that of the piece holding its
    first non-blank character. ``None`` when the pieces do not add up to the text.
    """
    if "".join(piece for piece, _ in fragments) != text:
        return None
    starts: list[int] = []
    offset = 0
    for piece, _ in fragments:
        starts.append(offset)
        offset += len(piece)
    out: list[float | None] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        content = len(line) - len(line.lstrip())
        if line.strip():
            out.append(fragments[bisect.bisect_right(starts, offset + content) - 1][1])
        else:
            out.append(None)
        offset += len(line)
    return tuple(out)


def _require_text_layer(pages: list[str]) -> None:
    text_pages = sum(1 for text in pages if len(_ALNUM.findall(text)) >= _MIN_PAGE_ALNUM)
    needed = max(1, math.ceil(len(pages) * _MIN_TEXT_PAGE_SHARE))
    if text_pages < needed:
        raise NoTextLayer(
            f"The PDF has extractable text on {text_pages} of {len(pages)} pages; it may be a scan.",
            details={"text_pages": text_pages, "page_count": len(pages)},
        )


def _outline(reader: PdfReader) -> tuple[OutlineEntry, ...]:
    try:
        tree: list[Any] = list(reader.outline)
    except Exception:  # a damaged outline only costs us the best heading source
        return ()
    entries: list[OutlineEntry] = []
    _walk_outline(reader, tree, 0, entries)
    return tuple(entries)


def _walk_outline(reader: PdfReader, nodes: list[Any], depth: int, out: list[OutlineEntry]) -> None:
    for node in nodes:
        if isinstance(node, list):
            _walk_outline(reader, cast(list[Any], node), depth + 1, out)
            continue
        if not isinstance(node, Destination):
            continue
        try:
            index = reader.get_destination_page_number(node)
        except Exception:  # a bookmark pointing nowhere is skipped, not fatal
            index = -1
        title = " ".join(str(node.title or "").split())
        if index is None or index < 0 or not title:
            continue
        out.append(OutlineEntry(title=title, page=index + 1, depth=depth))
