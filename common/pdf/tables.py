"""Tables from a page's words and ruling lines: a grid of cells, merged cells resolved.

Two ways to find the grid, both from what :class:`~common.pdf.glyphs.PdfGlyphs` reports:

* **ruled** (most protocol tables: Word and the TransCelerate template draw every border): the
  column boundaries are the x positions of the vertical rules, the row boundaries the y
  positions of the horizontal rules. A boundary missing inside a row band (a header spanning
  two columns) or inside a column (a cell spanning two rows) merges the grid cells around it;
* **unruled**: rows are the text lines; columns are found from the gaps that no word crosses
  over the table's lines (a word spanning a gap on one line only, a wrapped header, does not
  close it).

A :class:`Table` keeps the grid and, for every grid cell, the merged cell it belongs to, so a
reader can ask for a column's header cells top-down (with their spans) or a row's cells
left-to-right. This module knows nothing about what the tables mean.

Why not a table library: pdfplumber (the maintained choice) found the same ruled grids on the
reference protocols, but parses every page with pdfminer: 0.15-0.3 s per table page, several
times the whole PDFium text extraction of a 100-page protocol. PDFium already holds the glyph
boxes and the drawn rules, and a grid from rules is a small amount of code.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from common.pdf.glyphs import Rule, Word

__all__ = ["Cell", "CellReader", "Table", "find_ruled_table", "find_unruled_table"]

CellReader = Callable[[float, float, float, float], tuple[str, tuple[str, ...]]]
"""Reads a cell's box ``(x0, top, x1, bottom)``: its text in reading order and its superscripts."""

# Rules closer than this (points) are one boundary.
_SNAP = 2.5
# A boundary exists inside a band when rules cover this share of the band.
_PRESENT = 0.5
# A table needs at least this many columns and rows.
_MIN_COLUMNS = 3
_MIN_ROWS = 2
# Unruled tables: a column gap is at least this wide (points) ...
_MIN_GAP = 4.0
# ... and words crossing it on at most this share of the lines do not close it.
_CROSSING_SHARE = 0.15


@dataclass(frozen=True, slots=True)
class Cell:
    """A merged cell: one or more grid cells read as one.

    Attributes:
        text: Its words in reading order (line by line, left to right), superscripts left out.
        sups: The superscript markers printed in it (``"a"`` of ``Xa``), in order.
        row: First grid row it covers.
        column: First grid column it covers.
        row_span: Grid rows it covers.
        column_span: Grid columns it covers.
    """

    text: str
    sups: tuple[str, ...]
    row: int
    column: int
    row_span: int = 1
    column_span: int = 1


@dataclass(frozen=True, slots=True)
class Table:
    """A grid of cells on one page.

    Attributes:
        page: 1-based page.
        xs: Column boundaries, left to right (``len(xs) - 1`` columns), points.
        ys: Row boundaries, top to bottom (``len(ys) - 1`` rows), points from the page top.
        cells: Every merged cell.
        ruled: True when the grid came from drawn rules.
    """

    page: int
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    cells: tuple[Cell, ...]
    ruled: bool
    _grid: dict[tuple[int, int], int] = field(default_factory=dict[tuple[int, int], int], repr=False, compare=False)

    @property
    def column_count(self) -> int:
        """Number of grid columns."""
        return len(self.xs) - 1

    @property
    def row_count(self) -> int:
        """Number of grid rows."""
        return len(self.ys) - 1

    def cell(self, row: int, column: int) -> Cell:
        """The merged cell covering grid cell ``(row, column)``."""
        return self.cells[self._grid[(row, column)]]

    def row_cells(self, row: int) -> list[Cell]:
        """The distinct merged cells of a grid row, left to right."""
        out: list[Cell] = []
        for column in range(self.column_count):
            cell = self.cell(row, column)
            if not out or out[-1] is not cell:
                out.append(cell)
        return out


