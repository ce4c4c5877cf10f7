r"""Split eligibility criteria given as one text into typed inclusion/exclusion items.

Accepted shapes (headings case-insensitive, ``Key``/``Main`` prefix allowed)::

    "inclusion criteria: \n\n Patient ... \n\n Patients with ... \n\n "
    "exclusion criteria: \n\n Chest tubes \n\n ..."

(ClinicalTrials.gov text as distributed with TrialGPT, items separated by blank lines; shown as
Python string literals), and::

    Inclusion Criteria:
    - a
    - b
    Exclusion Criteria:
    * c

The items of each section are parsed by the protocol parser's list reader,
:func:`common.protocols.criteria.parse_criteria_lines` (numbering styles, bullets, wrapped lines,
plain paragraphs), so text and PDF criteria split alike. Only the headings are found here: that
function works on the lines of one section. Indented sub-items (``  * a`` under ``* b``) are
folded into their parent first, because in plain text, unlike PDF text, indentation is reliable
and a nested list often reuses the top-level bullet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from common.pdf.document import Line
from common.pdf.list_markers import match_marker
from common.protocols.criteria import CriteriaKind, parse_criteria_lines

__all__ = ["CriteriaTextError", "TextCriterion", "split_criteria_text"]

_HEADING = re.compile(
    r"^(?:key\s+|main\s+)?(?P<kind>inclusion|exclusion)\s+criteria\s*(?::\s*(?P<rest>.*)|\.?\s*$)",
    re.IGNORECASE,
)
_TRAILING = " \t;,"


class CriteriaTextError(ValueError):
    """The text has no recognisable criteria. The message never quotes the text."""


@dataclass(frozen=True, slots=True)
class TextCriterion:
    """One criterion found in the text.

    Attributes:
        type: ``"inclusion"`` or ``"exclusion"``, from the heading it sits under.
        text: The criterion, sub-items folded in, whitespace normalised.
    """

    type: CriteriaKind
    text: str


def split_criteria_text(text: str) -> list[TextCriterion]:
    """The criteria in ``text``, inclusion and exclusion in document order.

    Args:
        text: Eligibility text with ``Inclusion Criteria:`` and/or ``Exclusion Criteria:``
            headings. A single intro line ending in ``:`` may precede the first heading.

    Returns:
        The criteria, in the order they appear.

    Raises:
        CriteriaTextError: No heading, text before the first heading, or no item at all.
    """
    lines = [_line(raw) for raw in text.splitlines()]
    starts = [(i, *heading) for i, line in enumerate(lines) if (heading := _heading(line.text)) is not None]
    if not starts:
        raise CriteriaTextError(
            "criteria text needs an 'Inclusion Criteria:' or 'Exclusion Criteria:' heading; "
            "or send criteria as a list of {type, text}"
        )
    before = [line.text for line in lines[: starts[0][0]] if line.text]
    if len(before) > 1 or (before and not before[0].endswith(":")):
        raise CriteriaTextError("criteria text has text before its first 'Inclusion/Exclusion Criteria' heading")
    found: list[TextCriterion] = []
    for n, (start, kind, rest) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        body = ([Line(text=rest, page=1)] if rest else []) + _fold_nested(lines[start + 1 : end])
        for item in parse_criteria_lines(body, kind):
            cleaned = item.text.strip(_TRAILING)
            if cleaned:
                found.append(TextCriterion(type=kind, text=cleaned))
    if not found:
        raise CriteriaTextError("criteria text has headings but no criteria under them")
    return found


def _line(raw: str) -> Line:
    expanded = raw.expandtabs(4)
    return Line(text=" ".join(expanded.split()), page=1, indent=len(expanded) - len(expanded.lstrip()))


def _heading(text: str) -> tuple[CriteriaKind, str] | None:
    match = _HEADING.match(text)
    if match is None:
        return None
    kind: CriteriaKind = "inclusion" if match["kind"].lower() == "inclusion" else "exclusion"
    return kind, (match["rest"] or "").strip()


def _fold_nested(lines: Sequence[Line]) -> list[Line]:
    """Join each marker line indented deeper than the section's first marker to the line above."""
    marked = [line.indent for line in lines if line.text and match_marker(line.text) is not None]
    if not marked:
        return list(lines)
    top = marked[0]
    out: list[Line] = []
    last = -1  # index in ``out`` of the last non-blank line
    for line in lines:
        if line.text and last >= 0 and line.indent > top and match_marker(line.text) is not None:
            above = out[last]
            out[last] = Line(text=f"{above.text} {line.text}", page=above.page, indent=above.indent)
            continue
        out.append(line)
        if line.text:
            last = len(out) - 1
    return out
