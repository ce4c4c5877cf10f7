"""What the protocol processor's model mode sends, the shape it asks back, and how that becomes a summary. Pure.

The model gets only the selected pages (:mod:`common.agents.protocol_processor.page_selection`),
each under a ``=== page N ===`` marker with its 1-based PDF page number, plus a short guide to
which located section each page came from. It is asked for the whole summary, criteria
included, with the page each criterion starts on.

The answer schema, :class:`SummaryAnswer`, stays inside OpenAI's strict structured-output subset
(every field required, no defaults, no length limits, no nullable unions) so every format mode
and provider accepts it: "not found" is the empty string or an empty list. :func:`to_summary`
converts it to :class:`~common.agents.protocol_processor.models.ProtocolSummary`; the sections and
the page count come from the locator and the PDF, never from the model.

:func:`check_answer` rejects an answer whose criterion pages were not sent (or whose criterion
text is empty), so the model is asked once more and a second failure is a permanent
``model_output_invalid``. A page outside the excerpt can only be invented, so it is rejected
rather than clamped to a nearby page: a clamped page would look like provenance and not be.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from common.agents.protocol_processor.models import (
    Arm,
    Criterion,
    Endpoints,
    Objective,
    ProtocolSummary,
    SectionRef,
)
from common.agents.protocol_processor.page_selection import (
    PageReason,
    PageSelection,
    format_pages,
    render_pages,
)
from common.llm.port import OutputCheck, OutputRejected
from common.protocols.phase import normalise_phase

__all__ = [
    "SYSTEM_PROMPT",
    "AnswerArm",
    "AnswerCriterion",
    "AnswerObjective",
    "SummaryAnswer",
    "build_prompt",
    "check_answer",
    "to_summary",
]

SYSTEM_PROMPT = """\
You extract a structured summary from a clinical-trial protocol.

You are given selected pages of the protocol PDF, not the whole document. Each page starts with a
line "=== page N ===", where N is its 1-based page number in the PDF. Use only the text given;
never invent content. When something is not in the pages, answer "" (or an empty list).

