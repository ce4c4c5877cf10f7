"""Best-effort protocol fields: title, phase, arms, objectives and endpoints.

Rules favour precision: a field is left empty rather than filled with a guess.

* Title: a "Title of Study:" style label on the first pages or in the synopsis; otherwise the
  most title-like block of the title page (boilerplate, protocol codes and dates removed).
* Phase: "Phase 3", "Phase II", "Phase 1/2", "Phase IIb" in the title, then in the synopsis,
  the first pages and the design section; normalised to arabic numerals ("Phase 2b").
* Arms: see :mod:`common.protocols.arms`; objectives and endpoints: see
  :mod:`common.protocols.objectives_endpoints`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from common.pdf.document import Document, Line
from common.pdf.layout import join_lines
from common.protocols.sections import Section, sections_of

__all__ = ["find_title", "first_text_page"]

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
)
"""Boilerplate, searched in lower-cased text: twice as fast as ``re.IGNORECASE`` on this pattern."""
_PROTOCOL_CODE = re.compile(
    r"^(?:clinical\s+)?(?:study\s+|trial\s+)?protocol\s*[:#]?\s*[A-Z0-9][\w().-]*$", re.IGNORECASE
)
_TITLE_PAGES = 2
_LABEL_PAGES = 15
_MAX_TITLE_LINES = 6
_MIN_TITLE_CHARS = 25
_MAX_TITLE_CHARS = 400


def first_text_page(doc: Document) -> int:
    """The first page that has body text (1 when the document has none)."""
    return next((line.page for line in doc.lines if line.text), 1)


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
    last_page = first_text_page(doc) + _LABEL_PAGES - 1
    first_pages = [i for i, line in enumerate(doc.lines) if line.page <= last_page]
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
    last_page = first_text_page(doc) + _TITLE_PAGES - 1
    for block in _blocks(line for line in doc.lines if line.page <= last_page):
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
        if not text or _NOT_TITLE.search(text.lower()) or _PROTOCOL_CODE.match(text) or _FIELD_LABEL.match(text):
            flush()
            continue
        if len(current) >= _MAX_TITLE_LINES:
            flush()
        current.append(text)
    flush()
    return blocks
