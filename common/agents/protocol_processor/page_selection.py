"""Which pages of a protocol the model mode sends, and what they cost in tokens. Pure: no model, no I/O.

The model never sees the whole document. :func:`select_pages` picks pages from the sections the
section locator (:func:`common.protocols.sections.locate_sections`) found, in this priority order:

1. ``title``: pages 1 to :data:`TITLE_PAGES`, except table of contents pages (title, phase);
2. ``inclusion`` and ``exclusion``: every page of every such section (the criteria and the page
   each starts on);
3. ``eligibility``: every page of the eligibility ("Study Population") sections, only when no
   inclusion or no exclusion section was found (the criteria are then somewhere inside it);
4. ``objectives_endpoints``: the first :data:`OBJECTIVES_PAGES` pages of each such section;
5. ``synopsis``: the first :data:`SYNOPSIS_PAGES` pages of each (title, phase, arms, summaries);
6. ``study_design``: the first :data:`DESIGN_PAGES` pages of each (arms, design).

The schedule of activities is never selected for its own sake: it is mostly large tables and
none of the summary's fields come from it (a page it shares with a selected section is sent).

When the locator finds no inclusion, exclusion or eligibility section, the criteria cannot be
targeted: the selection falls back to the first :data:`FALLBACK_PAGES` pages (strategy
``"first_pages"``, reason ``first_pages``), followed by whatever objectives, synopsis and design
sections were found. It never falls back to the whole document.

Table of contents pages and amendment-summary pages
(:func:`common.protocols.amendments.find_amendment_pages`) are never selected, whatever rule
would choose them, and a section whose heading sits on one is ignored: an amendment summary
quotes the headings it changed ("6.2 Exclusion Criteria ...") and is not that section.

Caps bound what one protocol can cost: pages are taken in that order, a page that would take
the total past ``max_tokens`` estimated tokens is skipped, and selection stops at ``max_pages``
pages; either way ``truncated`` is set. Pages without text (after running headers and footers
are removed) are never sent.

Token estimate: one estimator for everything, :func:`estimate_tokens`, ``ceil(chars / 4)``, the
usual OpenAI rule of thumb for English text (about four characters per token; OpenAI, "What are
tokens and how to count them?"). It is applied to each page exactly as it is sent, i.e. the page
marker line ``=== page N ===`` plus the page's lines (:func:`render_page`), and summed. The
whole document's estimate (``document_tokens``) renders every page the same way, so the two
numbers compare like with like. The estimate covers the page excerpt only: the system prompt,
the instructions and the answer schema come on top (the provider's own count is in
``Usage.input_tokens``).

Usage::

    doc = document_from_pdf(pdf)
    selection = select_pages(doc)
    selection.pages, selection.selected_tokens, selection.document_tokens, selection.fraction
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from common.pdf.document import Document
from common.pdf.toc import find_toc_pages
from common.protocols.amendments import find_amendment_pages
from common.protocols.sections import Section, SectionKind, locate_sections, sections_of

__all__ = [
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_TOKENS",
    "DESIGN_PAGES",
    "FALLBACK_PAGES",
    "OBJECTIVES_PAGES",
    "SYNOPSIS_PAGES",
    "TITLE_PAGES",
    "PageReason",
    "PageSelection",
    "SelectionStrategy",
    "estimate_tokens",
    "format_pages",
    "page_texts",
    "page_tokens",
    "render_page",
    "render_pages",
    "select_pages",
]

DEFAULT_MAX_PAGES = 40
"""Most pages sent to the model. The two reference protocols need 12 and 17."""
DEFAULT_MAX_TOKENS = 32_000
"""Most estimated tokens of page text sent (:func:`estimate_tokens`), about 128,000 characters.

