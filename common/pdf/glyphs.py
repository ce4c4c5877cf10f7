"""Glyph-level questions about an open PDF, asked lazily by the stages that need them (PDFium).

Reading every glyph of a protocol costs several times more than its text, so nothing here runs
for the whole document. Stages ask about the few lines or pages they care about:

* :meth:`PdfGlyphs.space_gaps`: is a space between two letters a real word gap, or a break
  between two text runs inside one word ("accordin g")? Answered from the glyphs' boxes;
* :meth:`PdfGlyphs.is_superscript`: is a character set smaller or raised against the one before
  (a footnote number stuck to a word, "conduct1")?
* :meth:`PdfGlyphs.words`: the words of a page with their boxes, superscripts split off (tables);
* :meth:`PdfGlyphs.rules`: the horizontal and vertical ruling lines drawn on a page (tables).

Coordinates are PDF points with the origin at the page's top-left corner. On a page whose text
runs up or down (a landscape table printed on a portrait page), :meth:`words` and :meth:`rules`
turn the coordinates so the text reads left to right.
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from common.pdf.pdfium_calls import untyped_pdfium

__all__ = ["PdfGlyphs", "Rule", "Word"]

# A footnote marker printed after a mark or an acronym: "Xa", "X1", "ADAa", "X*".
_TRAILING_SUP = re.compile(r"^(?P<word>[Xx\u2713\u2714\u25cf]|[A-Z]{2,})(?P<sup>[a-z*\u2020\u2021]|\d)$")

_SPACES = frozenset({0x20, 0x0D, 0x0A, 0x09, 0xA0, 0x00, 0xFFFE})
# A gap wider than this share of the font size between two glyphs ends a word.
_WORD_GAP = 0.18
# A loose glyph box is about this many times the font size tall (ascent plus descent).
_BOX_PER_SIZE = 1.15
# A glyph this much smaller than the word's first glyph, or raised this share of its size, is a
# superscript.
_SUPERSCRIPT_SIZE = 0.85
_RAISED = 0.2
_LIFTED = 0.08
_MAX_SUP_CHARS = 2
# A ruling line is at most this thick and at least this long, in points.
_MAX_RULE_WIDTH = 2.5
_MIN_RULE_LENGTH = 4.0
_MAX_PATH_SEGMENTS = 4000
_ANGLE_SAMPLE = 60
# The longest cell text read at once, in UTF-16 units.
_BUFFER_CHARS = 8192
_PATH_OBJECT = 2
_SEGMENT_LINETO = 0
_SEGMENT_MOVETO = 2


@dataclass(frozen=True, slots=True)
class Word:
    """A word on a page: a run of glyphs on one baseline without a space or a wide gap.

    Attributes:
        text: The word, superscript characters left out.
        x0: Left edge, points from the page's left.
        x1: Right edge.
        top: Top edge, points from the page's top.
        bottom: Bottom edge.
        size: Font size of the word's first glyph, points.
        sup: Superscript characters that followed the word (a footnote marker, ``"a"`` in
            ``Xa``), ``""`` when none.
        bold: The word's first glyph is bold.
    """

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    sup: str = ""
    bold: bool = False

    @property
    def middle(self) -> float:
        """Vertical centre, points from the page's top."""
        return (self.top + self.bottom) / 2

    @property
    def centre(self) -> float:
        """Horizontal centre, points from the page's left."""
        return (self.x0 + self.x1) / 2


class Rule(NamedTuple):
    """A horizontal or vertical ruling line (a table border), points from the top-left corner.

    A named tuple: a schedule page draws a thousand of them.
    """

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def vertical(self) -> bool:
        """True when the line is taller than wide."""
        return self.bottom - self.top > self.x1 - self.x0