Fields:
- title: the official full title of the study, as printed (wrapped lines joined).
- phase: the trial phase as printed, e.g. "Phase 3" or "Phase 1/2"; "" if not stated.
- arms: the study arms (treatment groups): a short name and a one-sentence description ("" if none).
- objectives: each objective with its level (primary, secondary, exploratory, or other).
- primary_endpoints, secondary_endpoints: the endpoints as listed.
- inclusion_criteria, exclusion_criteria: every criterion, in document order. One entry per
  top-level numbered or bulleted criterion; fold its sub-items (a, b, i, ii, ...) into its text.
  - id: the label as printed without brackets ("3", "16b"); "" when the list is unnumbered.
  - text: the criterion's full text as printed (whitespace may be normalised).
  - page: the N of the "=== page N ===" marker under which the criterion STARTS. It must be one
    of the page numbers shown."""

_REASON_LABELS: dict[PageReason, str] = {
    "title": "title page",
    "inclusion": "inclusion criteria",
    "exclusion": "exclusion criteria",
    "eligibility": "study population / eligibility",
    "objectives_endpoints": "objectives and endpoints",
    "synopsis": "synopsis",
    "study_design": "study design (first pages)",
    "first_pages": "first pages (no criteria section was located)",
}
_MAX_PROBLEMS = 5


class AnswerCriterion(BaseModel):
    """One inclusion or exclusion criterion as the model reports it."""

    id: str = Field(description='The label as printed, without brackets ("3", "16b"); "" when unnumbered.')
    text: str = Field(description="The full text of the criterion, sub-items included.")
    page: int = Field(description='N of the "=== page N ===" marker under which the criterion starts.')


class AnswerArm(BaseModel):
    """A study arm as the model reports it."""

    name: str = Field(description="The arm's name, e.g. the treatment and dose.")
    description: str = Field(description='One sentence describing the arm; "" if none is given.')


class AnswerObjective(BaseModel):
    """A study objective as the model reports it."""

    level: Literal["primary", "secondary", "exploratory", "other"]
    text: str


class SummaryAnswer(BaseModel):
    """The protocol summary, as extracted from the pages given."""

    title: str = Field(description='The official full title; "" if not in the pages.')
    phase: str = Field(description='The trial phase as printed, e.g. "Phase 3"; "" if not stated.')
    arms: list[AnswerArm]
    objectives: list[AnswerObjective]
    primary_endpoints: list[str]
    secondary_endpoints: list[str]
    inclusion_criteria: list[AnswerCriterion]
    exclusion_criteria: list[AnswerCriterion]


def _guide(selection: PageSelection) -> str:
    by_reason: dict[PageReason, list[int]] = {}
    for page, reason in selection.reasons.items():
        by_reason.setdefault(reason, []).append(page)
    return "\n".join(f"- {_REASON_LABELS[reason]}: pages {format_pages(pages)}" for reason, pages in by_reason.items())


def build_prompt(texts: Sequence[str], selection: PageSelection) -> str:
    """The user prompt: what was selected and why, then the selected pages under their markers.

    Args:
        texts: Every page's text (:func:`~common.agents.protocol_processor.page_selection.page_texts`);
            only the selected pages are rendered.
        selection: The pages to send.

    Returns:
        The prompt. It contains the text of the selected pages and of no other page.
    """
    pages = format_pages(selection.pages)
    return (
        f"The protocol has {selection.page_count} pages. These {len(selection.pages)} pages were selected "
        f"from the sections located in it (pages {pages}):\n"
        f"{_guide(selection)}\n\n"
        f"{render_pages(texts, selection.pages)}\n\n"
        "Return the summary. Every criterion's page must be one of the pages shown: "
        f"{pages}."
    )


def check_answer(sent_pages: Collection[int]) -> OutputCheck[SummaryAnswer]:
    """A check that every criterion has text and starts on a page that was sent.

    Args:
        sent_pages: The 1-based page numbers in the prompt.

    Returns:
        A callable raising :class:`~common.llm.port.OutputRejected`. Its message names fields,
        indexes and page numbers only, never text, as the adapter logs it.
    """
    allowed = frozenset(sent_pages)
    listed = format_pages(allowed)

    def check(answer: SummaryAnswer) -> None:
        problems: list[str] = []
        for field, criteria in (
            ("inclusion_criteria", answer.inclusion_criteria),
            ("exclusion_criteria", answer.exclusion_criteria),
        ):
            for i, criterion in enumerate(criteria):
                if criterion.page not in allowed:
                    problems.append(f"{field}[{i}].page is {criterion.page}, a page that was not given")
                if not criterion.text.strip():
                    problems.append(f"{field}[{i}].text is empty")
        if problems:
            more = len(problems) - _MAX_PROBLEMS
            shown = "; ".join(problems[:_MAX_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
            raise OutputRejected(
                f"{shown}. Every criterion needs its text and the page it starts on, one of: {listed}."
            )

    return check


def _text(value: str) -> str:
    return " ".join(value.split())


def _criteria(items: Iterable[AnswerCriterion], prefix: str) -> list[Criterion]:
    out: list[Criterion] = []
    for n, item in enumerate(items, start=1):
        label = _text(item.id).strip("[]() .")
        out.append(Criterion(id=label or f"{prefix}{n}", text=_text(item.text), page=item.page))
    return out


def to_summary(
    answer: SummaryAnswer, *, sections: Sequence[SectionRef], page_count: int, method: str
) -> ProtocolSummary:
    """The :class:`ProtocolSummary` for a checked model answer.

    Whitespace is normalised; ``""`` becomes ``None`` (title, phase, arm description); the phase
    is normalised with :func:`common.protocols.phase.normalise_phase` (``"Phase III"``
    -> ``"Phase 3"``; text naming no phase -> ``None``); unlabelled criteria get ``"I<n>"`` /
    ``"E<n>"`` ids as in the rules extractor; empty objectives, endpoints and arm names are dropped.

    Args:
        answer: The model's answer, already accepted by :func:`check_answer`.
        sections: Key sections from the locator.
        page_count: Pages in the PDF.
        method: The summary's ``method``, ``"llm:<provider/model>"``.

    Returns:
        The summary.
    """
    return ProtocolSummary(
        title=_text(answer.title) or None,
        phase=normalise_phase(answer.phase),
        arms=[
            Arm(name=_text(arm.name), description=_text(arm.description) or None)
            for arm in answer.arms
            if arm.name.strip()
        ],
        objectives=[Objective(level=o.level, text=_text(o.text)) for o in answer.objectives if o.text.strip()],
        endpoints=Endpoints(
            primary=[_text(e) for e in answer.primary_endpoints if e.strip()],
            secondary=[_text(e) for e in answer.secondary_endpoints if e.strip()],
        ),
        inclusion_criteria=_criteria(answer.inclusion_criteria, "I"),
        exclusion_criteria=_criteria(answer.exclusion_criteria, "E"),
        sections=list(sections),
        method=method,
        page_count=page_count,
    )
