"""The LLM judge: a rubric per agent, answered as ``{pass, score, reason}`` by the judge model.

It runs when a judge model is configured for the agent (``AGENTJOBS_JUDGE_MODEL__<AGENT>``),
separate from the agent's own model, through the same :class:`~common.llm.port.StructuredModel`
port (mirascope stays in :mod:`common.llm`). Its calls are recorded on its
:class:`~common.judges.models.Judgement` (``model``, ``usage``, ``cost``), a line of its own
beside the job's usage.

The reason must name criteria by id (``C3``, ``E12``) and never quote the patient note or the
document: an answer whose reason repeats :data:`QUOTE_WORDS` consecutive words of the material it
was shown is rejected and asked for once more (:class:`~common.llm.port.OutputRejected`), and a
second such answer is a ``judge_error`` (``not_judged``), never stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from common.agents.criteria_evaluator.models import CriteriaEvaluation, CriteriaEvaluatorInput
from common.agents.protocol_processor.models import ProtocolSummary
from common.judges.base import Subject
from common.llm.port import Generation, OutputRejected, StructuredModel

__all__ = ["JUDGE_NAME", "JUDGE_VERSION", "MAX_PAGE_CHARS", "QUOTE_WORDS", "JudgeAnswer", "Rubric", "ask", "rubric_for"]

JUDGE_NAME = "llm_rubric"
JUDGE_VERSION = "1"
QUOTE_WORDS = 6
"""A reason repeating this many consecutive words of the material it was shown is rejected."""
MAX_PAGE_CHARS = 60_000
"""Most characters of cited pages sent with a protocol summary."""
_REASON_CHARS = 300
_WORD = re.compile(r"[^\W_]+")


class JudgeAnswer(BaseModel):
    """The judge model's answer.

    Attributes:
        passed: ``pass`` in JSON: whether the output meets the rubric.
        score: 0.0 (entirely wrong) to 1.0 (entirely right).
        reason: One or two sentences naming the criteria at fault by id; no quotation.
    """

    model_config = ConfigDict(populate_by_name=True)

    passed: bool = Field(alias="pass")
    score: float = Field(ge=0.0, le=1.0)
    reason: str


@dataclass(frozen=True, slots=True)
class Rubric:
    """What the judge model is asked, for one agent.

    Attributes:
        system: The rubric (system prompt).
        render: Builds the user prompt from the subject, and returns the material shown (the
            texts a reason must not quote).
    """

    system: str
    render: Callable[[Subject], tuple[str, list[str]]]


_CRITERIA_RUBRIC = """You review the output of a clinical-trial eligibility assistant.
It assessed one patient note, criterion by criterion. Statuses: met (the patient satisfies the
criterion's condition; for an exclusion criterion, the patient HAS the excluding condition),
not_met, insufficient_information, not_applicable. Evidence lists sentence numbers of the note.

Check every criterion: is its status supported by the cited sentences and the note? Is any
evidence cited that does not support the status? Ignore style.

Answer with JSON: pass (true when every status is supported), score (share of criteria whose
status is supported, 0 to 1) and reason (at most two sentences naming the criteria at fault by
their id, like C3; never quote or paraphrase the note)."""

_PROTOCOL_RUBRIC = """You review the output of a clinical-trial protocol summariser.
It extracted inclusion and exclusion criteria (ids prefixed I and E), each with the page it
starts on. The text of the cited pages follows, each page marked [page N].

Check every criterion: is it a criterion the protocol states, on the page cited, without words
added or lost that change its meaning? Ignore formatting.

Answer with JSON: pass (true when every criterion is faithful), score (share of faithful
criteria, 0 to 1) and reason (at most two sentences naming the criteria at fault by their id,
like E12; never quote the document)."""


def _criteria_prompt(subject: Subject) -> tuple[str, list[str]]:
    request = CriteriaEvaluatorInput.model_validate(subject.input.model_dump())
    out = CriteriaEvaluation.model_validate(subject.output.model_dump())
    note = "\n".join(f"{i}. {s}" for i, s in enumerate(request.patient_profile))
    items = [
        {"id": f"C{i}", "type": a.type, "criterion": a.criterion, "status": a.status, "evidence": a.evidence}
        for i, a in enumerate(out.criteria)
    ]
    prompt = f"Patient note:\n{note}\n\nAssessments:\n{json.dumps(items, ensure_ascii=False)}"
    return prompt, [*request.patient_profile, *(a.criterion for a in out.criteria)]


def _protocol_prompt(subject: Subject) -> tuple[str, list[str]]:
    out = ProtocolSummary.model_validate(subject.output.model_dump())
    items = [{"id": "I" + c.id, "page": c.page, "text": c.text} for c in out.inclusion_criteria]
    items += [{"id": "E" + c.id, "page": c.page, "text": c.text} for c in out.exclusion_criteria]
    cited = sorted({c["page"] for c in items if isinstance(c["page"], int)})
    pages: list[str] = []
    size = 0
    for page in cited:
        for p in (page, page + 1):  # a criterion may run on to the next page
            if 1 <= p <= len(subject.source_pages) and f"[page {p}]" not in "".join(pages):
                text = f"[page {p}]\n{subject.source_pages[p - 1]}"
                if size + len(text) > MAX_PAGE_CHARS:
                    break
                pages.append(text)
                size += len(text)
    prompt = f"Criteria:\n{json.dumps(items, ensure_ascii=False)}\n\nCited pages:\n" + "\n\n".join(pages)
    return prompt, [*subject.source_pages, *(str(c["text"]) for c in items)]


_RUBRICS: dict[str, Rubric] = {
    "criteria-evaluator": Rubric(_CRITERIA_RUBRIC, _criteria_prompt),
    "protocol-processor": Rubric(_PROTOCOL_RUBRIC, _protocol_prompt),
}


def rubric_for(agent: str) -> Rubric | None:
    """The agent's rubric, or ``None`` when it has none."""
    return _RUBRICS.get(agent)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + QUOTE_WORDS]) for i in range(len(words) - QUOTE_WORDS + 1)}


