"""Scorers: ``pydantic-evals`` evaluators for agent outputs.

An evaluator returns assertions (``bool``), scores (``float``) and labels (``str``), by name:

* :class:`FieldEquals`: a field equals the expected value (optionally normalised, e.g. a phase);
* :class:`FuzzyMatch`: a text field's token overlap with the expected text reaches a threshold
  (:func:`common.evaluation.token_overlap`);
* :class:`FuzzyList`: precision and recall of a list of texts against the expected list, pairs
  matched one-to-one by token overlap (:func:`common.evaluation.score_criteria`);
* :class:`StatusAccuracy`: the share of criteria whose status equals the physicians';
* :class:`DeterministicJudges`: every deterministic judge of the agent (:mod:`common.judges`),
  one assertion each;
* :class:`LlmRubric`: the LLM judge (:mod:`common.judges.llm`) with the model given, when one is
  configured.

Writing a scorer: subclass ``pydantic_evals.evaluators.Evaluator`` as a dataclass, implement
``evaluate(ctx)`` reading ``ctx.output`` (an :class:`~common.evals.models.EvalOutput`),
``ctx.expected_output`` and ``ctx.inputs``, and add it to :data:`SCORERS` so dataset files can
name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext, EvaluatorOutput

from common.evals.models import EvalInputs, EvalOutput
from common.evaluation import score_criteria, token_overlap

__all__ = [
    "SCORERS",
    "DeterministicJudges",
    "FieldEquals",
    "FuzzyList",
    "FuzzyMatch",
    "LlmRubric",
    "StatusAccuracy",
    "values_at",
]

Ctx = EvaluatorContext[EvalInputs, EvalOutput, dict[str, Any]]


def values_at(data: Any, path: str) -> list[Any]:
    """Values at a dotted path; ``a[]`` walks a list, ``a.*`` the values of a mapping.

    Example: ``values_at(summary, "objectives[].text")``; ``values_at(summary, "endpoints.*")``
    gives the endpoint texts of every level, flattened.
    """
    current: list[Any] = [data]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in current:
            if part == "*":
                if isinstance(item, dict):
                    nxt.extend(cast(dict[str, Any], item).values())
                continue
            key, walk = (part[:-2], True) if part.endswith("[]") else (part, False)
            value = cast(dict[str, Any], item).get(key) if isinstance(item, dict) else None
            if value is None:
                continue
            if walk and isinstance(value, list):
                nxt.extend(cast(list[Any], value))
            else:
                nxt.append(value)
        current = nxt
    flat: list[Any] = []
    for item in current:  # "a.*" over lists of values gives the values themselves
        flat.extend(cast(list[Any], item) if isinstance(item, list) else [item])
    return flat


def _texts(values: list[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        if isinstance(v, dict):
            item = cast(dict[str, Any], v)
            if "text" in item:
                out.append(str(item["text"]))
        elif v is not None:
            out.append(str(v))
    return out


def _expected(ctx: Ctx, field: str) -> Any:
    expected = ctx.expected_output
    return cast(dict[str, Any], expected).get(field) if isinstance(expected, dict) else None


@dataclass(repr=False)
class FieldEquals(Evaluator[EvalInputs, Any, dict[str, Any]]):
    """``output[field]`` equals ``value`` (default: the expected output's ``field``).

    Attributes:
        field: Dotted path into the output.
        value: The expected value; ``None`` reads ``expected_output[field]``.
        normalise: ``"phase"`` compares trial phases normalised (``Phase II Trial`` = ``Phase 2``).
    """

    field: str
    value: Any = None
    normalise: str | None = None

    def evaluate(self, ctx: Ctx) -> EvaluatorOutput:  # noqa: D102 - see the class docstring
        expected = self.value if self.value is not None else _expected(ctx, self.field)
        found = values_at(ctx.output.output, self.field)
        actual = found[0] if found else None
        if self.normalise == "phase":
            from common.protocols.phase import normalise_phase

            expected = normalise_phase(str(expected)) if expected else None
            actual = normalise_phase(str(actual)) if actual else None
        return {f"{self.field}.equals": EvaluationReason(actual == expected, f"{actual!r} vs {expected!r}")}


@dataclass(repr=False)
class FuzzyMatch(Evaluator[EvalInputs, Any, dict[str, Any]]):
    """Token overlap of ``output[field]`` with the expected text reaches ``threshold``."""

    field: str
    value: str | None = None
    threshold: float = 0.6

    def evaluate(self, ctx: Ctx) -> EvaluatorOutput:  # noqa: D102 - see the class docstring
        expected = self.value if self.value is not None else _expected(ctx, self.field)
        found = _texts(values_at(ctx.output.output, self.field))
        if not expected:
            return {}
        ratio = token_overlap(found[0], str(expected)) if found else 0.0
        return {
            f"{self.field}.fuzzy": EvaluationReason(ratio >= self.threshold, f"overlap {ratio:.2f}"),
            f"{self.field}.overlap": round(ratio, 4),
        }


@dataclass(repr=False)
class FuzzyList(Evaluator[EvalInputs, Any, dict[str, Any]]):
    """Precision and recall of the texts at ``output_path`` against ``expected_output[field]``.

    Attributes:
        field: Name in the expected output (and the default output path).
        output_path: Dotted path of the predicted items (see :func:`values_at`); items that are
            objects contribute their ``text``.
        threshold: Least token overlap for a pair to match.
    """

    field: str
    output_path: str | None = None
    threshold: float = 0.5

    def evaluate(self, ctx: Ctx) -> EvaluatorOutput:  # noqa: D102 - see the class docstring
        expected = _expected(ctx, self.field)
        if not isinstance(expected, list):
            return {}
        predicted = _texts(values_at(ctx.output.output, self.output_path or self.field))
        score = score_criteria(predicted, [str(e) for e in cast(list[Any], expected)], threshold=self.threshold)
        return {f"{self.field}.recall": round(score.recall, 4), f"{self.field}.precision": round(score.precision, 4)}


@dataclass(repr=False)
class StatusAccuracy(Evaluator[EvalInputs, Any, dict[str, Any]]):
    """Share of criteria whose status equals ``expected_output["statuses"]`` (same order)."""

    def evaluate(self, ctx: Ctx) -> EvaluatorOutput:  # noqa: D102 - see the class docstring
        expected = _expected(ctx, "statuses")
        if not isinstance(expected, list) or not expected:
            return {}
        predicted = [str(s) for s in values_at(ctx.output.output, "criteria[].status")]
        gold = [str(s) for s in cast(list[Any], expected)]
        right = sum(1 for p, g in zip(predicted, gold, strict=False) if p == g)
        return {"status_accuracy": round(right / len(gold), 4)}


@dataclass(repr=False)
class DeterministicJudges(Evaluator[EvalInputs, Any, dict[str, Any]]):
    """One assertion per deterministic judge of the case's agent; judges needing pages are skipped without them."""

    def evaluate(self, ctx: Ctx) -> EvaluatorOutput:  # noqa: D102 - see the class docstring
        from common.agents.registry import load_agent
        from common.judges.base import Subject
        from common.judges.registry import deterministic_judges

        agent = load_agent(ctx.inputs.agent)
        payload = dict(ctx.inputs.input)
        if ctx.inputs.document is not None and "file_uri" not in payload:
            payload["file_uri"] = "gs://local/tenants/eval/" + ctx.inputs.document.rsplit("/", 1)[-1]
        subject = Subject(
            input=agent.input_model.model_validate(payload),
            output=agent.output_model.model_validate(ctx.output.output),
            source_pages=ctx.output.source_pages,
        )
        out: dict[str, EvaluationReason] = {}
        for spec in deterministic_judges(ctx.inputs.agent):
            if spec.needs_source and not subject.source_pages:
                continue
            check = spec.check(subject)
            out[f"judge.{spec.name}"] = EvaluationReason(check.passed, check.reason)
        return dict(out)


@dataclass(repr=False)
class LlmRubric(Evaluator[EvalInputs, Any, dict[str, Any]]):
    """The LLM judge's verdict with ``model`` (``provider/model``), through :mod:`common.llm`."""

    model: str

    def evaluate(self, ctx: Ctx) -> EvaluatorOutput:  # noqa: D102 - see the class docstring
        from common.agents.registry import load_agent
        from common.judges.base import Subject
        from common.judges.llm import ask
        from common.llm.default import default_model

        agent = load_agent(ctx.inputs.agent)
        payload = dict(ctx.inputs.input)
        if ctx.inputs.document is not None and "file_uri" not in payload:
            payload["file_uri"] = "gs://local/tenants/eval/document.pdf"
        subject = Subject(
            input=agent.input_model.model_validate(payload),
            output=agent.output_model.model_validate(ctx.output.output),
            source_pages=ctx.output.source_pages,
        )
        answer = ask(default_model(), self.model, ctx.inputs.agent, subject).output
        return {
            "llm_judge.pass": EvaluationReason(answer.passed, answer.reason),
            "llm_judge.score": round(answer.score, 4),
        }


SCORERS: tuple[type[Evaluator[EvalInputs, Any, dict[str, Any]]], ...] = (
    FieldEquals,
    FuzzyMatch,
    FuzzyList,
    StatusAccuracy,
    DeterministicJudges,
    LlmRubric,
)
"""The scorers a dataset file may name (``evaluators: [{FuzzyMatch: {field: title}}]``)."""
