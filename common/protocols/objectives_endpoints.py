"""Objectives (with their level) and primary/secondary endpoints from the objectives section.

Two layouts are common and handled by the same walk over the section's lines:

* an "Objectives and Endpoints" table, which text extraction flattens into a level row
  ("Primary", "Secondary", "Exploratory") followed by the objective cell then the endpoint cell;
* headed lists: "2.1 Primary Objectives" then bullets, "Secondary Endpoints:" then bullets.

Within a level block, items are the block's list items or, without markers, runs of lines split
where a new capitalised sentence starts. An item is an objective when it reads like one ("To
assess ...", "Evaluate ..."), otherwise an endpoint. Precision matters more than recall: when
the section cannot be read this way, nothing is returned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from common.pdf.document import Document, Line
from common.pdf.glyphs import PdfGlyphs
from common.pdf.layout import join_lines
from common.pdf.list_parser import parse_list
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

    Returns:
        The objectives and endpoints; empty when none could be read.
    """
    synopses = sections_of(sections, "synopsis")
    candidates = sections_of(sections, "objectives_endpoints")
    candidates.sort(key=lambda s: any(y.start_line <= s.start_line < y.end_line for y in synopses))
    for section in candidates:
        result = parse_objectives_lines(doc.lines[section.start_line + 1 : section.end_line], section.title)
        if result.objectives:
            return result
    return ObjectivesAndEndpoints()


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
