"""From page texts to a clean sequence of lines.

Text extraction gives one string per page with running headers and footers mixed into the
body, and a few systematic artefacts. This module:

* splits pages into :class:`~common.pdf.document.Line` objects carrying their page;
* removes running headers and footers: lines near the top or bottom of a page that recur on
  many pages once digits are masked ("Protocol ABC Page 11" and "Protocol ABC Page 12" are the
  same line);
* separates footnotes at the page foot (a trailing block in smaller type that opens with a
  footnote marker) from the body, into :attr:`~common.pdf.document.Document.footnotes`;
* repairs a bracket split from its label (a line that is just ``[`` followed by ``6] ...``);
* normalises odd spaces, ligatures, private-use bullet glyphs (Symbol/Wingdings ``U+F0B7``
  becomes ``•``) and PDFium's hyphen placeholder (``U+FFFE``).

It also offers :func:`join_lines`, which glues wrapped lines back into running text without
breaking hyphenated words.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from common.pdf.document import Document, Line, LineBox, OutlineEntry, blank_line, line_of

__all__ = [
    "build_document",
    "collapse_spaces",
    "document_from_pdf",
    "is_plain",
    "join_lines",
    "line_normaliser",
    "normalise_chars",
    "normalise_line",
]

if TYPE_CHECKING:
    from common.pdf.text import PdfText

# How many non-blank lines at each end of a page can belong to a running header or footer.
_TOP_ZONE = 4
_BOTTOM_ZONE = 3
# A line is a running header/footer when it recurs in the zones of this share of the pages.
_RECURRING_SHARE = 0.4
_MIN_RECURRING_PAGES = 2
# A truncated header (e.g. on the title page, without "Page N") is removed only when it is long
# enough to be specific.
_MIN_PREFIX_KEY = 12

_CHAR_MAP = str.maketrans(
    {
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u200b": "",
        "\u202f": " ",
        "\t": " ",
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        # PDFium reports some hyphens as U+FFFE (and a few producers as U+0002).
        "\ufffe": "-",
        "\x02": "-",
        # Bullets drawn from the Symbol and Wingdings fonts land in the private-use area.
        "\uf0b7": "\u2022",
        "\uf0a7": "\u25aa",
        "\uf0d8": "\u27a2",
        "\uf076": "\u2756",
        "\uf0fc": "\u2713",
        "\uf0a8": "\u25a1",
        "\uf06e": "\u25a0",
        "\uf071": "\u2751",
        "\uf0e0": "\u27a2",
        "\uf0d9": "\u27a2",
        "\uf02d": "-",
    }
)
# Character-class bodies: the characters to map, and the private-use area.
_MAPPED = "".join(re.escape(chr(c)) for c in _CHAR_MAP)
_PRIVATE = "\ue000-\uf8ff"
_ODD = re.compile(f"[{_MAPPED}]")
# One scan for both: a character to map, or any private-use glyph.
_MAPPED_OR_PRIVATE = re.compile(f"[{_MAPPED}{_PRIVATE}]")
# Whitespace other than a plain space and the line breaks (all that str.isspace() accepts),
# listed: a listed class scans a page twice as fast as the equivalent [^\S \r\n].
_OTHER_WHITESPACE = "\t\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_PLAIN = re.compile(f"[{_MAPPED}{_PRIVATE}{_OTHER_WHITESPACE}]")
# Any other private-use glyph that opens a line is a bullet from a symbol font.
_PRIVATE_BULLET = re.compile(f"^([{_PRIVATE}])(?=\\s)")
# A footnote at the page foot opens with its marker: "1 The ...", "a Only ...", "* Not ...".
_FOOTNOTE_START = re.compile(r"^(?:\d{1,2}[.)]?\s*|[a-z][.)]?\s+|[*\u2020\u2021\u00a7\u00b6#]{1,3}\s*)[A-Za-z(\[]")
# Footnote type is at most this share of the body type...
_FOOTNOTE_SIZE = 0.9
# ...and sits in the lower part of the page.
_FOOTNOTE_ZONE = 0.5
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_OPENERS = frozenset({"[", "("})
_CLOSING = frozenset(".,;:)]")


def normalise_chars(text: str) -> str:
    """Replace exotic spaces, ligatures and symbol-font bullets; collapse runs of whitespace.

    Args:
        text: Any text.

    Returns:
        The text, stripped, with single spaces.
    """
    if _ODD.search(text) is not None:  # str.translate with a mapping is slow; most lines need none
        text = text.translate(_CHAR_MAP)
    return " ".join(text.split())


def normalise_line(raw: str) -> str:
    """One extracted line as :class:`~common.pdf.document.Line` text.

    :func:`normalise_chars`, and a private-use glyph that opens the line becomes ``•``.

    Args:
        raw: The line as extracted.

    Returns:
        The normalised line.
    """
    text = " ".join((raw.translate(_CHAR_MAP) if _ODD.search(raw) is not None else raw).split())
    return _PRIVATE_BULLET.sub("\u2022", text) if text[:1] >= "\ue000" else text


def document_from_pdf(pdf: PdfText) -> Document:
    """:func:`build_document` over everything a :class:`~common.pdf.text.PdfText` carries.

    Args:
        pdf: The extracted PDF.

    Returns:
        The document, footnotes separated where the line boxes allow it.
    """
    return _assemble([list(page) for page in pdf.lines], pdf.outline, pdf.page_heights)


def build_document(
    pages: Sequence[str],
    outline: Sequence[OutlineEntry] = (),
    line_x: Sequence[Sequence[float | None] | None] = (),
    *,
    boxes: Sequence[Sequence[LineBox | None] | None] = (),
    page_heights: Sequence[float] = (),
) -> Document:
    """Split page texts into lines, drop running headers/footers, separate footnotes, repair artefacts.

    Args:
        pages: Text of each page; index 0 is PDF page 1.
        outline: The PDF bookmarks, passed through unchanged.
        line_x: Optional per-page x positions of the lines of ``pages[i].splitlines()``; a page
            whose positions are missing or do not match its lines gets ``Line.x = None``.
            Ignored for pages that have ``boxes``.
        boxes: Optional per-page :class:`~common.pdf.document.LineBox` of each line of
            ``pages[i].splitlines()``: positions, type size and weight (a PDF read with
            :func:`common.pdf.text.open_pdf` has its lines already: :func:`document_from_pdf`).
        page_heights: Page heights in points, needed to find footnotes at the page foot.

    Returns:
        The document as lines, each with its 1-based page.
    """
    per_page: list[list[Line]] = []
    for number, text in enumerate(pages, start=1):
        page_boxes = boxes[number - 1] if number <= len(boxes) else None
        xs = line_x[number - 1] if number <= len(line_x) else None
        per_page.append(_split_page(text, number, xs, page_boxes))
    return _assemble(per_page, outline, page_heights)


def _assemble(per_page: list[list[Line]], outline: Sequence[OutlineEntry], page_heights: Sequence[float]) -> Document:
    """Drop running headers and footers, separate footnotes and repair artefacts of split pages."""
    zones = [_zone_keys(page_lines) for page_lines in per_page]
    recurring = _recurring_keys(zones)
    body_size = _body_size(per_page)
    lines: list[Line] = []
    footnotes: list[Line] = []
    for number, (page_lines, zone) in enumerate(zip(per_page, zones, strict=True), start=1):
        kept = _strip_running_lines(page_lines, zone, recurring)
        height = page_heights[number - 1] if number <= len(page_heights) else 0.0
        cut = _footnote_start(kept, body_size, height)
        lines.extend(kept[:cut])
        footnotes.extend(line for line in kept[cut:] if line.text)
    return Document(
        lines=tuple(_repair(lines)),
        page_count=len(per_page),
        outline=tuple(outline),
        footnotes=tuple(footnotes),
        page_heights=tuple(page_heights),
    )


def join_lines(texts: Iterable[str]) -> str:
    """Join wrapped lines into running text.

    A line ending in a hyphen is glued to the next without a space and the hyphen is kept:
    protocols are rarely auto-hyphenated, so "double-" + "blind" is "double-blind", and keeping
    the hyphen never loses a word. A soft hyphen at a line end is a true hyphenation point and
    is dropped. A line starting with "-" right after a number ("3" + "-mg") is glued too.

    Args:
        texts: Line texts in reading order; blank ones are skipped.

    Returns:
        One string with single spaces.
    """
    out = ""
    for raw in texts:
        text = raw.strip()
        if not text:
            continue
        if not out:
            out = text
        elif out.endswith("\u00ad"):
            out = out[:-1] + text
        elif (
            (out.endswith("-") and len(out) > 1 and out[-2].isalpha() and text[0].isalnum())
            or (text.startswith("-") and len(text) > 1 and text[1].isalpha() and out[-1].isdigit())
            or (text[0] in _CLOSING and (len(text) == 1 or not text[1].isalnum()))
        ):
            # A closing mark alone at a line start belongs to the previous word: text extraction
            # breaks the line after a raised footnote number ("consent¹" then ".").
            out += text
        else:
            out += " " + text
    return _SPACES.sub(" ", out.replace("\u00ad", "")).strip()


def line_normaliser(page_text: str) -> Callable[[str], str]:
    """:func:`normalise_line`, or a cheaper equivalent for a page that needs no character mapped.

    Args:
        page_text: The whole text of the page whose lines will be normalised.

    Returns:
        A function from a raw line of that page to its :class:`~common.pdf.document.Line` text.
    """
    if _MAPPED_OR_PRIVATE.search(page_text) is None:
        return collapse_spaces  # most pages: a line only needs its spaces collapsed
    return normalise_line


def is_plain(page_text: str) -> bool:
    """True when a page's text needs no more than stripping and collapsing double spaces.

    That is: it holds no whitespace but plain spaces and line breaks (CR, LF), no
    character to map and no private-use glyph. Most pages of a protocol are plain; one scan of
    the page tells.

    Args:
        page_text: The text of one page.

    Returns:
        Whether :func:`normalise_line` of each of its lines is the line stripped, with runs of
        spaces made one.
    """
    return _NOT_PLAIN.search(page_text) is None


def collapse_spaces(raw: str) -> str:
    """``raw`` stripped, with every run of whitespace made one space."""
    return " ".join(raw.split())


def _split_page(
    text: str, page: int, xs: Sequence[float | None] | None, boxes: Sequence[LineBox | None] | None
) -> list[Line]:
    raws = text.splitlines()
    if boxes is not None and len(boxes) == len(raws):
        normalise = line_normaliser(text)
        lines: list[Line] = []
        for raw, box in zip(raws, boxes, strict=True):
            stripped = normalise(raw)
            if box is None or not stripped:
                lines.append(blank_line(page, stripped))
            else:
                lines.append(line_of((stripped, page, 0, box[0], box[1], box[3] or None, box[4], box[5], raw)))
        return lines
    if xs is None or len(xs) != len(raws):
        xs = [None] * len(raws)
    lines = []
    for raw, x in zip(raws, xs, strict=True):
        expanded = raw.translate(_CHAR_MAP)
        indent = len(expanded) - len(expanded.lstrip(" "))
        stripped = normalise_line(raw)
        lines.append(Line(text=stripped, page=page, indent=indent, x=x if stripped else None))
    return lines


def _body_size(per_page: list[list[Line]]) -> float | None:
    """The most common type size of the document's lines (the body text), in points."""
    exact: defaultdict[float, int] = defaultdict(int)
    for page_lines in per_page:
        for line in page_lines:
            size = line.size
            if size:
                exact[size] += len(line.text)
    sizes: Counter[float] = Counter()
    for size, chars in exact.items():  # a few distinct sizes: round each once, not per line
        sizes[round(size, 1)] += chars
    return sizes.most_common(1)[0][0] if sizes else None


