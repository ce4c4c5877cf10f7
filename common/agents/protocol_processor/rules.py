"""The offline protocol processor: deterministic rules, no model, no network.

Stages, each reported to ``on_stage(name, seconds)`` when it finishes:

* ``extract_text``: PDF text per page, line boxes and outline (PDFium), then lines without
  running headers/footers and footnotes (:mod:`common.pdf`);
* ``locate_sections``: key sections and their pages (:mod:`common.protocols.sections`);
* ``parse_criteria``: the criteria sections' lines repaired from their glyphs (split words,
  superscript footnote numbers), then inclusion and exclusion criteria;
* ``extract_fields``: title, phase, arms, objectives and endpoints, planned enrolment;
* ``read_schedule``: the schedule of activities from its tables.

The PDF stays open from the first stage to the last, so the stages that need glyphs (word
repair, tables) can ask for them; it is closed before the summary is returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager

from common.agents.protocol_processor.models import (
    Activity,
    Arm,
    Criterion,
    Encounter,
    Endpoints,
    Objective,
    ProtocolSummary,
    ScheduleOfActivities,
    SectionRef,
)
from common.pdf.document import Document, OutlineEntry
from common.pdf.glyphs import PdfGlyphs
from common.pdf.layout import build_document, document_from_pdf
from common.pdf.text import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, open_pdf
from common.pdf.words import repair_lines
from common.protocols.arms import extract_arms
from common.protocols.criteria import ParsedCriterion, parse_criteria
from common.protocols.enrolment import find_planned_enrolment
from common.protocols.objectives_endpoints import extract_objectives
from common.protocols.phase import find_phase
from common.protocols.schedule_of_activities import ParsedSchedule, extract_schedule
from common.protocols.sections import Section, locate_sections
from common.protocols.title import find_title

__all__ = [
    "METHOD",
    "STAGES",
    "StageCallback",
    "extract_summary",
    "extract_summary_and_pages",
    "summarise_document",
    "summarise_pages",
]

METHOD = "rules"
STAGES = ("extract_text", "locate_sections", "parse_criteria", "extract_fields", "read_schedule")
# Sections whose lines are repaired from their glyphs before they are parsed (the eligibility
# section only when the criteria have no sections of their own: it is long).
_REPAIRED = frozenset({"inclusion", "exclusion", "objectives_endpoints"})
_REPAIRED_WITHOUT_CRITERIA = frozenset({"eligibility", "objectives_endpoints"})

StageCallback = Callable[[str, float], None]
"""Called with ``(stage name, seconds)`` as each stage finishes."""


@contextmanager
def _stage(name: str, on_stage: StageCallback | None) -> Generator[None]:
    started = time.perf_counter()
    yield
    if on_stage is not None:
        on_stage(name, time.perf_counter() - started)


def extract_summary(
    data: bytes,
    *,
    on_stage: StageCallback | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> ProtocolSummary:
    """Summarise a protocol PDF with rules only.

    Args:
        data: The PDF's bytes.
        on_stage: Optional callback receiving ``(stage name, seconds)`` for each of
            :data:`STAGES` as it finishes.
        max_bytes: Largest accepted input, in bytes.
        max_pages: Largest accepted number of pages.

    Returns:
        The summary, ``method="rules"``.

    Raises:
        DocumentError: A :class:`~common.errors.PermanentError` subclass from
            :mod:`common.pdf.errors` when the PDF is empty, too large, not a PDF, corrupt,
            encrypted or has no text layer.
    """
    return _summarise_pdf(data, on_stage=on_stage, max_bytes=max_bytes, max_pages=max_pages, with_pages=False)[0]


def extract_summary_and_pages(
    data: bytes,
    *,
    on_stage: StageCallback | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> tuple[ProtocolSummary, tuple[str, ...]]:
    """:func:`extract_summary`, and the text of each page it read (for the judges).

    Returns:
        The summary and one text per page (index 0 is page 1; running headers and footers
        removed, see :func:`common.agents.protocol_processor.page_selection.page_texts`).

    Raises:
        DocumentError: As :func:`extract_summary`.
    """
    return _summarise_pdf(data, on_stage=on_stage, max_bytes=max_bytes, max_pages=max_pages, with_pages=True)


def _summarise_pdf(
    data: bytes, *, on_stage: StageCallback | None, max_bytes: int, max_pages: int, with_pages: bool
) -> tuple[ProtocolSummary, tuple[str, ...]]:
    from common.agents.protocol_processor.page_selection import page_texts

    started = time.perf_counter()
    with open_pdf(data, max_bytes=max_bytes, max_pages=max_pages) as pdf:
        doc = document_from_pdf(pdf)
        if on_stage is not None:
            on_stage("extract_text", time.perf_counter() - started)
        return summarise_document(doc, glyphs=pdf.glyphs, on_stage=on_stage), page_texts(doc) if with_pages else ()


def summarise_pages(
    pages: Sequence[str], *, outline: Sequence[OutlineEntry] = (), on_stage: StageCallback | None = None
) -> ProtocolSummary:
    """Summarise a protocol from already extracted page texts (no glyphs: no tables, no word repair).

    Args:
        pages: Text of each page; index 0 is PDF page 1.
        outline: The PDF bookmarks, if known.
        on_stage: Optional stage-timing callback (see :func:`extract_summary`).

    Returns:
        The summary, ``method="rules"``.
    """
    with _stage("extract_text", on_stage):
        doc = build_document(pages, outline)
    return summarise_document(doc, on_stage=on_stage)


def summarise_document(
    doc: Document, *, glyphs: PdfGlyphs | None = None, on_stage: StageCallback | None = None
) -> ProtocolSummary:
    """Summarise a protocol already turned into lines.

    Args:
        doc: The document, from :func:`common.pdf.layout.build_document`.
        glyphs: The open PDF's glyphs, when the document came from a PDF that is still open;
            without them, words split by text runs stay split and no table is read.
        on_stage: Optional stage-timing callback, called for every stage but ``extract_text``.

    Returns:
        The summary, ``method="rules"``.
    """
    with _stage("locate_sections", on_stage):
        sections = locate_sections(doc)
    with _stage("parse_criteria", on_stage):
        has_criteria = any(s.kind in {"inclusion", "exclusion"} for s in sections)
        doc = repair_lines(doc, _lines_of(sections, _REPAIRED if has_criteria else _REPAIRED_WITHOUT_CRITERIA), glyphs)
        criteria = parse_criteria(doc, sections)
    with _stage("extract_fields", on_stage):
        title = find_title(doc, sections)
        phase = find_phase(doc, sections, title)
        arms = extract_arms(doc, sections)
        found = extract_objectives(doc, sections, glyphs)
        enrolment = find_planned_enrolment(doc, sections)
    with _stage("read_schedule", on_stage):
        schedule = extract_schedule(doc, sections, glyphs)
    return ProtocolSummary(
        title=title,
        phase=phase.normalised if phase else None,
        phase_as_written=phase.as_written if phase else None,
        arms=[Arm(name=arm.name, description=arm.description, sequence=list(arm.sequence)) for arm in arms],
        objectives=[Objective(level=o.level, text=o.text, endpoints=list(o.endpoints)) for o in found.objectives],
        endpoints=Endpoints(
            primary=list(found.primary_endpoints),
            secondary=list(found.secondary_endpoints),
            exploratory=list(found.exploratory_endpoints),
        ),
        inclusion_criteria=_criteria(criteria.inclusion),
        exclusion_criteria=_criteria(criteria.exclusion),
        planned_enrollment=enrolment,
        schedule_of_activities=_schedule(schedule),
        sections=[
            SectionRef(kind=s.kind, title=s.title, number=s.number, start_page=s.start_page, end_page=s.end_page)
            for s in sections
        ],
        method=METHOD,
        page_count=doc.page_count,
    )


def _lines_of(sections: Sequence[Section], kinds: frozenset[str]) -> list[int]:
    return [i for s in sections if s.kind in kinds for i in range(s.start_line, s.end_line)]


def _criteria(parsed: Sequence[ParsedCriterion]) -> list[Criterion]:
    return [Criterion(id=c.id, text=c.text, page=c.page) for c in parsed]


def _schedule(parsed: ParsedSchedule | None) -> ScheduleOfActivities | None:
    if parsed is None:
        return None
    return ScheduleOfActivities(
        encounters=[Encounter(name=e.name, timing=e.timing, window=e.window) for e in parsed.encounters],
        activities=[
            Activity(name=a.name, encounters=list(a.encounters), footnotes=list(a.footnotes)) for a in parsed.activities
        ],
        pages=sorted(parsed.pages),
    )