def find_ruled_table(
    page: int,
    words: Sequence[Word] | CellReader,
    rules: Sequence[Rule],
    *,
    top: float = 0.0,
    bottom: float = 1e9,
    min_columns: int = _MIN_COLUMNS,
) -> Table | None:
    """The largest ruled table between ``top`` and ``bottom`` on a page.

    Args:
        page: 1-based page.
        words: The page's words (:meth:`~common.pdf.glyphs.PdfGlyphs.words`), or a function that
            reads the text of a cell's box directly (:meth:`~common.pdf.glyphs.PdfGlyphs.cell_reader`,
            much cheaper than reading every glyph).
        rules: The page's rules (:meth:`~common.pdf.glyphs.PdfGlyphs.rules`).
        top: Only consider rules and words below this y (points from the page top).
        bottom: ... and above this y.
        min_columns: Fewest columns that make a table.

    Returns:
        The table, or ``None`` when the rules do not form a grid of at least ``min_columns``
        columns and 2 rows.
    """
    verticals: list[Rule] = []
    horizontals: list[Rule] = []
    for r in rules:  # one pass: a schedule page draws a thousand rules
        if r.bottom - r.top > r.x1 - r.x0:  # Rule.vertical, inlined
            if r.bottom > top and r.top < bottom:
                verticals.append(r)
        elif top <= (r.top + r.bottom) / 2 <= bottom:
            horizontals.append(r)
    if not verticals or not horizontals:
        return None
    xs = _snap([(r.x0 + r.x1) / 2 for r in verticals])
    left, right = xs[0], xs[-1]
    by_x = _spans_at(xs, [((r.x0 + r.x1) / 2, r.top, r.bottom) for r in verticals])
    ys = _snap([(r.top + r.bottom) / 2 for r in horizontals if r.x0 < right - _SNAP and r.x1 > left + _SNAP])
    by_y = _spans_at(ys, [((r.top + r.bottom) / 2, r.x0, r.x1) for r in horizontals])
    keep = [k for k in range(len(ys)) if _covered(by_y[k], left, right) >= 0.2 * (right - left)]
    # Keep the vertical extent where the columns are drawn.
    v_top = min(r.top for r in verticals)
    v_bottom = max(r.bottom for r in verticals)
    keep = [k for k in keep if v_top - _SNAP <= ys[k] <= v_bottom + _SNAP]
    ys, by_y = [ys[k] for k in keep], [by_y[k] for k in keep]
    if len(xs) < min_columns + 1 or len(ys) < _MIN_ROWS + 1:
        return None
    reader = (
        words
        if callable(words)
        else _word_reader([w for w in words if left <= w.centre <= right and ys[0] <= w.middle <= ys[-1]])
    )
    down = {k: _coverages(by_x[k], ys) for k in range(1, len(xs) - 1)}
    across = {k: _coverages(by_y[k], xs) for k in range(1, len(ys) - 1)}
    vertical_present = {
        (band, k): down[k][band] >= _PRESENT * (ys[band + 1] - ys[band])
        for band in range(len(ys) - 1)
        for k in range(1, len(xs) - 1)
    }
    horizontal_present = {
        (k, column): across[k][column] >= _PRESENT * (xs[column + 1] - xs[column])
        for k in range(1, len(ys) - 1)
        for column in range(len(xs) - 1)
    }
    return _build(
        page, xs, ys, reader, vertical_present=vertical_present, horizontal_present=horizontal_present, ruled=True
    )


def find_unruled_table(
    page: int, words: Sequence[Word], *, top: float, bottom: float, left: float = 0.0
) -> Table | None:
    """A table without drawn borders: text lines as rows, gaps no word crosses as columns.

    Args:
        page: 1-based page.
        words: The page's words.
        top: The table's first line starts below this y (points from the page top).
        bottom: ... and its last line ends above this y.
        left: Ignore words left of this x.

    Returns:
        The table, or ``None`` when fewer than 3 columns or 2 rows are found.
    """
    inside = [w for w in words if top <= w.middle <= bottom and w.x0 >= left]
    if not inside:
        return None
    lines = _text_lines(inside)
    if len(lines) < _MIN_ROWS:
        return None
    x_min = min(w.x0 for w in inside)
    x_max = max(w.x1 for w in inside)
    # Count, for each point across the table, on how many lines a word covers it.
    width = int(x_max - x_min) + 2
    cover = [0] * width
    for line in lines:
        seen = [False] * width
        for w in line:
            for k in range(int(w.x0 - x_min), min(width, int(w.x1 - x_min) + 1)):
                seen[k] = True
        for k, hit in enumerate(seen):
            cover[k] += hit
    limit = max(1, int(len(lines) * _CROSSING_SHARE))
    xs = [x_min - 1]
    k = 0
    while k < width:
        if cover[k] <= limit and 0 < k < width - 1:
            start = k
            while k < width and cover[k] <= limit:
                k += 1
            if k - start >= _MIN_GAP and k < width:
                xs.append(x_min + (start + k) / 2)
            continue
        k += 1
    xs.append(x_max + 1)
    if len(xs) < _MIN_COLUMNS + 1:
        return None
    ys = [min(w.top for w in lines[0]) - 1]
    for previous, line in itertools.pairwise(lines):
        ys.append((max(w.bottom for w in previous) + min(w.top for w in line)) / 2)
    ys.append(max(w.bottom for w in lines[-1]) + 1)
    present_v = {(band, k): True for band in range(len(ys) - 1) for k in range(1, len(xs) - 1)}
    present_h = {(k, c): True for k in range(1, len(ys) - 1) for c in range(len(xs) - 1)}
    return _build(
        page, xs, ys, _word_reader(inside), vertical_present=present_v, horizontal_present=present_h, ruled=False
    )


