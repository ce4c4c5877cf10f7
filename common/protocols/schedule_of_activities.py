"""The schedule of activities: the visits of a study and what is done at each, from its tables.

USDM names: a column of the schedule is an *encounter* (a visit: name, timing, window), a row an
*activity* (a procedure) with the encounters at which it is performed.

Where: the pages of the located schedule-of-activities sections ("Schedule of Activities",
"Schedule of Events", "Study Schedule", "Time and Events"), and the pages after them while they
carry the same kind of table (a schedule printed over several pages, with its header repeated or
with further visits).

How each table is read (:mod:`common.pdf.tables` gives the grid, merged cells resolved):

* the **body** starts at the first row with a mark (``X``, ``✓``, ``●``; a footnote marker may
  follow: ``Xa``); the rows above are the **header**;
* the **label columns** are those left of the first column with a mark: the activity name, and
  sometimes the header rows' own labels ("VISIT", "WEEK");
* each **encounter** is a column right of them, named from its header cells top-down: a row
  label such as "Visit" makes ``"Visit 3"``; a timing ("Week 2", "Day -1", "Days -28 to -2", or a
  value in a row labelled "Week"/"Day") becomes the timing; a window ("±3 days") the window;
  a group header spanning several columns ("Period 1" over "Day -1" and "Day 1") is joined with
  the column's own header (``"Period 1, Day -1"``). Columns headed "Comments" or "Notes" are not
  encounters;
* each **activity** is a body row with a name: every non-empty cell (a mark, or text such as
  "240 min") places it at that cell's encounter. A row whose one cell spans the whole table is a
  category ("Clinical Assessments"), not an activity;
* pages are merged: an activity seen again gains the new page's encounters; new encounters are
  appended in order.

Rows and columns come from the drawn rules when the table has them, and from text lines and
column gaps otherwise. A page whose text runs vertically (a landscape table on a portrait page)
is turned first by :class:`~common.pdf.glyphs.PdfGlyphs`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from common.pdf.document import Document
from common.pdf.glyphs import PdfGlyphs, Word
from common.pdf.tables import Cell, Table, find_ruled_table, find_unruled_table
from common.protocols.sections import Section, sections_of

__all__ = [
    "PageSchedule",
    "ParsedActivity",
    "ParsedEncounter",
    "ParsedSchedule",
    "extract_schedule",
    "read_schedule_table",
]

_MARK = re.compile(r"^(?:[Xx\u2713\u2714\u25cf\u2022\u25a0\u2612]|\(X\)|Yes)$")
_MARK_NOTE = re.compile(r"^(?:[Xx\u2713\u2714\u25cf\u2022\u25a0\u2612]|\(X\))\s+(?P<notes>[a-z*\d](?:,\s?[a-z*\d])*)$")
_MARK_IN_TEXT = re.compile(r"(?<!\S)(?:[Xx\u2713\u2714\u25cf\u2612]|\(X\))[a-z*\d]?(?!\S)")
_NOT_ENCOUNTER = re.compile(r"^(?:comments?|notes?|remarks?|footnotes?|details|instructions?)\b", re.IGNORECASE)
_ACTIVITY_HEADER = re.compile(
    r"^(?:procedures?|activit(?:y|ies)|assessments?|study procedures?|evaluations?|tests?|"
    r"study periods?|period|visit schedule|examinations?)\s*:?$",
    re.IGNORECASE,
)
_VISIT_LABEL = re.compile(r"^(?:visit|visit number|visit no\.?|visit #|encounter|clinic visit)\s*:?$", re.IGNORECASE)
_TIMING_LABEL = re.compile(
    r"^(?:study\s+)?(?P<unit>week|day|month|hour|year|time|timing|time point|study day|study week)s?\b",
    re.IGNORECASE,
)
_WINDOW_LABEL = re.compile(r"window|tolerance|\u00b1", re.IGNORECASE)
_TIMING = re.compile(
    r"^(?:study\s+|treatment\s+)?(?:day|days|week|weeks|wk|month|months|hour|hours|year|years|cycle|time)\s*-?\s*\d"
    r"|^(?:within|up to|at least|\u2264|<)?\s*[-\u2013]?\d[\d.\u00b1\s]*(?:to|-|\u2013)?\s*[-\u2013]?\d*\s*"
    r"(?:days?|weeks?|months?|hours?|h|d|min)\b",
    re.IGNORECASE,
)
_WINDOW = re.compile(r"^\(?\s*(?:\u00b1|\+/-|\+\s*/\s*-)\s*\d+\s*(?:days?|d|hours?|h|weeks?|w)?\s*\)?$", re.IGNORECASE)
_EMPTY = frozenset({"", "-", "\u2013", "\u2014", "na", "n/a", "not applicable"})
_NUMBERISH = re.compile(r"^[-\u2013]?\.?\d[\d.]*[a-z]?$|^[A-Z]{1,3}$")
# Pages after a schedule section that are still looked at for its continuation.
_MAX_EXTRA_PAGES = 6
_MIN_MARKS = 3
_HEADING_SIZE = 1.2


@dataclass(frozen=True, slots=True)
class ParsedEncounter:
    """A visit: its name, timing and window as printed (``None`` when not printed)."""

    name: str
    timing: str | None = None
    window: str | None = None


@dataclass(slots=True)
class ParsedActivity:
    """An activity and the names of its encounters, in schedule order."""

    name: str
    encounters: list[str] = field(default_factory=list[str])
    footnotes: list[str] = field(default_factory=list[str])


@dataclass(slots=True)
class ParsedSchedule:
    """The schedule of activities read from one or more pages."""

    encounters: list[ParsedEncounter] = field(default_factory=list[ParsedEncounter])
    activities: list[ParsedActivity] = field(default_factory=list[ParsedActivity])
    pages: list[int] = field(default_factory=list[int])


def extract_schedule(doc: Document, sections: Sequence[Section], glyphs: PdfGlyphs | None) -> ParsedSchedule | None:
    """The schedule of activities of a protocol, from the tables on its schedule pages.

    Args:
        doc: The document.
        sections: Its sections, from :func:`common.protocols.sections.locate_sections`.
        glyphs: The open PDF's glyphs (tables need word and rule positions); ``None`` returns
            ``None``.

    Returns:
        The schedule, or ``None`` when no schedule table was read.
    """
    if glyphs is None:
        return None
    best: ParsedSchedule | None = None
    for pages in _candidate_runs(doc, sections):
        schedule = ParsedSchedule()
        for page in pages:
            table = read_schedule_table(page, glyphs)
            if table is None:
                if schedule.pages and page > max(schedule.pages) + 1:
                    break
                continue
            _merge(schedule, table, page)
        if schedule.activities and (best is None or _size(schedule) > _size(best)):
            best = schedule
    if best is None:
        return None
    # Category rows ("Laboratory Tests") and rows of other tables carry no encounter.
    best.activities = [a for a in best.activities if a.encounters]
    order = {e.name: k for k, e in enumerate(best.encounters)}
    for activity in best.activities:
        activity.encounters.sort(key=lambda name: order.get(name, len(order)))
    return best


def _size(schedule: ParsedSchedule) -> int:
    return sum(len(a.encounters) for a in schedule.activities)


def _candidate_runs(doc: Document, sections: Sequence[Section]) -> list[list[int]]:
    runs: list[list[int]] = []
    for section in sections_of(sections, "schedule_of_activities"):
        last = min(doc.page_count, section.end_page + _MAX_EXTRA_PAGES)
        runs.append(list(range(section.start_page, last + 1)))
    return runs


@dataclass(frozen=True, slots=True)
class PageSchedule:
    """One page's schedule table.

    Attributes:
        encounters: The page's encounters, left to right.
        rows: Per activity row: its name, the indexes (into ``encounters``) of the encounters
            at which it is performed, and its footnote markers.
    """

    encounters: list[ParsedEncounter]
    rows: list[tuple[str, list[int], list[str]]]


def read_schedule_table(page: int, glyphs: PdfGlyphs) -> PageSchedule | None:
    """One page's schedule: its encounters and its activity rows.

    Args:
        page: 1-based page.
        glyphs: The open PDF's glyphs.

    Returns:
        The encounters and, per activity row, its name, the indexes of its encounters and its
        footnote markers; ``None`` when the page holds no schedule table.
    """
    if len(_MARK_IN_TEXT.findall(glyphs.text(page))) < _MIN_MARKS:
        return None  # no schedule without marks; spares reading the page's glyphs and rules
    rules = glyphs.rules(page)
    reader = glyphs.cell_reader(page)
    table = find_ruled_table(page, reader if reader is not None else glyphs.words(page), rules) if rules else None
    parsed = _interpret(table) if table is not None else None
    if parsed is None:
        table = _unruled(page, glyphs.words(page))
        parsed = _interpret(table) if table is not None else None
    return parsed


def _unruled(page: int, words: Sequence[Word]) -> Table | None:
    marks = [w for w in words if _MARK.match(w.text)]
    if len(marks) < _MIN_MARKS:
        return None
    first = min(marks, key=lambda w: w.top)
    height = max(first.bottom - first.top, 6.0)
    # The header: up to a few lines above the first mark, closing at a wide vertical gap.
    above = sorted((w for w in words if w.bottom <= first.top + 1), key=lambda w: -w.bottom)
    top = first.top
    for word in above:
        # A wide gap, or larger type (the section heading above the table), ends the header.
        if top - word.bottom > 2.5 * height or word.size > first.size * _HEADING_SIZE:
            break
        top = min(top, word.top)
    last = max(marks, key=lambda w: w.bottom)
    bottom = last.bottom
    below = sorted((w for w in words if w.top >= last.bottom - 1), key=lambda w: w.top)
    for word in below:
        if word.top - bottom > 1.2 * height:
            break
        bottom = max(bottom, word.bottom)
    return find_unruled_table(page, words, top=top - 1, bottom=bottom + 1)


def _is_mark(cell: Cell) -> bool:
    return bool(_MARK.match(cell.text) or _MARK_NOTE.match(cell.text))


def _cell_notes(cell: Cell) -> list[str]:
    """The footnote markers of a cell: its superscripts, or a marker the text layer set apart ("X a")."""
    notes = list(cell.sups)
    found = _MARK_NOTE.match(cell.text)
    if found is not None:
        notes.extend(n for n in found["notes"].split(",") if n and n not in notes)
    return notes


def _interpret(table: Table) -> PageSchedule | None:
    rows, columns = table.row_count, table.column_count
    marks = [
        (r, c)
        for r in range(rows)
        for c in range(1, columns)
        if table.cell(r, c).column == c and table.cell(r, c).row == r and _is_mark(table.cell(r, c))
    ]
    if len(marks) < _MIN_MARKS:
        return None
    first_mark = min(c for _, c in marks)
    body = _body_start(table, min(r for r, _ in marks), first_mark)
    if body == 0:
        return None
    label_columns = list(range(first_mark))
    encounter_columns: list[int] = []
    encounters: list[ParsedEncounter] = []
    for c in range(first_mark, columns):
        encounter = _encounter(table, c, body, label_columns)
        if encounter is None:
            continue
        encounter_columns.append(c)
        encounters.append(encounter)
    if not encounters:
        return None
    names = _unique([e.name for e in encounters])
    encounters = [
        ParsedEncounter(name=n, timing=e.timing, window=e.window) for n, e in zip(names, encounters, strict=True)
    ]
    out_rows: list[tuple[str, list[int], list[str]]] = []
    seen_cells: set[int] = set()
    for r in range(body, rows):
        label_cells = _distinct(table.cell(r, c) for c in label_columns)
        if any(cell.column_span >= columns - 1 for cell in label_cells):
            continue  # a category row spanning the table
        name = " ".join(cell.text for cell in label_cells if cell.text and id(cell) not in seen_cells).strip()
        for cell in label_cells:
            seen_cells.add(id(cell))
        hits: list[int] = []
        sups: list[str] = []
        for k, c in enumerate(encounter_columns):
            cell = table.cell(r, c)
            if cell.row != r and cell.row_span > 1 and r != cell.row:
                continue  # a cell spanning rows counts once, on its first row
            if cell.text.strip().lower() in _EMPTY:
                continue
            hits.append(k)
            sups.extend(s for s in _cell_notes(cell) if s not in sups)
        if not name:
            if out_rows and hits:
                previous = out_rows[-1]
                out_rows[-1] = (previous[0], sorted(set(previous[1]) | set(hits)), previous[2] + sups)
            continue
        out_rows.append((_clean_name(name), hits, sups))
    if not out_rows:
        return None
    return PageSchedule(encounters=encounters, rows=out_rows)


def _body_start(table: Table, first_mark_row: int, first_mark: int) -> int:
    """The first body row: the first with a mark, or an earlier one that names an activity.

    A continuation page may open with rows whose cells hold text, not marks ("Pre-dose, 90
    min"); they are body rows all the same, once the header rows (labelled "Procedure",
    "Visit", "Week" or not at all) are passed.
    """
    for r in range(1, first_mark_row):
        label = table.cell(r, 0)
        if label.row != r or label.column_span >= first_mark + 1:
            continue
        text = label.text.strip()
        if not text or _ACTIVITY_HEADER.match(text) or _VISIT_LABEL.match(text) or _TIMING_LABEL.match(text):
            continue
        if _WINDOW_LABEL.search(text):
            continue
        return r
    return first_mark_row


def _distinct(cells: Iterable[Cell]) -> list[Cell]:
    """The cells in order, a merged cell met again (it covers several columns) kept once."""
    out: list[Cell] = []
    for cell in cells:
        if all(cell is not seen for seen in out):
            out.append(cell)
    return out


def _encounter(table: Table, column: int, body: int, label_columns: list[int]) -> ParsedEncounter | None:
    parts: list[tuple[str, str, int]] = []  # (row label, text, column span)
    previous: Cell | None = None
    for r in range(body):
        cell = table.cell(r, column)
        if cell is previous:
            continue
        previous = cell
        text = cell.text.strip()
        if not text:
            continue
        # The row's own label sits in the label column nearest the encounters ("WEEK").
        labels = [c.text for c in _distinct(table.cell(r, k) for k in label_columns) if c.text and c.column_span == 1]
        label = labels[-1].strip() if labels else ""
        if _ACTIVITY_HEADER.match(label):
            label = ""
        parts.append((label, text, cell.column_span))
    if not parts:
        return None
    if any(_NOT_ENCOUNTER.match(text) for _, text, _ in parts):
        return None
    name_parts: list[tuple[str, int]] = []
    timing: str | None = None
    window: str | None = None
    for label, text, span in parts:
        if (label and _WINDOW_LABEL.search(label)) or _WINDOW.match(text):
            window = window or text
            continue
        unit = _TIMING_LABEL.match(label) if label else None
        if unit is not None and unit["unit"].lower() not in {"time", "timing", "time point"} and _NUMBERISH.match(text):
            timing = timing or f"{unit['unit'].title()} {text}"
            continue
        if unit is not None or (_TIMING.match(text) and span == 1):
            timing = timing or text
            continue
        if label and _VISIT_LABEL.match(label):
            name_parts.append((f"{label.rstrip(':').title()} {text}", span))
            continue
        name_parts.append((text, span))
    if not name_parts:
        if timing is None:
            return None
        return ParsedEncounter(name=timing, timing=timing, window=window)
    name = ", ".join(text for text, _ in name_parts)
    if name_parts[-1][1] > 1 and timing is not None:
        name = f"{name}, {timing}"  # a group header over several columns: "Period 1, Day -1"
    return ParsedEncounter(name=name, timing=timing, window=window)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name} ({count + 1})")
    return out


def _clean_name(name: str) -> str:
    return " ".join(name.split()).rstrip(":").strip()


def _merge(schedule: ParsedSchedule, page: PageSchedule, number: int) -> None:
    known = {e.name: e for e in schedule.encounters}
    for encounter in page.encounters:
        if encounter.name not in known:
            schedule.encounters.append(encounter)
            known[encounter.name] = encounter
    by_name = {a.name.lower(): a for a in schedule.activities}
    for name, hits, sups in page.rows:
        names = [page.encounters[k].name for k in hits]
        activity = by_name.get(name.lower())
        if activity is None:
            activity = ParsedActivity(name=name)
            schedule.activities.append(activity)
            by_name[name.lower()] = activity
        activity.encounters.extend(n for n in names if n not in activity.encounters)
        activity.footnotes.extend(s for s in sups if s not in activity.footnotes)
    if number not in schedule.pages:
        schedule.pages.append(number)