Leaves room for the prompt, the schema and the answer in a 128k-token context window (e.g.
``gpt-4o-mini``), and bounds the cost of one call whatever the protocol's size.
"""
TITLE_PAGES = 2
"""Leading pages sent for the title and phase (table of contents pages excluded)."""
OBJECTIVES_PAGES = 6
"""Most pages sent per objectives/endpoints section."""
SYNOPSIS_PAGES = 8
"""Most pages sent per synopsis section."""
DESIGN_PAGES = 2
"""Most pages sent per study design section: its first pages describe the design and arms."""
FALLBACK_PAGES = 20
"""Leading pages sent when no criteria section was located."""
CHARS_PER_TOKEN = 4
"""The estimator's ratio: ``ceil(chars / 4)`` tokens."""

SelectionStrategy = Literal["sections", "first_pages"]
"""``sections``: pages chosen from located criteria sections; ``first_pages``: the fallback."""
PageReason = Literal[
    "title",
    "inclusion",
    "exclusion",
    "eligibility",
    "objectives_endpoints",
    "synopsis",
    "study_design",
    "first_pages",
]
"""Why a page was selected: the first rule (in priority order) that chose it."""


@dataclass(frozen=True, slots=True)
class PageSelection:
    """The pages chosen for the model, and their cost.

    Attributes:
        pages: Selected 1-based PDF page numbers, ascending.
        reasons: For each selected page, the rule that chose it (see :data:`PageReason`).
        strategy: ``"sections"``, or ``"first_pages"`` when no criteria section was located.
        selected_tokens: Estimated tokens of the selected pages as sent (:func:`estimate_tokens`
            of each :func:`render_page`, summed).
        document_tokens: The same estimate over every page of the document.
        page_count: Pages in the document.
        truncated: True when a cap (``max_pages`` or ``max_tokens``) dropped pages that a rule
            had chosen.
    """

    pages: tuple[int, ...]
    reasons: Mapping[int, PageReason]
    strategy: SelectionStrategy
    selected_tokens: int
    document_tokens: int
    page_count: int
    truncated: bool = False

    @property
    def fraction(self) -> float:
        """``selected_tokens / document_tokens`` (0.0 for a document without text)."""
        return self.selected_tokens / self.document_tokens if self.document_tokens else 0.0


def estimate_tokens(text: str) -> int:
    """Estimated tokens of ``text``: ``ceil(len(text) / 4)``, 0 for ``""``.

    The common OpenAI rule of thumb (~4 characters per token of English). Clinical text with
    numbers and symbols tokenises somewhat denser, so treat it as an estimate, not a count.

    Args:
        text: Any text.

    Returns:
        The estimate, in tokens.
    """
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def page_texts(doc: Document) -> tuple[str, ...]:
    """The text of each page: its non-blank lines joined by newlines.

    Running headers and footers are already gone (:func:`common.pdf.layout.build_document`).

    Args:
        doc: The document.

    Returns:
        One string per page; index 0 is PDF page 1; ``""`` for a page without text.
    """
    lines: list[list[str]] = [[] for _ in range(doc.page_count)]
    for line in doc.lines:
        if line.text and 1 <= line.page <= doc.page_count:
            lines[line.page - 1].append(line.text)
    return tuple("\n".join(page) for page in lines)


def render_page(page: int, text: str) -> str:
    """One page as sent to the model: a marker line, then its text.

    Args:
        page: 1-based PDF page number.
        text: The page's text (:func:`page_texts`).

    Returns:
        The marker line ``=== page N ===``, a newline, then ``text``.
    """
    return f"=== page {page} ===\n{text}"


def render_pages(texts: Sequence[str], pages: Iterable[int]) -> str:
    """The excerpt sent to the model: each page rendered by :func:`render_page`, blank line between.

    Args:
        texts: Page texts from :func:`page_texts`.
        pages: 1-based page numbers, in the order to send them.

    Returns:
        The excerpt. Pages without text are left out.
    """
    return "\n\n".join(render_page(p, texts[p - 1]) for p in pages if texts[p - 1])


def page_tokens(texts: Sequence[str]) -> tuple[int, ...]:
    """Estimated tokens of each page as sent (0 for a page without text).

    Args:
        texts: Page texts from :func:`page_texts`.

    Returns:
        One estimate per page; index 0 is PDF page 1.
    """
    return tuple(estimate_tokens(render_page(i, t)) if t else 0 for i, t in enumerate(texts, start=1))