class PdfGlyphs:
    """Glyph queries on an open PDFium document; pages load on first use and stay cached.

    Pages and text pages are PDFium's raw handles, not ``pypdfium2`` helper objects: a
    protocol opens every page, and the helpers' bookkeeping (parent tracking, finalizers)
    costs about 25 µs per page and per close. :meth:`close` must therefore run (``open_pdf``
    does it in a ``finally``): nothing else releases the pages.

    Args:
        document: A ``pypdfium2.PdfDocument``; closed by :meth:`close`.
    """

    def __init__(self, document: Any) -> None:
        import pypdfium2.raw as pdfium_c  # pyright: ignore[reportMissingTypeStubs]

        self._document: Any = document
        self._typed: Any = pdfium_c
        self._raw: Any = untyped_pdfium()
        self._pages: dict[int, tuple[Any, Any, float, float]] = {}
        self._words: dict[int, list[Word]] = {}
        self._texts: dict[int, str] = {}
        self._buffer: Any = (ctypes.c_ushort * _BUFFER_CHARS)()
        self._rules: dict[int, list[Rule]] = {}
        self._turns: dict[int, int] = {}
        self._rect: Any = pdfium_c.FS_RECTF()
        self._rect_ref = ctypes.byref(self._rect)
        self._closed = False

    def load(self, page: int) -> tuple[Any, float]:
        """PDFium's text page handle (``FPDF_TEXTPAGE``) of 1-based ``page``, and its height in points.

        Raises:
            RuntimeError: PDFium cannot load the page or its text (a broken content stream).
        """
        cached = self._pages.get(page)
        if cached is None:
            raw = self._raw
            handle = raw.FPDF_LoadPage(self._document.raw, page - 1)
            if not handle:
                raise RuntimeError("PDFium could not load the page")
            textpage = raw.FPDFText_LoadPage(handle)
            if not textpage:
                raw.FPDF_ClosePage(handle)
                raise RuntimeError("PDFium could not load the page's text")
            cached = (handle, textpage, float(raw.FPDF_GetPageWidthF(handle)), float(raw.FPDF_GetPageHeightF(handle)))
            self._pages[page] = cached
        return cached[1], cached[3]

    def count_chars(self, page: int) -> int:
        """Number of characters PDFium found on 1-based ``page``."""
        textpage, _ = self.load(page)
        return int(self._raw.FPDFText_CountChars(textpage))

    def text(self, page: int) -> str:
        """PDFium's text of 1-based ``page``, lines ended by CRLF; read once, then kept.

        As ``pypdfium2``'s ``get_text_range()``: characters without a text index at either end
        are left out (PDFium would read past them, https://crbug.com/pdfium/2079), and
        undecodable UTF-16 is dropped.
        """
        kept = self._texts.get(page)
        if kept is None:
            kept = self._read_text(page)
            self._texts[page] = kept
        return kept

    def _read_text(self, page: int) -> str:
        textpage, _ = self.load(page)
        raw = self._raw
        first, last = 0, int(raw.FPDFText_CountChars(textpage)) - 1
        while first <= last and raw.FPDFText_GetTextIndexFromCharIndex(textpage, first) == -1:
            first += 1
        while first <= last and raw.FPDFText_GetTextIndexFromCharIndex(textpage, last) == -1:
            last -= 1
        if first > last:
            return ""
        start = raw.FPDFText_GetTextIndexFromCharIndex(textpage, first)
        end = raw.FPDFText_GetTextIndexFromCharIndex(textpage, last)
        buffer = (ctypes.c_ushort * (end + 2 - start))()  # with the NUL terminator
        written = int(raw.FPDFText_GetText(textpage, first, last - first + 1, buffer))
        return bytes(memoryview(buffer)[: max(0, written - 1)]).decode("utf-16-le", errors="ignore")

    def close(self) -> None:
        """Release every loaded page and the document. Idempotent."""
        if self._closed:
            return
        self._closed = True
        raw = self._raw
        for handle, textpage, _, _ in self._pages.values():
            raw.FPDFText_ClosePage(textpage)
            raw.FPDF_ClosePage(handle)
        self._pages.clear()
        self._document.close()

    def _char_box(self, handle: Any, index: int) -> tuple[float, float, float, float] | None:
        """The glyph's loose box ``(left, right, bottom, top)``.

        The loose box spans the advance width and the font's ascent and descent, so the gap to
        the next glyph is the printed spacing, not ink.
        """
        rect = self._rect
        if not self._raw.FPDFText_GetLooseCharBox(handle, index, self._rect_ref):
            return None
        return rect.left, rect.right, rect.bottom, rect.top

    def space_gaps(self, page: int, indexes: Sequence[int]) -> list[float | None]:
        """The gap around each space at the given character indexes, as a share of the font size.

        Only a space that PDFium generated (where the PDF draws no space glyph, but the text runs
        leave a gap) can split a word; a space the PDF draws is a word space, and costs a single
        lookup. The spaces of a line are asked together: a criteria section has thousands.

        Args:
            page: 1-based page.
            indexes: PDFium character indexes of spaces, each between two glyphs.

        Returns:
            Per index, ``(left edge of the next glyph - right edge of the previous glyph) / font
            size``: about 0.25 for a word space, near 0 when a text run broke inside a word.
            ``None`` when the space is drawn by the PDF, or the neighbours' boxes are unknown or
            not on one line.
        """
        handle, _ = self.load(page)
        generated = self._raw.FPDFText_IsGenerated
        return [self._gap(handle, index) if generated(handle, index) == 1 else None for index in indexes]

    def _gap(self, handle: Any, index: int) -> float | None:
        before = self._char_box(handle, index - 1)
        after = self._char_box(handle, index + 1)
        size = float(self._raw.FPDFText_GetFontSize(handle, index - 1))
        if before is None or after is None or size <= 0:
            return None
        if abs(before[2] - after[2]) > size * 0.5:
            return None  # not on one baseline
        return (after[0] - before[1]) / size

    def is_superscript(self, page: int, index: int) -> bool:
        """True when character ``index`` is set smaller or raised against the character before it.

        Args:
            page: 1-based page.
            index: PDFium character index (not the first of the page).

        Returns:
            Whether the character is a superscript (a footnote marker).
        """
        handle, _ = self.load(page)
        size = float(self._raw.FPDFText_GetFontSize(handle, index))
        before_size = float(self._raw.FPDFText_GetFontSize(handle, index - 1))
        if before_size <= 0:
            return False
        if size < before_size * _SUPERSCRIPT_SIZE:
            return True
        box = self._char_box(handle, index)
        before = self._char_box(handle, index - 1)
        return box is not None and before is not None and box[2] - before[2] > before_size * _RAISED

    def words(self, page: int) -> list[Word]:
        """The words of ``page`` in PDFium's reading order, superscripts split off.

        Args:
            page: 1-based page.

        Returns:
            The words; on a page whose text runs vertically, in turned coordinates.
        """
        cached = self._words.get(page)
        if cached is None:
            cached = self._read_words(page)
            self._words[page] = cached
        return cached

    def _read_words(self, page: int) -> list[Word]:
        handle, _ = self.load(page)
        _, _, width, height = self._pages[page]
        raw = self._raw
        text = self._texts.get(page)
        count = self.count_chars(page)
        if text is None or len(text) != count:
            text = "".join(chr(max(0, int(raw.FPDFText_GetUnicode(handle, i)))) for i in range(count))
        turn = self._turn(page)
        rect = self._rect
        ref = self._rect_ref
        get_box = raw.FPDFText_GetLooseCharBox
        chars: list[tuple[str, float, float, float, float]] = []
        for index, ch in enumerate(text):
            if ch.isspace() or ch < " " or ch == "\ufffe":
                chars.append((" ", 0.0, 0.0, 0.0, 0.0))
                continue
            if not get_box(handle, index, ref):
                continue
            x0, x1, top, bottom = _turned((rect.left, rect.right, rect.bottom, rect.top), turn, width, height)
            chars.append((ch, x0, x1, top, bottom))
        words = _group_words(chars)
        return words

    def cell_reader(self, page: int) -> Callable[[float, float, float, float], tuple[str, tuple[str, ...]]] | None:
        """A reader of the text inside a box of ``page``, straight from PDFium (no glyph loop).

        Superscript markers after a mark or an all-capital word ("Xa", "ADAa") are split off
        the text. ``None`` on a page whose text runs vertically (use :meth:`words` there).

        Args:
            page: 1-based page.

        Returns:
            ``read(x0, top, x1, bottom) -> (text, superscripts)``, or ``None``.
        """
        from common.pdf.layout import normalise_chars

        handle, height = self.load(page)
        if self._turn(page) != 0:
            return None

        get_text = self._typed.FPDFText_GetBoundedText  # double parameters: the typed binding
        buffer = self._buffer
        runs = self._runs(handle, height)
        run_tops = [run[1] for run in runs]
        tallest = max((run[3] - run[1] for run in runs), default=0.0)
        bands: dict[tuple[float, float], tuple[list[float], list[float]]] = {}

        def band(top: float, bottom: float) -> tuple[list[float], list[float]]:
            """The runs reaching into a row band: left edges sorted, and the widest right edge so far."""
            first = bisect.bisect_left(run_tops, top - tallest)
            last = bisect.bisect_left(run_tops, bottom)
            spans = sorted((r[0], r[2]) for r in runs[first:last] if r[3] > top)
            lefts = [x for x, _ in spans]
            reach = list(itertools.accumulate((right for _, right in spans), max))
            return lefts, reach

        def read(x0: float, top: float, x1: float, bottom: float) -> tuple[str, tuple[str, ...]]:
            # Most cells of a schedule are empty: ask PDFium for text only where a text run
            # (PDFium's own rectangles of runs of glyphs) reaches into the cell. The cells of a
            # row share its band of runs, so each band is gathered once.
            found = bands.get((top, bottom))
            if found is None:
                found = bands[(top, bottom)] = band(top, bottom)
            lefts, reach = found
            before = bisect.bisect_left(lefts, x1)  # runs that start left of the cell's right edge
            if before == 0 or reach[before - 1] <= x0:
                return "", ()
            written = int(get_text(handle, x0, height - top, x1, height - bottom, buffer, _BUFFER_CHARS))
            if written <= 0:
                return "", ()
            text = normalise_chars(
                ctypes.string_at(buffer, written * 2).decode("utf-16-le", errors="ignore").replace("\x00", "")
            )
            words: list[str] = []
            sups: list[str] = []
            for token in text.split():
                found = _TRAILING_SUP.match(token)
                if found is not None:
                    sups.append(found["sup"])
                words.append(found["word"] if found is not None else token)
            return " ".join(words), tuple(sups)

        return read

    def _runs(self, handle: Any, height: float) -> list[tuple[float, float, float, float]]:
        """PDFium's text-run rectangles of a page ``(x0, top, x1, bottom)``, sorted by top."""
        raw = self._raw
        left, top, right, bottom = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        refs = (ctypes.byref(left), ctypes.byref(top), ctypes.byref(right), ctypes.byref(bottom))
        runs: list[tuple[float, float, float, float]] = []
        for index in range(int(raw.FPDFText_CountRects(handle, 0, -1))):
            if raw.FPDFText_GetRect(handle, index, *refs):
                runs.append((left.value, height - top.value, right.value, height - bottom.value))
        runs.sort(key=lambda run: run[1])
        return runs

    def _turn(self, page: int) -> int:
        """The page's text direction in quarter turns: 0 (normal), 1 (reads upward), 3 (downward)."""
        turn = self._turns.get(page)
        if turn is None:
            handle, _ = self.load(page)
            turn = self._turns[page] = self._read_turn(handle, self.count_chars(page))
        return turn

    def _read_turn(self, handle: Any, count: int) -> int:
        votes = [0, 0, 0, 0]
        seen = 0
        step = max(1, count // _ANGLE_SAMPLE)
        for index in range(0, count, step):
            angle = float(self._raw.FPDFText_GetCharAngle(handle, index))
            if angle < 0:
                continue
            votes[round(angle / (math.pi / 2)) % 4] += 1
            seen += 1
        if not seen:
            return 0
        best = max(range(4), key=lambda k: votes[k])
        return best if best in (1, 3) and votes[best] * 2 > seen else 0

    def rules(self, page: int) -> list[Rule]:
        """Horizontal and vertical lines drawn on ``page`` (table borders), in page coordinates.

        Thin filled rectangles and stroked lines both count; a path that draws many lines (a
        whole grid) is split into its straight segments.

        Args:
            page: 1-based page.

        Returns:
            The rules, in drawing order.
        """
        cached = self._rules.get(page)
        if cached is None:
            cached = self._read_rules(page)
            self._rules[page] = cached
        return cached

    def _read_rules(self, page: int) -> list[Rule]:
        self.load(page)
        page_handle, _, width, height = self._pages[page]
        raw = self._raw
        turn = self._turn(page)
        left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
        ref_left, ref_bottom, ref_right, ref_top = (
            ctypes.byref(left),
            ctypes.byref(bottom),
            ctypes.byref(right),
            ctypes.byref(top),
        )
        get_object, get_type, get_bounds = raw.FPDFPage_GetObject, raw.FPDFPageObj_GetType, raw.FPDFPageObj_GetBounds
        out: list[Rule] = []
        for index in range(int(raw.FPDFPage_CountObjects(page_handle))):
            obj = get_object(page_handle, index)
            if get_type(obj) != _PATH_OBJECT or not get_bounds(obj, ref_left, ref_bottom, ref_right, ref_top):
                continue
            x0, x1, y0, y1 = left.value, right.value, bottom.value, top.value
            wide, tall = x1 - x0, y1 - y0
            if wide <= _MAX_RULE_WIDTH or tall <= _MAX_RULE_WIDTH:
                if wide < _MIN_RULE_LENGTH and tall < _MIN_RULE_LENGTH:
                    continue
                if turn == 0:  # most pages: no need to turn, only to flip y
                    out.append(Rule(x0, height - y1, x1, height - y0))
                else:
                    px0, px1, py0, py1 = _turned((x0, x1, y0, y1), turn, width, height)
                    out.append(Rule(px0, py0, px1, py1))
            elif self._stroked(obj):
                for piece in self._segments(obj):
                    px0, px1, py0, py1 = _turned(piece, turn, width, height)
                    if max(px1 - px0, py1 - py0) >= _MIN_RULE_LENGTH:
                        out.append(Rule(px0, py0, px1, py1))
            # else: a filled shape (cell shading): its edges are not drawn lines
        return out

    def _stroked(self, obj: Any) -> bool:
        fill, stroke = ctypes.c_int(), ctypes.c_int()
        if not self._raw.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke)):
            return False
        return bool(stroke.value)

    def _segments(self, obj: Any) -> list[tuple[float, float, float, float]]:
        """Axis-aligned straight segments of a path, in page space, as ``(l, r, b, t)`` boxes."""
        raw = self._raw
        count = int(raw.FPDFPath_CountSegments(obj))
        if count <= 1 or count > _MAX_PATH_SEGMENTS:
            return []
        matrix = raw.FS_MATRIX()
        if not raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)):
            return []
        a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
        px, py = ctypes.c_float(), ctypes.c_float()
        out: list[tuple[float, float, float, float]] = []
        start: tuple[float, float] | None = None
        previous: tuple[float, float] | None = None
        for index in range(count):
            segment = raw.FPDFPath_GetPathSegment(obj, index)
            if not raw.FPDFPathSegment_GetPoint(segment, ctypes.byref(px), ctypes.byref(py)):
                continue
            point = (a * px.value + c * py.value + e, b * px.value + d * py.value + f)
            kind = int(raw.FPDFPathSegment_GetType(segment))
            if kind == _SEGMENT_LINETO and previous is not None:
                out.append(_segment_box(previous, point))
            if kind == _SEGMENT_MOVETO:
                start = point
            elif raw.FPDFPathSegment_GetClose(segment) and start is not None:
                out.append(_segment_box(point, start))
            previous = point
        return [box for box in out if min(box[1] - box[0], box[3] - box[2]) <= _MAX_RULE_WIDTH]


