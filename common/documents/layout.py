"""From page texts to a clean sequence of lines.

Text extraction gives one string per page with running headers and footers mixed into the
body, and a few systematic artefacts. This module:

* splits pages into :class:`~common.documents.document.Line` objects carrying their page;
* removes running headers and footers: lines near the top or bottom of a page that recur on
  many pages once digits are masked ("Protocol ABC Page 11" and "Protocol ABC Page 12" are the
  same line);
* repairs a bracket split from its label (a line that is just ``[`` followed by ``6] ...``);
* normalises odd spaces and ligatures.

It also offers :func:`join_lines`, which glues wrapped lines back into running text without
breaking hyphenated words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from common.documents.document import Document, Line, OutlineEntry

__all__ = ["build_document", "join_lines", "normalise_chars"]

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
    }
)
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_OPENERS = frozenset({"[", "("})


def normalise_chars(text: str) -> str:
    """Replace exotic spaces and ligatures, and collapse runs of whitespace to one space.

    Args:
        text: Any text.

    Returns:
        The text, stripped, with single spaces.
    """
    return _SPACES.sub(" ", text.translate(_CHAR_MAP)).strip()


def build_document(
    pages: Sequence[str],
    outline: Sequence[OutlineEntry] = (),
    line_x: Sequence[Sequence[float | None] | None] = (),
) -> Document:
    """Split page texts into lines, drop running headers/footers and repair artefacts.

    Args:
        pages: Text of each page; index 0 is PDF page 1.
        outline: The PDF bookmarks, passed through unchanged.
        line_x: Optional per-page x positions of the lines of ``pages[i].splitlines()``
            (:attr:`common.documents.pdf_text.PdfText.line_x`); a page whose positions are
            missing or do not match its lines gets ``Line.x = None``.

    Returns:
        The document as lines, each with its 1-based page.
    """
    per_page = [
        _split_page(text, number, line_x[number - 1] if number <= len(line_x) else None)
        for number, text in enumerate(pages, start=1)
    ]
    recurring = _recurring_keys(per_page)
    lines: list[Line] = []
    for page_lines in per_page:
        lines.extend(_strip_running_lines(page_lines, recurring))
    return Document(lines=tuple(_repair(lines)), page_count=len(pages), outline=tuple(outline))


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
        elif (out.endswith("-") and len(out) > 1 and out[-2].isalpha() and text[0].isalnum()) or (
            text.startswith("-") and len(text) > 1 and text[1].isalpha() and out[-1].isdigit()
        ):
            out += text
        else:
            out += " " + text
    return _SPACES.sub(" ", out.replace("\u00ad", "")).strip()


def _split_page(text: str, page: int, xs: Sequence[float | None] | None) -> list[Line]:
    raws = text.splitlines()
    if xs is None or len(xs) != len(raws):
        xs = [None] * len(raws)
    lines: list[Line] = []
    for raw, x in zip(raws, xs, strict=True):
        expanded = raw.translate(_CHAR_MAP)
        indent = len(expanded) - len(expanded.lstrip(" "))
        stripped = _SPACES.sub(" ", expanded).strip()
        lines.append(Line(text=stripped, page=page, indent=indent, x=x if stripped else None))
    return lines


def _key(text: str) -> str:
    return _DIGITS.sub("#", text.lower())


def _zone_indexes(lines: list[Line]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.text]
    top = filled[:_TOP_ZONE]
    bottom = filled[-_BOTTOM_ZONE:] if len(filled) > _TOP_ZONE else []
    return sorted(set(top) | set(bottom))


def _recurring_keys(per_page: list[list[Line]]) -> frozenset[str]:
    if len(per_page) < 3:
        return frozenset()
    counts: Counter[str] = Counter()
    for lines in per_page:
        counts.update({_key(lines[i].text) for i in _zone_indexes(lines)})
    threshold = max(_MIN_RECURRING_PAGES, math.ceil(len(per_page) * _RECURRING_SHARE))
    return frozenset(key for key, count in counts.items() if count >= threshold)


def _is_running(key: str, recurring: frozenset[str]) -> bool:
    if key in recurring:
        return True
    # The same header cut short, e.g. without its page number on the cover page.
    return len(key) >= _MIN_PREFIX_KEY and any(r.startswith(key) for r in recurring)


def _strip_running_lines(lines: list[Line], recurring: frozenset[str]) -> list[Line]:
    if not recurring:
        return lines
    drop = {i for i in _zone_indexes(lines) if _is_running(_key(lines[i].text), recurring)}
    return [line for i, line in enumerate(lines) if i not in drop]


def _repair(lines: list[Line]) -> list[Line]:
    out: list[Line] = []
    pending: Line | None = None
    for line in lines:
        if pending is not None:
            if not line.text:
                continue
            # pypdf sometimes emits an opening bracket alone on its line: "[" then "6] text".
            out.append(Line(text=pending.text + line.text, page=pending.page, indent=pending.indent, x=pending.x))
            pending = None
            continue
        if line.text in _OPENERS:
            pending = line
            continue
        out.append(line)
    if pending is not None:
        out.append(pending)
    return out