def format_pages(pages: Iterable[int]) -> str:
    """Page numbers as compact ranges, e.g. ``[1, 7, 8, 9, 11]`` -> ``"1, 7-9, 11"``.

    Args:
        pages: 1-based page numbers, any order, duplicates allowed.

    Returns:
        The ranges, comma separated; ``""`` for no pages.
    """
    ordered = sorted(set(pages))
    runs: list[str] = []
    start = previous = None
    for page in [*ordered, None]:
        if start is not None and previous is not None and page != previous + 1:
            runs.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if page is not None and start is None:
            start = page
        previous = page
    return ", ".join(runs)


def select_pages(
    doc: Document,
    sections: Sequence[Section] | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> PageSelection:
    """Choose the pages to send to the model (policy in the module docstring).

    Args:
        doc: The document, from :func:`common.pdf.layout.build_document`.
        sections: Its sections from :func:`common.protocols.sections.locate_sections`;
            located here when ``None``.
        max_pages: Most pages to select (>= 1).
        max_tokens: Most estimated tokens of page text to select (>= 1).

    Returns:
        The selection, with the estimated tokens of the selected pages and of the whole document.

    Raises:
        ValueError: ``max_pages`` or ``max_tokens`` is below 1.
    """
    if max_pages < 1 or max_tokens < 1:
        raise ValueError("max_pages and max_tokens must be at least 1")
    found = locate_sections(doc) if sections is None else list(sections)
    texts = page_texts(doc)
    tokens = page_tokens(texts)
    wanted, strategy = _wanted(doc, found)

    reasons: dict[int, PageReason] = {}
    spent = 0
    truncated = False
    for reason, page in wanted:
        if page in reasons or not 1 <= page <= doc.page_count or not texts[page - 1]:
            continue
        if len(reasons) >= max_pages:
            truncated = True
            break
        cost = tokens[page - 1]
        if spent + cost > max_tokens:
            truncated = True  # skip it; a smaller page later in the order may still fit
            continue
        reasons[page] = reason
        spent += cost
    return PageSelection(
        pages=tuple(sorted(reasons)),
        reasons=dict(sorted(reasons.items())),
        strategy=strategy,
        selected_tokens=spent,
        document_tokens=sum(tokens),
        page_count=doc.page_count,
        truncated=truncated,
    )


def _first(section: Section, limit: int | None) -> range:
    pages = section.pages
    return pages if limit is None else pages[:limit]


def _wanted(doc: Document, sections: Sequence[Section]) -> tuple[list[tuple[PageReason, int]], SelectionStrategy]:
    """Candidate pages with their reason, in priority order (duplicates allowed), and the strategy."""
    never = find_toc_pages(doc) | find_amendment_pages(doc, sections)
    sections = [s for s in sections if s.start_page not in never]
    wanted: list[tuple[PageReason, int]] = [
        ("title", p) for p in range(1, min(TITLE_PAGES, doc.page_count) + 1) if p not in never
    ]

    def add(kind: SectionKind, reason: PageReason, limit: int | None) -> None:
        for section in sections_of(sections, kind):
            wanted.extend((reason, p) for p in _first(section, limit) if p not in never)

    has_inclusion = bool(sections_of(sections, "inclusion"))
    has_exclusion = bool(sections_of(sections, "exclusion"))
    add("inclusion", "inclusion", None)
    add("exclusion", "exclusion", None)
    if not (has_inclusion and has_exclusion):
        add("eligibility", "eligibility", None)
    strategy: SelectionStrategy = "sections"
    if not (has_inclusion or has_exclusion or sections_of(sections, "eligibility")):
        strategy = "first_pages"
        wanted.extend(("first_pages", p) for p in range(1, min(FALLBACK_PAGES, doc.page_count) + 1) if p not in never)
    add("objectives_endpoints", "objectives_endpoints", OBJECTIVES_PAGES)
    add("synopsis", "synopsis", SYNOPSIS_PAGES)
    add("study_design", "study_design", DESIGN_PAGES)
    return wanted, strategy
