"""Parse a run of lines into top-level list items, nested items folded into their parent.

Protocols nest lists freely (``[5]`` > ``a)`` > ``1)``; ``[1]`` > ``[1a]`` > ``[A]`` > ``[i]``), and a
nested list may even use the same marker style as the top level. The parser:

1. finds the marker of each line (:mod:`common.pdf.list_markers`);
2. picks the top-level style: the first style in the text that forms a list of at least two
   items (a stray bullet in the introduction does not win);
3. keeps as top-level only the markers of that style that continue the numbering (previous + 1,
   a letter suffix allowed: ``[15]`` then ``[16b]``; a gap of one only when the missing number
   never comes). A marker that restarts lower (``1)`` under
   item ``3)``) opens a nested run; when a nested run reaches the number the top level expects
   next, it stays nested if a later marker can still take that number;
4. folds everything else (nested items, wrapped lines, notes) into the current item, drops the
   introduction before the first item, and drops sub-headings between items (the TransCelerate
   template's "Age", "Sex", "Informed Consent"; "Treatment-Related Criteria:"), recognised by
   layout (a short line alone, bold or set larger than the items) and, without type
   information, by a list of common sub-headings and their shape;
5. when line positions are known and the list has a hanging indent, ends the last item where the
   text comes back to the markers' margin (a note on the whole list, the next paragraph).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from common.pdf.document import Line
from common.pdf.layout import join_lines
from common.pdf.list_markers import BARE_STYLE, Marker, match_marker

__all__ = ["ListItem", "parse_list"]

# A top-level number may skip this many (a criterion deleted by an amendment).
_MAX_SKIP = 2
_MIN_BARE_ITEMS = 3
_MAX_SUBHEADING_WORDS = 10
# Points by which a sub-heading's type is larger than the items'.
_SIZE_STEP = 0.5
# Points by which a line must sit right of its item's marker to count as indented.
_INDENT_TOLERANCE = 3.0
# Indented lines the list must show before its hanging indent is trusted.
_MIN_INDENT_EVIDENCE = 2
# A nested list sits at most this many points right of its parent (more is another column).
_MAX_NESTING_STEP = 72.0
# How far right of the text margin a list's markers may sit (more is another column).
_MAX_MARKER_INDENT = 54.0
_SUBHEADINGS = frozenset(
    {
        "age",
        "sex",
        "gender",
        "weight",
        "informed consent",
        "type of participant and disease characteristics",
        "type of patient and disease characteristics",
        "type of subject and disease characteristics",
        "disease characteristics",
        "sex and contraceptive/barrier requirements",
        "sex and contraceptive requirements",
        "contraception",
        "reproductive status",
        "medical conditions",
        "prior/concomitant therapy",
        "prior/concurrent clinical study experience",
        "prior therapy",
        "concomitant therapy",
        "diagnostic assessments",
        "laboratory values",
        "other exclusions",
        "other exclusion criteria",
        "other inclusion criteria",
        "other inclusions",
        "other",
        "general",
        "lifestyle considerations",
    }
)


@dataclass(frozen=True, slots=True)
class ListItem:
    """One top-level item.

    Attributes:
        label: The label as printed (``"16b"``, ``"I3"``), ``""`` for a bullet.
        style: The marker style of the list (see :class:`~common.pdf.list_markers.Marker`).
        text: The item's text without its own marker, nested items and wrapped lines joined.
        page: 1-based page of the marker line.
        line: Index (into the lines given to :func:`parse_list`) of the marker line.
    """

    label: str
    style: str
    text: str
    page: int
    line: int


def parse_list(lines: Sequence[Line], *, stop: Callable[[str], bool] | None = None) -> list[ListItem]:
    """Top-level items of the list in ``lines``.

    Args:
        lines: The lines of a section body, heading excluded.
        stop: Optional predicate on a line's text; the list ends before the first line for
            which it is true (e.g. an "Exclusion Criteria" line inside an inclusion section).

    Returns:
        The items in order; empty when the lines contain no list.
    """
    end = len(lines)
    if stop is not None:
        end = next((i for i, line in enumerate(lines) if line.text and stop(line.text)), end)
    markers = _markers(lines[:end])
    top = _top_level(markers, lines)
    if not top:
        return []
    groups: list[list[int]] = []
    for i in range(end):
        if not lines[i].text:
            continue
        if i in top:
            groups.append([i])
        elif groups:
            groups[-1].append(i)
    for k in range(len(groups) - 1):
        _drop_trailing_subheading(groups[k], lines, markers)
    if groups:
        _drop_outdented_tail(groups, lines)
    items: list[ListItem] = []
    for group in groups:
        first = group[0]
        marker = markers[first]
        texts = [lines[first].text[marker.end :], *(lines[i].text for i in group[1:])]
        text = join_lines(texts)
        if text:
            items.append(
                ListItem(label=marker.label, style=marker.style, text=text, page=lines[first].page, line=first)
            )
    return items


def _markers(lines: Sequence[Line]) -> dict[int, Marker]:
    found: dict[int, Marker] = {}
    last_by_style: dict[str, Marker] = {}
    for i, line in enumerate(lines):
        marker = match_marker(line.text)
        if marker is None:
            continue
        if marker.ambiguous_roman:
            letter = marker.as_letter()
            previous = last_by_style.get(letter.style)
            # "h)" then "i)" is a letter list; "i)" out of nowhere is a roman one.
            if previous is not None and previous.value == (letter.value or 0) - 1:
                marker = letter
        found[i] = marker
        last_by_style[marker.style] = marker
    return found


def _top_level(markers: dict[int, Marker], lines: Sequence[Line]) -> set[int]:
    styles: list[str] = []
    for marker in markers.values():
        if marker.style not in styles:
            styles.append(marker.style)
    if not styles:
        return set()
    by_style = {
        style: _continuing(sorted((i, m) for i, m in markers.items() if m.style == style), lines) for style in styles
    }
    # Bare numbers ("12 Text") also start wrapped lines, so they need a longer run to count; such
    # a run wins when it opens the text ("1 Participant ..." then "(a) Male ..." nested under it).
    bare: set[int] = by_style.get(BARE_STYLE, set())
    if len(bare) < _MIN_BARE_ITEMS:
        bare = set()
    for style in styles:
        if style != BARE_STYLE and len(by_style[style]) >= 2:
            if bare and min(bare) < min(by_style[style]):
                return bare
            return by_style[style]
    if bare:
        return bare
    first = next((style for style in styles if style != BARE_STYLE), None)
    return by_style[first] if first is not None else set()


def _continuing(ordered: list[tuple[int, Marker]], lines: Sequence[Line]) -> set[int]:
    """Line indexes of the markers that continue the top-level numbering."""
    if ordered and ordered[0][1].value is None:
        return _top_bullets([i for i, _ in ordered], lines)
    top: set[int] = set()
    current: int | None = None
    nested: int | None = None
    for k, (index, marker) in enumerate(ordered):
        value = marker.value or 0
        if current is None:
            top.add(index)
            current = value
            continue
        if nested is not None and value == nested + 1:
            later_claim = any(m.value == current + 1 for _, m in ordered[k + 1 :])
            if value == current + 1 and not later_claim:
                top.add(index)
                current, nested = value, None
            else:
                nested = value
            continue
        if value == current + 1 or (
            current < value <= current + _MAX_SKIP and _skips(ordered[k + 1 :], current, nested)
        ):
            top.add(index)
            current, nested = value, None
        elif value < current or (value == current and not marker.suffix):
            nested = value  # a nested list restarting its numbering
        # value == current with a suffix ("[1a]" under "[1]") is a sub-item; a bigger jump is a
        # number that happens to start a wrapped line. Both stay in the current item.
    return top


def _top_bullets(indexes: list[int], lines: Sequence[Line]) -> set[int]:
    """Bullets of one glyph are siblings, except those indented under the previous top-level one.

    Some documents use the same glyph at every level and only indent the nested ones. A bullet
    a little right of the last top-level bullet (by a nesting step, not by a column width) is
    nested; without positions every bullet is top-level.
    """
    top: set[int] = set()
    anchor: float | None = None
    for index in indexes:
        x = lines[index].x
        if anchor is not None and x is not None and _INDENT_TOLERANCE < x - anchor <= _MAX_NESTING_STEP:
            continue
        top.add(index)
        if x is not None:
            anchor = x
    return top


def _skips(later: list[tuple[int, Marker]], current: int, nested: int | None) -> bool:
    """True when the numbering may jump past ``current + 1`` here.

    Only when no nested run is open and no later marker still carries the skipped number: a
    wrapped line that happens to start with "3." must not overtake the real item 2.
    """
    return nested is None and not any(m.value == current + 1 for _, m in later)


def _drop_outdented_tail(groups: list[list[int]], lines: Sequence[Line]) -> None:
    """End the last item where the text returns to the margin of the list's markers.

    With a hanging indent, an item's wrapped lines, nested items and notes all sit right of its
    marker. A line after the last item that starts at (or left of) the marker's position is body
    text again: a note about the whole list, a paragraph, a heading the section locator missed.
    Needs line positions and evidence of the hanging indent in the list itself.
    """
    last = groups[-1]
    marker_x = lines[last[0]].x
    if marker_x is None:
        return
    cut = next((k for k in range(1, len(last)) if _back_at_margin(last, k, lines, marker_x)), None)
    if cut is None:
        return
    inside = outside = 0
    for group in [*groups[:-1], last[:cut]]:
        group_x = lines[group[0]].x
        if group_x is None:
            continue
        for i in group[1:]:
            x = lines[i].x
            if x is None:
                continue
            if x > group_x + _INDENT_TOLERANCE:
                inside += 1
            else:
                outside += 1
    if inside >= _MIN_INDENT_EVIDENCE and outside * 10 <= inside:
        del last[cut:]


def _back_at_margin(group: list[int], k: int, lines: Sequence[Line], marker_x: float) -> bool:
    line = lines[group[k]]
    if line.x is None or line.x > marker_x + _INDENT_TOLERANCE or line.text[0].islower():
        return False
    if lines[group[k - 1]].text.endswith(":"):
        return False  # the item announces what follows ("... as defined below:" and a table)
    if line.page == lines[group[0]].page:
        return True
    # On a later page, prefer the item's own indented text on that page as the reference (the
    # margins may differ between pages). Without it, the line must sit near the marker's margin,
    # not a column away (a two-column page continues the item in the left column).
    same_page = [x for i in group[1:k] if lines[i].page == line.page and (x := lines[i].x) is not None]
    if same_page:
        return max(same_page) > line.x + _INDENT_TOLERANCE
    return line.x >= marker_x - _MAX_MARKER_INDENT


def _drop_trailing_subheading(group: list[int], lines: Sequence[Line], markers: dict[int, Marker]) -> None:
    if len(group) < 2:
        return
    last = group[-1]
    if last in markers:
        return
    if _is_subheading(lines[last], lines[group[-2]], lines[group[0]]):
        group.pop()


def _is_subheading(line: Line, previous: Line, item: Line) -> bool:
    """True for a line between two items that heads the next ones rather than ending this one.

    By layout first: a short line alone, without a marker, set bold or larger than the item it
    follows. Without type information: a known sub-heading phrase, or a short title-case line (or
    one ending in a colon) after a line that ends a sentence.
    """
    text = line.text
    words = text.rstrip(":").split()
    if not words or len(words) > _MAX_SUBHEADING_WORDS or not text[0].isupper() or text[-1] in ".,;":
        return False
    ends_sentence = previous.text.rstrip()[-1:] in {".", ";", ":"}
    if line.bold and not item.bold and ends_sentence:
        return True
    if line.size and item.size and line.size > item.size + _SIZE_STEP and ends_sentence:
        return True
    if " ".join(words).lower() in _SUBHEADINGS:
        return True
    if text.endswith(":") and ends_sentence and len(words) <= _MAX_SUBHEADING_WORDS:
        return True
    long_words = [w for w in words if sum(ch.isalpha() for ch in w) >= 4]
    if not long_words:
        return False
    capitalised = sum(1 for w in long_words if w[0].isupper())
    return capitalised / len(long_words) >= 0.6 and ends_sentence