def _footnote_start(lines: list[Line], body_size: float | None, height: float) -> int:
    """Index where the footnotes at the foot of a page begin; ``len(lines)`` when it has none.

    Footnotes are the trailing run of lines set smaller than the body, in the lower part of the
    page, from the first of them that opens with a footnote marker.
    """
    if body_size is None or height <= 0:
        return len(lines)
    start = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if not line.text:
            continue
        if line.size is None or line.top is None:
            break
        if line.size > body_size * _FOOTNOTE_SIZE or line.top < height * _FOOTNOTE_ZONE:
            break
        start = i
    for i in range(start, len(lines)):
        if lines[i].text and _FOOTNOTE_START.match(lines[i].text):
            return i
    return len(lines)


def _key(text: str) -> str:
    return _DIGITS.sub("#", text.lower())


def _zone_keys(lines: list[Line]) -> dict[int, str]:
    """The lines that can be running headers or footers (by index) and their digit-masked keys."""
    # The first and last non-blank lines, found from each end without walking the whole page.
    top: list[int] = []
    for i, line in enumerate(lines):
        if line.text:
            top.append(i)
            if len(top) == _TOP_ZONE:
                break
    bottom: list[int] = []
    if len(top) == _TOP_ZONE:  # with exactly _TOP_ZONE lines, the bottom ones are among them
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].text:
                bottom.append(i)
                if len(bottom) == _BOTTOM_ZONE:
                    break
    return {i: _key(lines[i].text) for i in sorted(set(top) | set(bottom))}


