"""Planned enrolment: how many participants the protocol plans to enrol, when it says so.

Looked for in the synopsis ("Number of Patients:", "Planned enrolment:"), then the sections
on the number of participants and the study design, then the first pages. A number counts only
in a sentence about enrolling or randomising participants ("Approximately 300 patients will be
enrolled", "Seventy five patients may be enrolled", "A total of 120 participants will be
randomized"); numbers written in words up to the hundreds are read. Completers, evaluable or
screened counts do not count. Matches USDM's ``plannedEnrollmentNumber``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from common.pdf.document import Document, Line
from common.pdf.layout import join_lines
from common.protocols.sections import Section, sections_of

__all__ = ["find_planned_enrolment", "parse_enrolment", "words_to_number"]

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORD = "|".join([*_UNITS, *_TENS, "hundred", "thousand", "and"])
_NUMBER = rf"\b(?P<n>\d{{1,3}}(?:,\d{{3}})*|\d+|(?:(?:{_NUMBER_WORD})[\s-]*)+)"
_PEOPLE = r"(?:patients|participants|subjects|volunteers|individuals|women|men|children|adults)"
_ENROL = r"(?:enrol?led|randomi[sz]ed|included|recruited|entered|assigned)"
_SENTENCES = (
    # "Approximately 300 patients ... will be enrolled", "Seventy five patients may be enrolled"
    re.compile(
        rf"(?:approximately|about|up to|a total of|total of|at least)?\s*{_NUMBER}\s+(?:\w+[\s-]+){{0,6}}?{_PEOPLE}"
        rf"[^.;]{{0,80}}?\b(?:will|may|are planned to|is planned to|shall|to)\s+be\s+{_ENROL}",
        re.IGNORECASE,
    ),
    # "enrol approximately 120 participants", "plan to randomize 66 patients"
    re.compile(
        rf"\b(?:enrol?l?|randomi[sz]e|recruit)\s+(?:approximately|about|up to|a total of)?\s*{_NUMBER}\s+{_PEOPLE}",
        re.IGNORECASE,
    ),
    # "Planned enrolment: 300", "Number of patients: approximately 300"
    re.compile(
        rf"^(?:planned\s+)?(?:enrol?lment|number of (?:{_PEOPLE}|participants))(?:\s+planned)?\s*[:\u2013-]\s*"
        rf"(?:approximately|about|up to|a total of)?\s*{_NUMBER}\b",
        re.IGNORECASE,
    ),
)
_NOT_ENROLMENT = re.compile(r"\b(?:complet\w*|evaluable|screen\w*|per (?:site|arm|group|cohort))\b", re.IGNORECASE)
_SECTION_TITLE = re.compile(r"number of (?:patients|participants|subjects)|sample size|enrol?lment", re.IGNORECASE)
_FIRST_PAGES = 12
_MAX_PLAUSIBLE = 100_000


def words_to_number(text: str) -> int | None:
    """``"seventy five"`` -> 75, ``"three hundred"`` -> 300, ``"1,200"`` -> 1200; ``None`` otherwise."""
    cleaned = text.strip().lower().replace(",", "")
    if cleaned.isdigit():
        return int(cleaned)
    total = current = 0
    seen = False
    for word in re.split(r"[\s-]+", cleaned):
        if not word or word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def parse_enrolment(text: str) -> int | None:
    """The planned number of participants stated in one sentence or label, if any.

    Args:
        text: A sentence or a ``"Label: value"`` line.

    Returns:
        The number, or ``None`` when the text does not state a planned enrolment.
    """
    for pattern in _SENTENCES:
        for match in pattern.finditer(text):
            if _NOT_ENROLMENT.search(match.group(0)):
                continue
            number = words_to_number(match["n"])
            if number is not None and 0 < number < _MAX_PLAUSIBLE:
                return number
    return None


def find_planned_enrolment(doc: Document, sections: Sequence[Section]) -> int | None:
    """The planned enrolment stated in the synopsis, design or first pages.

    Args:
        doc: The document.
        sections: Its sections.

    Returns:
        The number of participants, or ``None`` when the protocol states none.
    """
    sources: list[Iterable[Line]] = [doc.lines[s.start_line : s.end_line] for s in sections_of(sections, "synopsis")]
    sources.extend(doc.lines[s.start_line : s.end_line] for s in sections_of(sections, "study_design"))
    sources.append(line for line in doc.lines if line.page <= _FIRST_PAGES)
    for lines in sources:
        for sentence in _sentences(lines):
            number = parse_enrolment(sentence)
            if number is not None:
                return number
    return None


def _sentences(lines: Iterable[Line]) -> Iterable[str]:
    """Running text cut at sentence ends and at ``Label:`` lines, so a label meets its value."""
    buffer: list[str] = []
    for line in lines:
        text = line.text
        if not text:
            continue
        if buffer and (text.endswith(":") or _SECTION_TITLE.match(text)):
            yield join_lines(buffer)
            buffer = []
        buffer.append(text)
        joined = " ".join(buffer)
        if joined.endswith(".") or len(joined) > 600:
            yield join_lines(buffer)
            buffer = []
    if buffer:
        yield join_lines(buffer)