def _no_quotes(material: Sequence[str]) -> Callable[[JudgeAnswer], None]:
    shown: set[tuple[str, ...]] = set()
    for text in material:
        shown |= _shingles(text)

    def check(answer: JudgeAnswer) -> None:
        if _shingles(answer.reason) & shown:
            raise OutputRejected(
                "the reason quotes the material; name the criteria by id only and do not quote any text"
            )

    return check


def ask(model: StructuredModel, model_id: str, agent: str, subject: Subject) -> Generation[JudgeAnswer]:
    """Ask ``model_id`` to judge ``subject`` by the agent's rubric.

    Args:
        model: The structured-output port.
        model_id: The judge model, ``provider/model``.
        agent: The agent whose output is judged.
        subject: The job's input, output and source pages.

    Returns:
        The answer (its reason cut to 300 characters) with the calls' usage.

    Raises:
        LookupError: The agent has no rubric.
        PermanentError: ``model_output_invalid`` when the answer twice failed the schema or quoted
            the material; the port's other permanent errors.
        TransientError: The port's transient errors (rate limit, unavailable, timeout).
    """
    rubric = rubric_for(agent)
    if rubric is None:
        raise LookupError(f"no rubric for agent {agent}")
    prompt, material = rubric.render(subject)
    generation = model.generate(
        model=model_id, system=rubric.system, prompt=prompt, output=JudgeAnswer, check=_no_quotes(material)
    )
    answer = generation.output
    if len(answer.reason) > _REASON_CHARS:
        answer = answer.model_copy(update={"reason": answer.reason[: _REASON_CHARS - 1] + "…"})
    return Generation(
        output=answer,
        input_tokens=generation.input_tokens,
        output_tokens=generation.output_tokens,
        calls=generation.calls,
        model_calls=generation.model_calls,
    )