def _recurring_keys(zones: list[dict[int, str]]) -> frozenset[str]:
    if len(zones) < 3:
        return frozenset()
    counts: Counter[str] = Counter()
    for zone in zones:
        counts.update(set(zone.values()))
    threshold = max(_MIN_RECURRING_PAGES, math.ceil(len(zones) * _RECURRING_SHARE))
    return frozenset(key for key, count in counts.items() if count >= threshold)


def _is_running(key: str, recurring: frozenset[str]) -> bool:
    if key in recurring:
        return True
    # The same header cut short, e.g. without its page number on the cover page.
    return len(key) >= _MIN_PREFIX_KEY and any(r.startswith(key) for r in recurring)


def _strip_running_lines(lines: list[Line], zone: dict[int, str], recurring: frozenset[str]) -> list[Line]:
    if not recurring:
        return lines
    drop = {i for i, key in zone.items() if _is_running(key, recurring)}
    return [line for i, line in enumerate(lines) if i not in drop] if drop else lines


def _repair(lines: list[Line]) -> list[Line]:
    out: list[Line] = []
    pending: Line | None = None
    for line in lines:
        if pending is not None:
            if not line.text:
                continue
            # Text layers sometimes put an opening bracket alone on its line: "[" then "6] text".
            out.append(line._replace(text=pending.text + line.text, indent=pending.indent, x=pending.x, raw=""))
            pending = None
            continue
        if line.text in _OPENERS:
            pending = line
            continue
        out.append(line)
    if pending is not None:
        out.append(pending)
    return out
