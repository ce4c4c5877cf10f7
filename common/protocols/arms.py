"""Study arms, when the synopsis or the design section lists them explicitly.

Two phrasings are recognised, in the synopsis first, then in the study design section:

* a labelled list: "Treatment Arms ...:" followed by "Name: description" lines;
* a sentence that enumerates them: "The treatment arms will include a placebo arm, a low-dose
  X arm (50 mg), and a high-dose X arm (100 mg)." Every enumerated item must itself say "arm"
  or "group", so ordinary sentences that happen to contain "groups are" yield nothing.

In a crossover study every participant receives several treatments in turn, so its arms are
the treatment *sequences* (USDM models each sequence as an arm). When the synopsis or design
says "crossover", the sequences are read from:

* a period phrase: "(either LY900018 in Period 1 and IMG in Period 2, or vice versa)";
* sequence labels: "sequences AB and BA", "treatment sequence A/B or B/A";
* otherwise, for a two-period study of exactly two treatments listed as arms, the two orders
  (AB and BA: the standard 2x2 crossover).

Anything less explicit yields no arms: a wrong arm list is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from common.pdf.document import Document, Line
from common.pdf.layout import join_lines
from common.protocols.sections import Section, sections_of

__all__ = ["ParsedArm", "extract_arms"]

_LIST_LABEL = re.compile(
    r"^(?:treatment|study|trial|intervention)?\s*(?:arms?|groups?|treatment arms?|treatment groups?)\b"
    r"[^:.]{0,70}:\s*$",
    re.IGNORECASE,
)
_ENTRY = re.compile(r"^(?P<name>[A-Z0-9][^:]{0,60}?)\s*:\s+(?P<desc>\S.*)$")
_ENUMERATION = re.compile(
    r"\b(?:treatment |study |trial )?(?:arms|groups)\s+(?:will\s+)?"
    r"(?:include|includes|are|consist of|comprise)\s*:?\s+",
    re.IGNORECASE,
)
_ARM_ITEM = re.compile(
    r"^(?:and\s+|or\s+)?(?:an?\s+|the\s+|one\s+)?(?P<name>.+?)\s+(?:arm|group)s?\s*(?:\((?P<desc>[^()]*)\))?$",
    re.IGNORECASE,
)
_CROSSOVER = re.compile(r"\bcross-?over\b", re.IGNORECASE)
_PERIOD_PHRASE = re.compile(
    r"(?:either\s+)?(?P<a>[A-Za-z0-9][\w.-]{0,30}(?:\s+[A-Z0-9][\w.-]{0,20}){0,2})\s+(?:in|during|for)\s+"
    r"(?:treatment\s+)?period\s+(?:1|one|I)\s*,?\s*(?:and|then|followed by)\s+"
    r"(?P<b>[A-Za-z0-9][\w.-]{0,30}(?:\s+[A-Z0-9][\w.-]{0,20}){0,2})\s+(?:in|during|for)\s+(?:treatment\s+)?period\s+"
    r"(?:2|two|II)(?P<vice>,?\s*(?:or|and)\s+vice\s+versa)?",
    re.IGNORECASE,
)
_SEQUENCE_LABELS = re.compile(
    r"\b(?:treatment\s+)?sequences?\b[^.]{0,40}?(?P<list>\b[A-D](?:[/-]?[A-D]){1,3}\b(?:\s*(?:,|/|or|and)\s*"
    r"\b[A-D](?:[/-]?[A-D]){1,3}\b)+)"
)
_LABEL = re.compile(r"\b[A-D](?:[/-]?[A-D]){1,3}\b")
_TWO_PERIODS = re.compile(r"\b(?:2|two)[- ](?:period|way|treatment)\b|\b2\s*x\s*2\b|\btwo periods\b", re.IGNORECASE)
_MAX_DESIGN_LINES = 60
_MIN_ARMS = 2
_MAX_ARMS = 12
_MAX_NAME_WORDS = 8
_MAX_ENTRY_LINES = 40


@dataclass(frozen=True, slots=True)
class ParsedArm:
    """A study arm.

    Attributes:
        name: The arm's name.
        description: A short description (dose, regimen), if printed.
        sequence: For a crossover sequence, its treatments in period order.
    """

    name: str
    description: str | None = None
    sequence: tuple[str, ...] = ()


def extract_arms(doc: Document, sections: Sequence[Section]) -> list[ParsedArm]:
    """Arms listed in the synopsis or the study design section.

    Args:
        doc: The document.
        sections: Its sections, from :func:`common.protocols.sections.locate_sections`.

    Returns:
        The arms in printed order; empty when the protocol does not list them in a
        recognised way.
    """
    arms: list[ParsedArm] = []
    texts: list[str] = []
    for kind in ("synopsis", "study_design"):
        for section in sections_of(sections, kind):
            lines = doc.lines[section.start_line + 1 : section.end_line]
            texts.append(join_lines(line.text for line in lines[:_MAX_DESIGN_LINES]))
            if not arms:
                arms = _labelled_list(lines) or _enumeration(lines)
    text = " ".join(texts)
    if _CROSSOVER.search(text):
        sequences = _period_sequences(text) or _labelled_sequences(text, arms) or _two_by_two(text, arms)
        if sequences:
            return sequences
    return arms


def _short(name: str) -> str:
    """A treatment's name without its parenthetical ("IMG (GlucaGen, ...)" -> "IMG")."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip() or name


