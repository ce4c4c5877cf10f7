"""The offline protocol processor: deterministic rules, no model, no network.

Stages, each reported to ``on_stage(name, seconds)`` when it finishes:

* ``extract_text``: PDF text per page and outline (pypdf), then lines without running
  headers/footers;
* ``locate_sections``: key sections and their pages;
* ``parse_criteria``: inclusion and exclusion criteria;
* ``extract_fields``: title, phase, arms, objectives, endpoints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager

from common.agents.protocol_processor.models import (
    Arm,
    Criterion,
    Endpoints,
    Objective,
    ProtocolSummary,
    SectionRef,
)
from common.documents.criteria import ParsedCriterion, parse_criteria
from common.documents.document import Document, OutlineEntry
from common.documents.layout import build_document
from common.documents.pdf_text import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, read_pdf
from common.documents.protocol_fields import extract_fields
from common.documents.sections import locate_sections

__all__ = ["METHOD", "STAGES", "StageCallback", "extract_summary", "summarise_document", "summarise_pages"]

METHOD = "rules"
STAGES = ("extract_text", "locate_sections", "parse_criteria", "extract_fields")

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
            :mod:`common.documents.errors` when the PDF is empty, too large, not a PDF,
            corrupt, encrypted or has no text layer.
    """
    with _stage("extract_text", on_stage):
        pdf = read_pdf(data, max_bytes=max_bytes, max_pages=max_pages)
        doc = build_document(pdf.pages, pdf.outline, pdf.line_x)
    return summarise_document(doc, on_stage=on_stage)


def summarise_pages(
    pages: Sequence[str], *, outline: Sequence[OutlineEntry] = (), on_stage: StageCallback | None = None
) -> ProtocolSummary:
    """Summarise a protocol from already extracted page texts.

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


def summarise_document(doc: Document, *, on_stage: StageCallback | None = None) -> ProtocolSummary:
    """Summarise a protocol already turned into lines.

    Args:
        doc: The document, from :func:`common.documents.layout.build_document`.
        on_stage: Optional stage-timing callback, called for every stage but ``extract_text``.

    Returns:
        The summary, ``method="rules"``.
    """
    with _stage("locate_sections", on_stage):
        sections = locate_sections(doc)
    with _stage("parse_criteria", on_stage):
        criteria = parse_criteria(doc, sections)
    with _stage("extract_fields", on_stage):
        fields = extract_fields(doc, sections)
    found = fields.objectives
    return ProtocolSummary(
        title=fields.title,
        phase=fields.phase,
        arms=[Arm(name=arm.name, description=arm.description) for arm in fields.arms],
        objectives=[Objective(level=o.level, text=o.text) for o in found.objectives],
        endpoints=Endpoints(primary=list(found.primary_endpoints), secondary=list(found.secondary_endpoints)),
        inclusion_criteria=_criteria(criteria.inclusion),
        exclusion_criteria=_criteria(criteria.exclusion),
        sections=[
            SectionRef(kind=s.kind, title=s.title, number=s.number, start_page=s.start_page, end_page=s.end_page)
            for s in sections
        ],
        method=METHOD,
        page_count=doc.page_count,
    )


def _criteria(parsed: Sequence[ParsedCriterion]) -> list[Criterion]:
    return [Criterion(id=c.id, text=c.text, page=c.page) for c in parsed]
