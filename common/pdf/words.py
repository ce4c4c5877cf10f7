r"""Repairs that need the glyphs: words split by text runs, footnote numbers stuck to words.

A PDF draws text in runs, and a run may end inside a word ("accordin" + "g"): text extraction
then puts a space where the page shows none. The glyph boxes tell the two apart: a word space
leaves a gap of about a quarter of the font size between the glyphs, a run break inside a word
leaves almost none. A footnote number printed as a superscript ("conduct\\ :sup:`1`") is set
smaller or raised against the letter before it.

Glyph lookups are not free, so this runs on the lines a caller is about to use (criteria,
objectives), not on the whole document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from common.pdf.document import Document, Line
from common.pdf.layout import normalise_line

__all__ = ["MAX_SPLIT_GAP", "GlyphQueries", "repair_lines"]


class GlyphQueries(Protocol):
    """What the repairs ask of the glyphs (:class:`common.pdf.glyphs.PdfGlyphs` answers it)."""

    def space_gaps(self, page: int, indexes: Sequence[int]) -> list[float | None]:
        """Gap around each space at ``indexes`` as a share of the font size (see ``PdfGlyphs``)."""
        ...

    def is_superscript(self, page: int, index: int) -> bool:
        """Whether the character at ``index`` is set smaller or raised against the one before."""
        ...


MAX_SPLIT_GAP = 0.1
"""A space whose glyph gap is below this share of the font size is a run break, not a word gap."""

_LETTER_SPACE = re.compile(r"(?<=[^\W\d_]) (?=[^\W\d_])")
_STUCK_NUMBER = re.compile(r"(?<=[a-z)\]])\d{1,2}(?=[\s,.;:)]|$)")


def repair_lines(doc: Document, indexes: Iterable[int], glyphs: GlyphQueries | None) -> Document:
    """The document with the given lines repaired from their glyphs.

    Args:
        doc: The document.
        indexes: Indexes into ``doc.lines`` to repair; lines without glyph data are left alone.
        glyphs: The open PDF's glyphs; ``None`` returns ``doc`` unchanged.

    Returns:
        A document with the same lines, pages and positions; only the texts of repaired lines
        change (split words joined, superscript footnote numbers removed).
    """
    if glyphs is None:
        return doc
    lines = list(doc.lines)
    changed = False
    for index in sorted(set(indexes)):
        line = lines[index]
        if line.char_start < 0 or not line.raw:
            continue
        fixed = _repair(line, glyphs)
        if fixed is not None:
            lines[index] = fixed
            changed = True
    return replace(doc, lines=tuple(lines)) if changed else doc


def _repair(line: Line, glyphs: GlyphQueries) -> Line | None:
    raw = line.raw
    drop: set[int] = set()
    spaces = [match.start() for match in _LETTER_SPACE.finditer(raw)]
    if spaces:
        gaps = glyphs.space_gaps(line.page, [line.char_start + k for k in spaces])
        drop.update(k for k, gap in zip(spaces, gaps, strict=True) if gap is not None and gap < MAX_SPLIT_GAP)
    for match in _STUCK_NUMBER.finditer(raw):
        if glyphs.is_superscript(line.page, line.char_start + match.start()):
            drop.update(range(match.start(), match.end()))
    if not drop:
        return None
    text = normalise_line("".join(ch for k, ch in enumerate(raw) if k not in drop))
    return line._replace(text=text, raw="".join(ch for k, ch in enumerate(raw) if k not in drop), char_start=-1)
