"""The trial phase: as written ("Phase IIb", "Phase 1/2") and normalised ("Phase 2b").

Looked for in the title, then the synopsis, the first pages with text and the study design
section. Roman numerals become arabic, a sub-phase letter is kept ("2b", never just "2"), and a
combined phase keeps both parts ("1/2"). The CDISC Controlled Terminology value for the trial
phase (codelist C66737, e.g. ``"PHASE IIB TRIAL"``) is derived from the normalised one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from common.pdf.document import Document, Line
from common.protocols.sections import Section, sections_of
from common.protocols.title import first_text_page

__all__ = ["PhaseFound", "cdisc_phase", "find_phase", "normalise_phase", "parse_phase"]

_PHASE = re.compile(
    r"\bphase\s*[:\-]?\s*(?P<a>iv|iii|ii|i|[0-4])(?:\s?(?P<sa>[ab])(?![a-z]))?"
    r"(?:\s*(?:/|-|\u2013|and|to)\s*(?:phase\s*)?(?P<b>iv|iii|ii|i|[1-4])(?:\s?(?P<sb>[ab])(?![a-z]))?)?\b",
    re.IGNORECASE,
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_ARABIC_TO_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV"}
_PHASE_PAGES = 3


@dataclass(frozen=True, slots=True)
class PhaseFound:
    """A trial phase as printed and normalised.

    Attributes:
        as_written: The phrase as printed, whitespace collapsed (``"Phase IIb"``).
        normalised: Arabic numerals, sub-phase kept (``"Phase 2b"``, ``"Phase 1/2"``).
    """

    as_written: str
    normalised: str


def parse_phase(text: str) -> PhaseFound | None:
    """The first trial phase mentioned in ``text``.

    Args:
        text: Any text, e.g. ``"A Phase IIb, randomised study"``.

    Returns:
        The phase as written and normalised, or ``None`` when no phase is mentioned.
    """
    match = _PHASE.search(text)
    if match is None:
        return None
    first = _ROMAN.get(match["a"].lower(), match["a"]) + (match["sa"] or "").lower()
    normalised = f"Phase {first}"
    if match["b"] is not None:
        second = _ROMAN.get(match["b"].lower(), match["b"]) + (match["sb"] or "").lower()
        normalised = f"Phase {first}/{second}"
    return PhaseFound(as_written=" ".join(match.group(0).split()), normalised=normalised)


def normalise_phase(text: str) -> str | None:
    """The first trial phase mentioned in ``text``, normalised (``"Phase 2b"``), or ``None``."""
    found = parse_phase(text)
    return found.normalised if found else None


def cdisc_phase(normalised: str | None) -> str | None:
    """The CDISC Controlled Terminology submission value for a normalised phase.

    Args:
        normalised: ``"Phase 2b"``, ``"Phase 1/2"``, ... as :func:`normalise_phase` returns.

    Returns:
        ``"PHASE IIB TRIAL"``, ``"PHASE I/II TRIAL"``, ...; ``None`` for ``None``.
    """
    if not normalised:
        return None
    parts = normalised.removeprefix("Phase ").split("/")
    roman = "/".join(_ARABIC_TO_ROMAN.get(p[:1], p[:1]) + p[1:].upper() for p in parts)
    return f"PHASE {roman} TRIAL"


def find_phase(doc: Document, sections: Sequence[Section], title: str | None = None) -> PhaseFound | None:
    """The trial phase, from the title, the synopsis, the first pages or the design section.

    Args:
        doc: The document.
        sections: Its sections.
        title: The title, if already known.

    Returns:
        The phase, or ``None`` when the document states none.
    """
    if title and (found := parse_phase(title)):
        return found
    last_page = first_text_page(doc) + _PHASE_PAGES - 1
    sources: list[Iterable[Line]] = [doc.lines[s.start_line : s.end_line] for s in sections_of(sections, "synopsis")]
    sources.append(line for line in doc.lines if line.page <= last_page)
    sources.extend(doc.lines[s.start_line : s.end_line] for s in sections_of(sections, "study_design"))
    for lines in sources:
        for line in lines:
            if "phase" in line.text.lower() and (found := parse_phase(line.text)):
                return found
    return None