def _segment_box(p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float, float, float]:
    return min(p[0], q[0]), max(p[0], q[0]), min(p[1], q[1]), max(p[1], q[1])


def _turned(
    box: tuple[float, float, float, float], turn: int, width: float, height: float
) -> tuple[float, float, float, float]:
    """A PDF-space box ``(left, right, bottom, top)`` as ``(x0, x1, top, bottom)`` from the top-left.

    With ``turn`` 1 (text reading upward) or 3 (downward), the page is turned so the text reads
    left to right.
    """
    left, right, bottom, top = box
    if turn == 1:
        return bottom, top, left, right
    if turn == 3:
        return height - top, height - bottom, width - right, width - left
    return left, right, height - top, height - bottom


def _raised_after(last: Word, x0: float, top: float, bottom: float) -> bool:
    """True when a glyph run at ``(x0, top, bottom)`` is a superscript right after ``last``."""
    height = last.bottom - last.top
    return (
        0 <= x0 - last.x1 <= height * 0.3
        and last.bottom - bottom > height * _LIFTED
        and bottom - top < height * _SUPERSCRIPT_SIZE
        and top < last.bottom
    )


def _group_words(chars: list[tuple[str, float, float, float, float]]) -> list[Word]:
    """Glyph boxes ``(char, x0, x1, top, bottom)`` in reading order into words.

    A loose glyph box spans the font's ascent and descent, so its height stands in for the font
    size. Raised glyphs after a word are its superscript (a footnote marker).
    """
    words: list[Word] = []
    text = sup = ""
    x0 = x1 = top = bottom = 0.0

    def flush() -> None:
        nonlocal text, sup
        if text and words and len(text) <= _MAX_SUP_CHARS and not sup and _raised_after(words[-1], x0, top, bottom):
            # The text layer broke the line before a raised footnote marker ("X" then "b").
            last = words[-1]
            words[-1] = Word(
                last.text, last.x0, max(last.x1, x1), last.top, last.bottom, last.size, last.sup + text, last.bold
            )
        elif text:
            words.append(
                Word(text=text, x0=x0, x1=x1, top=top, bottom=bottom, size=(bottom - top) / _BOX_PER_SIZE, sup=sup)
            )
        elif sup and words:
            last = words[-1]
            words[-1] = Word(last.text, last.x0, last.x1, last.top, last.bottom, last.size, last.sup + sup, last.bold)
        text = sup = ""

    for ch, c0, c1, ctop, cbottom in chars:
        if ch == " ":
            flush()
            continue
        if text:
            height = bottom - top
            same_line = ctop < bottom and cbottom > top - height * 0.6
            gap = c0 - x1
            if not same_line or gap > _WORD_GAP * height or gap < -height:
                flush()
        if text:
            height = bottom - top
            lift = bottom - cbottom
            # Lifted well clear of the baseline, or smaller and lifted: a superscript. A lowered
            # glyph ("A1C" with a lowered "1C") is a subscript and stays in the word.
            superscript = lift > height * _RAISED or (
                cbottom - ctop < height * _SUPERSCRIPT_SIZE and lift > height * _LIFTED
            )
            if superscript and (ch.isalnum() or ch in "*\u2020\u2021\u00a7,"):
                sup += ch
                x1 = max(x1, c1)
                continue
            if sup:
                flush()  # normal text after a superscript starts a new word
        if not text:
            x0, x1, top, bottom = c0, c1, ctop, cbottom
            text = ch
            continue
        text += ch
        x1 = max(x1, c1)
        top, bottom = min(top, ctop), max(bottom, cbottom)
    flush()
    return words
