"""Objectives (with their level) and primary/secondary endpoints from the objectives section.

With the PDF open, an *Objectives | Endpoints* table (the TransCelerate common protocol
template's layout; endpoints may be headed "Outcome Measures") is read as a table: its columns
say what is an objective and what an endpoint, and each row pairs them
(:func:`read_objectives_table`). Otherwise, two layouts are handled by the same walk over the
section's lines:

* an "Objectives and Endpoints" table, which text extraction flattens into a level row
  ("Primary", "Secondary", "Exploratory") followed by the objective cell then the endpoint cell;
* headed lists: "2.1 Primary Objectives" then bullets, "Secondary Endpoints:" then bullets.

Within a level block, items are the block's list items or, without markers, runs of lines split
where a new capitalised sentence starts. An item is an objective when it reads like one ("To
assess ...", "Evaluate ..."), otherwise an endpoint. Precision matters more than recall: when
the section cannot be read this way, nothing is returned.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from common.pdf.document import Document, Line
from common.pdf.glyphs import PdfGlyphs
from common.pdf.layout import join_lines, normalise_chars
from common.pdf.list_parser import parse_list
from common.pdf.tables import Cell, find_ruled_table
from common.protocols.sections import Section, sections_of

__all__ = ["ObjectiveLevel", "ObjectivesAndEndpoints", "ParsedObjective", "extract_objectives"]

ObjectiveLevel = Literal["primary", "secondary", "exploratory", "other"]

_LEVEL_LINE = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,3})*\.?\s+)?(?P<level>primary|key secondary|secondary|exploratory|tertiary|other|"
    r"tertiary/exploratory|exploratory/tertiary)"
    r"(?:\s+(?:and\s+|/\s*)?(?:efficacy\s+|safety\s+|study\s+)?(?:objectives?|endpoints?|"
    r"objective\(s\)|endpoint\(s\)|outcomes?|outcome measures?))*\s*:?$",
    re.IGNORECASE,
)
_STOP_LINE = re.compile(r"^(?:abbreviations?|notes?|footnotes?|source)\s*:|^key\s*:", re.IGNORECASE)
_ESTIMAND = re.compile(r"^(?:(?:primary|secondary|key secondary)\s+)?estimands?\b", re.IGNORECASE)
_TABLE_HEADER = re.compile(r"^(?:objectives?|endpoints?|estimands?|outcome measures?|[\s/|&]|and)+$", re.IGNORECASE)
_OBJECTIVE_START = re.compile(
    r"^(?:to|explore|evaluate|assess|compare|determine|demonstrate|characteri[sz]e|estimate|investigate|"
    r"describe|examine|confirm|establish|identify|document|explore|quantify|monitor|measure)\b",
    re.IGNORECASE,
)
_INTRO = re.compile(
    r"^the (?:primary|secondary|exploratory|tertiary|main|key)?\s*(?:study )?objectives? (?:(?:of|for|in) "
    r"(?:this|the) (?:study|trial) )?(?:is|are)\b(?: as follows)?[:\s]*",
    re.IGNORECASE,
)
# A line ending in one of these words continues on the next line, whatever its first letter.
_CONNECTORS = frozenset(
    {
        *("a", "an", "the", "and", "or", "of", "to", "with", "for", "in", "on", "into", "than", "per"),
        *("over", "under", "after", "before", "during", "within", "between", "among", "as", "that"),
        *("which", "who", "whose", "including", "compared", "by", "at", "from", "versus", "vs"),
    }
)
_CAPITALISED_WORD = re.compile(r"^[A-Z][a-z]")
_OBJECTIVE_HEADER = re.compile(r"^(?:study\s+|trial\s+)?objectives?(?:\s*\(s\))?\s*:?$", re.IGNORECASE)
_ENDPOINT_HEADER = re.compile(
    r"^(?:(?:study|trial)\s+)?(?:endpoints?|end\s+points?|outcome\s+measures?|outcomes?|endpoints?\s*/\s*estimands?)"
    r"(?:\s*\(s\))?\s*:?$",
    re.IGNORECASE,
)
_CELL_BULLET = re.compile(r"(?:^|\s)[\u2022\u25cf\u25aa\u2013\u27a2\u2023\u25e6\u25cb]\s+")
_MAX_LEVEL_WORDS = 4
_MEASURE_WORD = r"(?:efficacy\s+)?(?:instruments?|measures?|variables?|endpoints?|parameters?|outcomes?)"
# "The ADAS-Cog (11) and the CIBIC+ will serve as the primary efficacy instruments."
_SERVE_AS = re.compile(
    r"(?:^|(?<=[.;:]\s))(?P<items>[A-Z][^.;:]{2,160}?)\s+(?:will|shall)\s+(?:serve|be used)\s+as\s+the\s+"
    r"(?P<level>primary|secondary)\s+efficacy\s+(?:instruments?|measures?|variables?|endpoints?|parameters?)\b"
)
# "Secondary efficacy instruments will include the DAD, the NPI-X, and the ADAS-Cog (14)."
_WILL_INCLUDE = re.compile(
    r"\b(?P<level>[Pp]rimary|[Ss]econdary)\s+" + _MEASURE_WORD + r"\s+(?:will\s+(?:include|be)|are|include)\s+"
    r"(?P<items>[^.;:]{2,200}?)(?=\.(?:\s|$)|;)"
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_MAX_NAMED_WORDS = 8
_MAX_NAMED_ITEMS = 8
_CONTEXT_LINES = 2
_LEADING_LEVEL = re.compile(
    r"^(?P<level>primary|key secondary|secondary|exploratory|tertiary|tertiary/exploratory|other)"
    r"(?:\s+(?:objectives?|endpoints?|outcome measures?))?\s*:?\s+(?=[\u2022\u25cf\u25aa\u2013-]|to\b|[A-Z])",
    re.IGNORECASE,
)
_MAX_ITEM_CHARS = 700
_MIN_ITEM_WORDS = 2


@dataclass(frozen=True, slots=True)
class ParsedObjective:
    """An objective, its level and the endpoints the protocol pairs with it (table rows)."""

    level: ObjectiveLevel
    text: str
    endpoints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectivesAndEndpoints:
    """What the objectives section yields.

    Attributes:
        objectives: Objectives in document order.
        primary_endpoints: Primary endpoints in document order.
        secondary_endpoints: Secondary endpoints (key secondary included) in document order.
        exploratory_endpoints: Exploratory (tertiary, other) endpoints in document order.
    """

    objectives: tuple[ParsedObjective, ...] = ()
    primary_endpoints: tuple[str, ...] = ()
    secondary_endpoints: tuple[str, ...] = ()
    exploratory_endpoints: tuple[str, ...] = ()


def extract_objectives(
    doc: Document, sections: Sequence[Section], glyphs: PdfGlyphs | None = None
) -> ObjectivesAndEndpoints:
    """Objectives and endpoints from the first objectives section that reads cleanly.

    Sections outside the synopsis are tried first (the body states them in full).

    Args:
        doc: The document.
        sections: Its sections, from :func:`common.protocols.sections.locate_sections`.
        glyphs: The open PDF's glyphs, to read *Objectives | Endpoints* tables as tables;
            without them the section's lines are read.

    Returns:
        The objectives and endpoints; empty when none could be read.
    """
    synopses = sections_of(sections, "synopsis")
    candidates = sections_of(sections, "objectives_endpoints")
    candidates.sort(key=lambda s: any(y.start_line <= s.start_line < y.end_line for y in synopses))
    found = ObjectivesAndEndpoints()
    for section in candidates:
        if glyphs is not None:
            tabled = read_objectives_table(doc, section, glyphs)
            if tabled.objectives:
                found = tabled
                break
        result = parse_objectives_lines(doc.lines[section.start_line + 1 : section.end_line], section.title)
        if result.objectives:
            found = result
            break
    if found.primary_endpoints or found.secondary_endpoints or found.exploratory_endpoints:
        return found
    primary, secondary = endpoints_from_prose(doc)
    return ObjectivesAndEndpoints(
        objectives=found.objectives, primary_endpoints=tuple(primary), secondary_endpoints=tuple(secondary)
    )


def endpoints_from_prose(doc: Document) -> tuple[list[str], list[str]]:
    """Primary and secondary endpoints named in a sentence, for protocols without an endpoint list.

    Older protocols name their endpoints as efficacy variables, measures or instruments: "The
    ADAS-Cog (11) and the CIBIC+ will serve as the primary efficacy instruments", "Secondary
    efficacy variables will include the DAD, the NPI-X and ...". The first such sentence of each
    level counts; the named measures are its items.

    Args:
        doc: The document.

    Returns:
        ``(primary, secondary)`` endpoint names, empty when no such sentence exists.
    """
    found: dict[str, list[str]] = {}
    # Lines run page after page, so a page's lines are one group.
    for _, group in itertools.groupby((line for line in doc.lines if line.text), key=operator.attrgetter("page")):
        texts = [line.text for line in group]
        hits = [k for k, t in enumerate(texts) if "efficacy" in t or "endpoint" in t]
        if not hits:
            continue
        # The sentences around each mention, not the whole page.
        keep = sorted(
            {j for k in hits for j in range(max(0, k - _CONTEXT_LINES), min(len(texts), k + _CONTEXT_LINES + 1))}
        )
        text = join_lines(texts[j] for j in keep)
        for pattern in (_SERVE_AS, _WILL_INCLUDE):
            for match in pattern.finditer(text):
                level = match["level"].lower()
                if level not in found:
                    items = _named_items(match["items"])
                    if items:
                        found[level] = items
        if len(found) == 2:
            break
    return found.get("primary", []), found.get("secondary", [])


def _named_items(text: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text.strip())
    items = [_ARTICLE.sub("", p).strip() for p in parts]
    items = [i for i in items if i and len(i.split()) <= _MAX_NAMED_WORDS]
    return items if 0 < len(items) <= _MAX_NAMED_ITEMS else []


def read_objectives_table(doc: Document, section: Section, glyphs: PdfGlyphs) -> ObjectivesAndEndpoints:
    """Objectives and endpoints from an *Objectives | Endpoints* table in a section's pages.

    The header row names the columns ("Objectives", "Endpoints" or "Outcome Measures"); a row
    whose text is a level ("Primary", "Secondary Objectives") sets the level of the rows below
    it, whether it spans the table or sits in a column of its own. Each body row pairs the
    objectives of its objective cell with the endpoints of its endpoint cell; a cell listing
    several items with bullets gives several.

    Args:
        doc: The document.
        section: An objectives section.
        glyphs: The open PDF's glyphs.

    Returns:
        What the table holds; empty when the section's pages have no such table.
    """
    objectives: list[ParsedObjective] = []
    by_level: dict[ObjectiveLevel, list[str]] = {"primary": [], "secondary": [], "exploratory": [], "other": []}
    level: ObjectiveLevel = _level_of(section.title) or "primary"
    columns: tuple[int, int] | None = None
    top = doc.lines[section.start_line].top if section.start_line < len(doc.lines) else None
    for page in section.pages:
        if not glyphs.rules(page):
            continue
        reader = glyphs.cell_reader(page)
        table = find_ruled_table(
            page,
            reader if reader is not None else glyphs.words(page),
            glyphs.rules(page),
            top=(top or 0.0) if page == section.start_page else 0.0,
            min_columns=2,
        )
        if table is None:
            continue
        for r in range(table.row_count):
            cells = table.row_cells(r)
            texts = [normalise_chars(c.text) for c in cells]
            header = _header_columns(cells, texts)
            if header is not None:
                columns = header
                continue
            if columns is None:
                continue
            joined = " ".join(t for t in texts if t)
            found = _level_of(joined) if len(cells) == 1 or len(joined.split()) <= _MAX_LEVEL_WORDS else None
            if found is not None:
                level = found
                continue
            first = normalise_chars(table.cell(r, 0).text)
            if columns[0] > 0 and (found := _level_of(first)) is not None:
                level = found
            objective_cell = table.cell(r, columns[0])
            endpoint_cell = table.cell(r, columns[1])
            if objective_cell is endpoint_cell:
                continue
            objective_text = normalise_chars(objective_cell.text)
            # The level may open the objective cell: "Secondary • To compare ...".
            if (lead := _LEADING_LEVEL.match(objective_text)) is not None:
                level = _level_of(lead["level"]) or level
                objective_text = objective_text[lead.end() :]
            endpoint_text = _LEADING_LEVEL.sub("", normalise_chars(endpoint_cell.text), count=1)
            endpoints = [e for e in _cell_items(endpoint_text) if not _ESTIMAND.match(e)]
            for text in _cell_items(objective_text):
                objectives.append(ParsedObjective(level=level, text=text, endpoints=tuple(endpoints)))
            by_level[level].extend(e for e in endpoints if e not in by_level[level])
        if columns is None:
            break  # the table, if any, starts on the section's first page with rules
    return ObjectivesAndEndpoints(
        objectives=tuple(objectives),
        primary_endpoints=tuple(by_level["primary"]),
        secondary_endpoints=tuple(by_level["secondary"]),
        exploratory_endpoints=tuple(by_level["exploratory"] + by_level["other"]),
    )


def _header_columns(cells: Sequence[Cell], texts: Sequence[str]) -> tuple[int, int] | None:
    objective = next((c.column for c, t in zip(cells, texts, strict=True) if _OBJECTIVE_HEADER.match(t)), None)
    endpoint = next((c.column for c, t in zip(cells, texts, strict=True) if _ENDPOINT_HEADER.match(t)), None)
    if objective is None or endpoint is None or objective == endpoint:
        return None
    return objective, endpoint


def _cell_items(text: str) -> list[str]:
    """The items of a cell: split at bullets, intro sentences dropped, sentence case."""
    clean = normalise_chars(text)
    parts = [p.strip() for p in _CELL_BULLET.split(clean)] if _CELL_BULLET.search(clean) else [clean]
    items: list[str] = []
    for part in parts:
        item = _INTRO.sub("", part).strip()
        if item and len(item.split()) >= _MIN_ITEM_WORDS and len(item) <= _MAX_ITEM_CHARS and not item.endswith(":"):
            items.append(item[0].upper() + item[1:])
    return items


def parse_objectives_lines(lines: Sequence[Line], heading: str = "") -> ObjectivesAndEndpoints:
    """Objectives and endpoints from the body lines of an objectives section.

    Args:
        lines: The section's lines after its heading.
        heading: The section heading; a heading like "Primary Objectives" sets the level of
            text that precedes any level line.

    Returns:
        What could be read; empty lists when nothing was recognised.
    """
    blocks: list[tuple[ObjectiveLevel, list[Line]]] = []
    level = _level_of(heading)
    current: list[Line] = []
    in_estimand = False
    for line in lines:
        text = line.text
        if not text:
            continue
        if _STOP_LINE.match(text) and (blocks or current):
            break
        found = _level_of(text)
        if found is not None:
            if level is not None and current:
                blocks.append((level, current))
            level, current, in_estimand = found, [], False
            continue
        # Estimand descriptions (CPT tables) are neither objectives nor endpoints.
        in_estimand = in_estimand or _ESTIMAND.match(text) is not None
        if in_estimand or _TABLE_HEADER.match(text):
            continue
        current.append(line)
    if level is not None and current:
        blocks.append((level, current))

    objectives: list[ParsedObjective] = []
    primary: list[str] = []
    secondary: list[str] = []
    exploratory: list[str] = []
    for block_level, block in blocks:
        for item in _items(block):
            if _OBJECTIVE_START.match(item):
                objectives.append(ParsedObjective(level=block_level, text=item))
            elif block_level == "primary":
                primary.append(item)
            elif block_level == "secondary":
                secondary.append(item)
            else:
                exploratory.append(item)
    return ObjectivesAndEndpoints(
        objectives=tuple(objectives),
        primary_endpoints=tuple(primary),
        secondary_endpoints=tuple(secondary),
        exploratory_endpoints=tuple(exploratory),
    )


def _level_of(text: str) -> ObjectiveLevel | None:
    match = _LEVEL_LINE.match(text.strip())
    if match is None:
        return None
    word = match["level"].lower()
    if word.startswith("primary"):
        return "primary"
    if "secondary" in word:
        return "secondary"
    if word == "other":
        return "other"
    return "exploratory"


def _items(block: list[Line]) -> list[str]:
    listed = parse_list(block)
    raw = [item.text for item in listed] if listed else _sentence_runs(block)
    items: list[str] = []
    for candidate in raw:
        text = _INTRO.sub("", candidate).strip()
        if text and len(text) <= _MAX_ITEM_CHARS and len(text.split()) >= _MIN_ITEM_WORDS and not text.endswith(":"):
            items.append(text[0].upper() + text[1:])
    return items


def _sentence_runs(block: list[Line]) -> list[str]:
    runs: list[list[str]] = []
    for line in block:
        text = line.text
        previous = runs[-1][-1] if runs else ""
        last_word = previous.rstrip().rsplit(" ", 1)[-1].lower() if previous else ""
        starts_new = not runs or (
            _CAPITALISED_WORD.match(text) is not None
            and last_word not in _CONNECTORS
            and previous.rstrip()[-1:] not in {",", "(", "/", "-"}
        )
        if starts_new:
            runs.append([text])
        else:
            runs[-1].append(text)
    return [join_lines(run) for run in runs]
