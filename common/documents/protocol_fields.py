"""Best-effort protocol fields: title, phase, arms, objectives and endpoints.

Rules favour precision: a field is left empty rather than filled with a guess.

* Title: a "Title of Study:" style label on the first pages or in the synopsis; otherwise the
  most title-like block of the title page (boilerplate, protocol codes and dates removed).
* Phase: "Phase 3", "Phase II", "Phase 1/2", "Phase IIb" in the title, then in the synopsis,
  the first pages and the design section; normalised to arabic numerals ("Phase 2b").
* Arms: see :mod:`common.documents.arms`; objectives and endpoints: see
  :mod:`common.documents.objectives`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from common.documents.arms import ParsedArm, extract_arms
from common.documents.document import Document, Line
from common.documents.layout import join_lines
from common.documents.objectives import ObjectivesAndEndpoints, extract_objectives
from common.documents.sections import Section, sections_of

__all__ = ["ProtocolFields", "extract_fields", "find_phase", "find_title", "normalise_phase"]

_TITLE_LABEL = re.compile(
    r"^(?:(?:full|official|protocol|study|trial|scientific|long)\s+)?title(?:\s+of\s+(?:the\s+)?(?:study|trial|protocol))?"
    r"\s*[:\u2013-]\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
# "Sponsor:", "Protocol Number:", "Rationale:"; a title may contain a colon after many words.
_FIELD_LABEL = re.compile(r"^[A-Z][A-Za-z/()'-]*(?: [A-Za-z/()'-]+){0,4}:(?:\s|$)")
# What follows a labelled title: the next label or a numbered heading.
_ENDS_TITLE = re.compile(_FIELD_LABEL.pattern + r"|^\d{1,2}(?:\.\d{1,3})*\.?\s+[A-Z]")
_TITLE_WORDS = re.compile(
    r"\b(?:study|trial|phase|randomi[sz]ed|double[- ]blind|open[- ]label|placebo|efficacy|safety|evaluat\w*|"
    r"compar\w*|versus|vs\.?|patients|participants|subjects|treatment|multicent\w*|investigat\w*|"
    r"pharmacokinetic\w*|tolerability)\b",
    re.IGNORECASE,
)
_NOT_TITLE = re.compile(
    r"confidential|copyright|\u00a9|information contained|property of|may not be|page \d|\bversion\b|"
    r"\bdate\b|amendment|sponsor|\bnct\s?\d|eudract|\bind\b|approv|\bfinal\b|\bdraft\b|"
    r"\bprotocol (?:no|number|code|id)\b|signature|electronically signed|@|\bphone\b|\bfax\b|\bwww\.",
    re.IGNORECASE,
)
_PROTOCOL_CODE = re.compile(
    r"^(?:clinical\s+)?(?:study\s+|trial\s+)?protocol\s*[:#]?\s*[A-Z0-9][\w().-]*$", re.IGNORECASE
)
_PHASE = re.compile(
    r"\bphase\s*[:\-]?\s*(?P<a>iv|iii|ii|i|[0-4])(?P<sa>[ab])?"
    r"(?:\s*(?:/|-|\u2013|and|to)\s*(?:phase\s*)?(?P<b>iv|iii|ii|i|[1-4])(?P<sb>[ab])?)?\b",
    re.IGNORECASE,
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_TITLE_PAGES = 2
_LABEL_PAGES = 15
_MAX_TITLE_LINES = 6
_MIN_TITLE_CHARS = 25
_MAX_TITLE_CHARS = 400
_PHASE_PAGES = 3


@dataclass(frozen=True, slots=True)
class ProtocolFields:
    """The non-criteria fields of a protocol summary.

    Attributes:
        title: Official title, if found.
        phase: Normalised phase ("Phase 3", "Phase 1/2"), if found.
        arms: Study arms, when explicitly listed.
        objectives: Objectives and endpoints.
    """

    title: str | None = None
    phase: str | None = None
    arms: tuple[ParsedArm, ...] = ()
    objectives: ObjectivesAndEndpoints = field(default_factory=ObjectivesAndEndpoints)


def extract_fields(doc: Document, sections: Sequence[Section]) -> ProtocolFields:
    """Title, phase, arms, objectives and endpoints of a protocol.

    Args:
        doc: The document.
        sections: Its sections, from :func:`common.documents.sections.locate_sections`.

    Returns:
        The fields; each is empty when it could not be found with confidence.
    """
    title = find_title(doc, sections)
    return ProtocolFields(
        title=title,
        phase=find_phase(doc, sections, title),
        arms=tuple(extract_arms(doc, sections)),
        objectives=extract_objectives(doc, sections),
    )


def normalise_phase(text: str) -> str | None:
    """The first trial phase mentioned in ``text``, normalised.

    Args:
        text: Any text, e.g. ``"A Phase IIb, randomised study"``.

    Returns:
        ``"Phase 2b"``, ``"Phase 1/2"``, ... or ``None`` when no phase is mentioned.
    """
    match = _PHASE.search(text)
    if match is None:
        return None
    first = _ROMAN.get(match["a"].lower(), match["a"]) + (match["sa"] or "").lower()
    if match["b"] is None:
        return f"Phase {first}"
    second = _ROMAN.get(match["b"].lower(), match["b"]) + (match["sb"] or "").lower()
    return f"Phase {first}/{second}"


def find_phase(doc: Document, sections: Sequence[Section], title: str | None = None) -> str | None:
    """The trial phase, from the title, the synopsis, the first pages or the design section.

    Args:
        doc: The document.
        sections: Its sections.
        title: The title, if already known.

    Returns:
        The normalised phase, or ``None``.
    """
    if title and (phase := normalise_phase(title)):
        return phase
    sources: list[Iterable[Line]] = [doc.lines[s.start_line : s.end_line] for s in sections_of(sections, "synopsis")]
    sources.append(line for line in doc.lines if line.page <= _PHASE_PAGES)
    sources.extend(doc.lines[s.start_line : s.end_line] for s in sections_of(sections, "study_design"))
    for lines in sources:
        for line in lines:
            if "phase" in line.text.lower() and (phase := normalise_phase(line.text)):
                return phase
    return None


def find_title(doc: Document, sections: Sequence[Section]) -> str | None:
    """The protocol's full title.

    Args:
        doc: The document.
        sections: Its sections.

    Returns:
        The title as printed (wrapped lines joined), or ``None``.
    """
    return _labelled_title(doc, sections) or _title_page(doc)


def _labelled_title(doc: Document, sections: Sequence[Section]) -> str | None:
    spans = [(s.start_line, s.end_line) for s in sections_of(sections, "synopsis")]
    first_pages = [i for i, line in enumerate(doc.lines) if line.page <= _LABEL_PAGES]
    if first_pages:
        spans.append((first_pages[0], first_pages[-1] + 1))
    for start, end in spans:
        for i in range(start, end):
            match = _TITLE_LABEL.match(doc.lines[i].text)
            if match is None:
                continue
            parts = [match["rest"]] if match["rest"] else []
            for line in doc.lines[i + 1 : i + 1 + _MAX_TITLE_LINES]:
                if not line.text or line.page != doc.lines[i].page or _ENDS_TITLE.match(line.text):
                    break
                parts.append(line.text)
            title = join_lines(parts)
            if _MIN_TITLE_CHARS <= len(title) <= _MAX_TITLE_CHARS and _TITLE_WORDS.search(title):
                return title
    return None


def _title_page(doc: Document) -> str | None:
    best: tuple[int, str] | None = None
    for block in _blocks(line for line in doc.lines if line.page <= _TITLE_PAGES):
        title = join_lines(block)
        if not _MIN_TITLE_CHARS <= len(title) <= _MAX_TITLE_CHARS or title.endswith("."):
            continue
        score = len(_TITLE_WORDS.findall(title))
        if score and (best is None or score > best[0]):
            best = (score, title)
    return best[1] if best else None


def _blocks(lines: Iterable[Line]) -> list[list[str]]:
    """Runs of consecutive title-like lines; blank lines, boilerplate and labels separate them."""
    blocks: list[list[str]] = []
    current: list[str] = []
    page = 0

    def flush() -> None:
        nonlocal current
        if current:
            blocks.append(current)
        current = []

    for line in lines:
        text = line.text
        if line.page != page:
            flush()
            page = line.page
        if not text or _NOT_TITLE.search(text) or _PROTOCOL_CODE.match(text) or _FIELD_LABEL.match(text):
            flush()
            continue
        if len(current) >= _MAX_TITLE_LINES:
            flush()
        current.append(text)
    flush()
    return blocks