def _text_lines(words: Sequence[Word]) -> list[list[Word]]:
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.middle, w.x0)):
        if lines:
            last = lines[-1]
            middle = sum(w.middle for w in last) / len(last)
            if abs(word.middle - middle) <= max(2.0, 0.4 * (word.bottom - word.top)):
                last.append(word)
                continue
        lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _snap(values: list[float]) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= _SNAP:
            continue
        out.append(value)
    return out


def _spans_at(bounds: Sequence[float], lines: Sequence[tuple[float, float, float]]) -> list[list[tuple[float, float]]]:
    """For each boundary, the rules lying on it as sorted, disjoint spans ``(start, end)``."""
    out: list[list[tuple[float, float]]] = [[] for _ in bounds]
    for at, start, end in lines:
        k = bisect.bisect_left(bounds, at - _SNAP)
        if k < len(bounds) and abs(bounds[k] - at) <= _SNAP:
            out[k].append((start, end))
    merged: list[list[tuple[float, float]]] = []
    for spans in out:
        spans.sort()
        joined: list[tuple[float, float]] = []
        for a, b in spans:
            if joined and a <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(joined[-1][1], b))
            else:
                joined.append((a, b))
        merged.append(joined)
    return merged


def _covered(spans: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Length of ``[start, end]`` covered by sorted, disjoint spans."""
    total = 0.0
    k = max(0, bisect.bisect_right(spans, (start, float("inf"))) - 1)
    for a, b in spans[k:]:
        if a >= end:
            break
        if b > start:
            total += (b if b < end else end) - (a if a > start else start)
    return total


def _coverages(spans: Sequence[tuple[float, float]], bounds: Sequence[float]) -> list[float]:
    """:func:`_covered` of each interval between consecutive ``bounds`` (sorted), in one sweep."""
    out: list[float] = []
    first = 0
    for start, end in itertools.pairwise(bounds):
        while first < len(spans) and spans[first][1] <= start:
            first += 1  # ends before this interval, so before every later one
        total = 0.0
        k = first
        while k < len(spans) and spans[k][0] < end:
            a, b = spans[k]
            total += (b if b < end else end) - (a if a > start else start)
            k += 1
        out.append(total)
    return out


def _word_reader(words: Sequence[Word]) -> CellReader:
    """A :data:`CellReader` over words already read: those whose centre lies in the box."""

    def read(x0: float, top: float, x1: float, bottom: float) -> tuple[str, tuple[str, ...]]:
        inside = [w for w in words if x0 <= w.centre <= x1 and top <= w.middle <= bottom]
        ordered = _reading_order(inside)
        return " ".join(w.text for w in ordered), tuple(w.sup for w in ordered if w.sup)

    return read


def _build(
    page: int,
    xs: Sequence[float],
    ys: Sequence[float],
    read: CellReader,
    *,
    vertical_present: dict[tuple[int, int], bool],
    horizontal_present: dict[tuple[int, int], bool],
    ruled: bool,
) -> Table:
    rows, columns = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * columns))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for band in range(rows):
        for k in range(1, columns):
            if not vertical_present[(band, k)]:
                union(band * columns + k - 1, band * columns + k)
    for k in range(1, rows):
        for column in range(columns):
            if not horizontal_present[(k, column)]:
                union((k - 1) * columns + column, k * columns + column)
    members: dict[int, list[tuple[int, int]]] = {}
    for row in range(rows):
        for column in range(columns):
            members.setdefault(find(row * columns + column), []).append((row, column))
    cells: list[Cell] = []
    grid: dict[tuple[int, int], int] = {}
    for root in sorted(members, key=lambda r: members[r][0]):
        spots = members[root]
        if len(spots) == 1:  # most cells are not merged
            (first_row, first_column) = (last_row, last_column) = spots[0]
        else:
            first_row, last_row = min(r for r, _ in spots), max(r for r, _ in spots)
            first_column, last_column = min(c for _, c in spots), max(c for _, c in spots)
        text, sups = read(xs[first_column], ys[first_row], xs[last_column + 1], ys[last_row + 1])
        cell = Cell(
            text=text,
            sups=sups,
            row=first_row,
            column=first_column,
            row_span=last_row - first_row + 1,
            column_span=last_column - first_column + 1,
        )
        for spot in spots:
            grid[spot] = len(cells)
        cells.append(cell)
    return Table(page=page, xs=tuple(xs), ys=tuple(ys), cells=tuple(cells), ruled=ruled, _grid=grid)


def _reading_order(words: list[Word]) -> list[Word]:
    return [w for line in _text_lines(words) for w in line]