def _sequence(treatments: list[str]) -> ParsedArm:
    description = ", ".join(f"{t} in Period {k}" for k, t in enumerate(treatments, start=1))
    return ParsedArm(name="-".join(treatments), description=description, sequence=tuple(treatments))


def _period_sequences(text: str) -> list[ParsedArm]:
    match = _PERIOD_PHRASE.search(text)
    if match is None:
        return []
    first = [match["a"], match["b"]]
    if not match["vice"]:
        return [_sequence(first)]
    return [_sequence(first), _sequence(first[::-1])]


def _labelled_sequences(text: str, arms: list[ParsedArm]) -> list[ParsedArm]:
    match = _SEQUENCE_LABELS.search(text)
    if match is None:
        return []
    labels = [label.replace("/", "").replace("-", "") for label in _LABEL.findall(match["list"])]
    if len(labels) < _MIN_ARMS or len({len(label) for label in labels}) != 1:
        return []
    return [_sequence(list(label)) for label in labels]


def _two_by_two(text: str, arms: list[ParsedArm]) -> list[ParsedArm]:
    if len(arms) != _MIN_ARMS or not _TWO_PERIODS.search(text):
        return []
    a, b = (_short(arm.name) for arm in arms)
    return [_sequence([a, b]), _sequence([b, a])]


def _labelled_list(lines: Sequence[Line]) -> list[ParsedArm]:
    texts = [line.text for line in lines if line.text]
    for start, text in enumerate(texts):
        if not _LIST_LABEL.match(text):
            continue
        entries: list[tuple[str, list[str]]] = []
        for following in texts[start + 1 : start + 1 + _MAX_ENTRY_LINES]:
            entry = _ENTRY.match(following)
            if entry is not None and len(entry["name"].split()) <= _MAX_NAME_WORDS:
                entries.append((entry["name"].strip(), [entry["desc"]]))
            elif entries and not following[0].isupper():
                entries[-1][1].append(following)  # a wrapped description
            else:
                break
        if _MIN_ARMS <= len(entries) <= _MAX_ARMS:
            return [ParsedArm(name=name, description=join_lines(desc) or None) for name, desc in entries]
    return []


def _enumeration(lines: Sequence[Line]) -> list[ParsedArm]:
    text = join_lines(line.text for line in lines)
    for match in _ENUMERATION.finditer(text):
        listed = _until_sentence_end(text[match.end() :])
        arms: list[ParsedArm] = []
        for part in _split_top_level(listed):
            item = _ARM_ITEM.match(part.strip())
            if item is None:
                arms = []
                break
            name = item["name"].strip()
            if len(name.split()) > _MAX_NAME_WORDS:
                arms = []
                break
            desc = (item["desc"] or "").strip() or None
            arms.append(ParsedArm(name=name[0].upper() + name[1:], description=desc))
        if _MIN_ARMS <= len(arms) <= _MAX_ARMS:
            return arms
    return []


def _until_sentence_end(text: str) -> str:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "." and depth == 0 and (i + 1 == len(text) or text[i + 1] == " "):
            return text[:i]
    return text


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch in ",;" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    out: list[str] = []
    for part in parts:
        # "a placebo arm and a high-dose arm" without a serial comma.
        out.extend(p for p in re.split(r"\s+and\s+(?=(?:an?|the)\s)", part.strip()) if p.strip())
    return out
