"""The criteria evaluator against a fake StructuredModel port: no HTTP, no SDK."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from pydantic import BaseModel

from common.agents.criteria_evaluator.agent import CriteriaEvaluator
from common.agents.criteria_evaluator.models import CriteriaEvaluation, CriteriaEvaluatorInput
from common.agents.criteria_evaluator.prompt import SYSTEM_PROMPT, CriteriaAnswer, ModelAssessment
from common.agents.registry import load_agent
from common.errors import PermanentError
from common.jobs.models import Usage
from common.llm.port import Generation, OutputCheck, OutputRejected


@dataclass
class FakeContext:
    model: str = "openai/gpt-4o-mini"
    tenant_id: str = "acme"
    job_id: str = "job-1"
    stages: dict[str, float] = field(default_factory=dict[str, float])

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        raise AssertionError("the criteria evaluator reads no documents")

    def record_stage(self, name: str, seconds: float) -> None:
        self.stages[name] = seconds


@dataclass
class FakeModel:
    """Answers with ``answer(prompt)``; honours the port's one-retry contract for ``check``."""

    answer: Callable[[str], CriteriaAnswer]
    calls: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])

    def generate[T: BaseModel](
        self, *, model: str, system: str, prompt: str, output: type[T], check: OutputCheck[T] | None = None
    ) -> Generation[T]:
        for attempt in (1, 2):
            self.calls.append({"model": model, "system": system, "prompt": prompt, "output": output})
            parsed = cast(T, self.answer(prompt))
            try:
                if check is not None:
                    check(parsed)
            except OutputRejected:
                continue
            return Generation(output=parsed, input_tokens=100 * attempt, output_tokens=10 * attempt, calls=attempt)
        raise PermanentError("invalid twice", code="model_output_invalid")


def assessment(i: int, status: str, evidence: list[int] | None = None) -> ModelAssessment:
    return ModelAssessment.model_validate(
        {"criterion_index": i, "explanation": f" because {i} ", "evidence": evidence or [], "status": status}
    )


PAYLOAD = CriteriaEvaluatorInput.model_validate(
    {
        "criteria": [
            {"type": "inclusion", "text": "Patients with cough"},
            {"type": "exclusion", "text": "Pregnant women"},
        ],
        "patient_profile": ["A 31 yo male with cough.", "He has a fever.", "He smokes."],
    }
)


def run(answer: Callable[[str], CriteriaAnswer], payload: BaseModel = PAYLOAD) -> tuple[Any, FakeModel, FakeContext]:
    model, ctx = FakeModel(answer), FakeContext()
    result = CriteriaEvaluator(lambda: model).run(payload, ctx)
    return result, model, ctx


def test_assessments_verdict_usage_and_model() -> None:
    result, model, ctx = run(
        lambda _: CriteriaAnswer(assessments=[assessment(1, "not_met"), assessment(0, "met", [2, 0, 0, 7, -1])])
    )
    output = result.output
    assert isinstance(output, CriteriaEvaluation)
    assert [(a.type, a.criterion, a.status, a.evidence) for a in output.criteria] == [
        ("inclusion", "Patients with cough", "met", [0, 2]),  # sorted, deduplicated, out-of-range dropped
        ("exclusion", "Pregnant women", "not_met", []),
    ]
    assert output.criteria[0].explanation == "because 0"
    assert output.verdict == "eligible"
    assert result.model == "openai/gpt-4o-mini"
    assert result.usage == Usage(input_tokens=100, output_tokens=10, calls=1)
    assert "assess_criteria" in ctx.stages
    [call] = model.calls
    assert call["system"] == SYSTEM_PROMPT and call["output"] is CriteriaAnswer
    assert "0. [inclusion] Patients with cough\n1. [exclusion] Pregnant women" in call["prompt"]
    assert "0. A 31 yo male with cough.\n1. He has a fever.\n2. He smokes." in call["prompt"]


@pytest.mark.parametrize(
    ("statuses", "verdict"),
    [
        (("met", "met"), "ineligible"),  # has the excluding condition
        (("not_met", "not_met"), "ineligible"),
        (("insufficient_information", "not_met"), "insufficient_information"),
        (("met", "insufficient_information"), "eligible"),
    ],
)
def test_the_verdict_is_computed_in_code(statuses: tuple[str, str], verdict: str) -> None:
    result, _, _ = run(lambda _: CriteriaAnswer(assessments=[assessment(0, statuses[0]), assessment(1, statuses[1])]))
    assert result.output.verdict == verdict


def test_a_missing_assessment_is_asked_again() -> None:
    answers = iter(
        [
            CriteriaAnswer(assessments=[assessment(0, "met")]),
            CriteriaAnswer(assessments=[assessment(0, "met"), assessment(1, "not_met")]),
        ]
    )
    result, model, _ = run(lambda _: next(answers))
    assert len(model.calls) == 2
    assert result.usage.calls == 2


@pytest.mark.parametrize(
    "indexes",
    [[0], [0, 1, 2], [0, 0, 1], [1, 1]],
    ids=["missing", "extra", "repeated", "repeated-and-missing"],
)
def test_answers_that_do_not_cover_each_criterion_once_fail_after_a_retry(indexes: list[int]) -> None:
    with pytest.raises(PermanentError) as caught:
        run(lambda _: CriteriaAnswer(assessments=[assessment(i, "met") for i in indexes]))
    assert caught.value.error_code == "model_output_invalid"


def test_no_model_configured_is_a_permanent_error_without_calling_anything() -> None:
    model = FakeModel(lambda _: pytest.fail("no model call expected"))
    built: list[bool] = []

    def factory() -> FakeModel:
        built.append(True)
        return model

    with pytest.raises(PermanentError) as caught:
        CriteriaEvaluator(factory).run(PAYLOAD, FakeContext(model=""))
    assert caught.value.error_code == "model_not_configured"
    assert built == []


def test_text_criteria_are_split_before_prompting() -> None:
    payload = CriteriaEvaluatorInput.model_validate(
        {
            "criteria": "inclusion criteria: \n\n Patients with cough \n\n exclusion criteria: \n\n Pregnant women",
            "patient_profile": ["A 31 yo male with cough."],
        }
    )
    result, model, _ = run(
        lambda _: CriteriaAnswer(assessments=[assessment(0, "met", [0]), assessment(1, "not_met")]), payload
    )
    assert [(a.type, a.criterion) for a in result.output.criteria] == [
        ("inclusion", "Patients with cough"),
        ("exclusion", "Pregnant women"),
    ]
    assert "Return 2 assessments" in model.calls[0]["prompt"]


def test_the_factory_is_called_once_per_agent() -> None:
    made: list[FakeModel] = []

    def factory() -> FakeModel:
        made.append(FakeModel(lambda _: CriteriaAnswer(assessments=[assessment(0, "met"), assessment(1, "met")])))
        return made[-1]

    agent = CriteriaEvaluator(factory)
    agent.run(PAYLOAD, FakeContext())
    agent.run(PAYLOAD, FakeContext())
    assert len(made) == 1 and len(made[0].calls) == 2


def test_the_registry_builds_it_with_no_arguments() -> None:
    agent = load_agent("criteria-evaluator")
    assert isinstance(agent, CriteriaEvaluator)
    assert agent.name == "criteria-evaluator"
    assert agent.input_model is CriteriaEvaluatorInput and agent.output_model is CriteriaEvaluation
    assert agent.input_from_file("gs://b/tenants/acme/inbox/x.json", "1") is None


def test_the_output_schema_explains_exclusion_met() -> None:
    schema = str(CriteriaEvaluation.model_json_schema())
    assert "excluding condition" in schema
