"""The criteria evaluator agent: a patient note and a trial's criteria in, a :class:`CriteriaEvaluation` out.

The model assesses every criterion in one structured-output call; code checks that it answered
each criterion exactly once (else it is asked once more), keeps only evidence sentence numbers that
exist, and derives the verdict (:mod:`common.agents.criteria_evaluator.verdict`). There is no
offline mode: without a model the job fails with ``model_not_configured``.

The model adapter (mirascope and a provider SDK) is imported only when a job runs with a model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from pydantic import BaseModel

from common.agents.base import AgentContext, AgentResult
from common.agents.criteria_evaluator.models import (
    CriteriaEvaluation,
    CriteriaEvaluatorInput,
    CriterionAssessment,
    CriterionInput,
)
from common.agents.criteria_evaluator.prompt import (
    SYSTEM_PROMPT,
    CriteriaAnswer,
    ModelAssessment,
    build_prompt,
    check_one_per_criterion,
)
from common.agents.criteria_evaluator.verdict import verdict
from common.agents.registry import model_not_configured_message
from common.errors import PermanentError
from common.llm.default import ModelFactory, default_model
from common.llm.port import StructuredModel

__all__ = ["CriteriaEvaluator", "ModelFactory"]


class CriteriaEvaluator:
    """Implements :class:`common.agents.base.Agent` for ``criteria-evaluator``.

    Args:
        model_factory: Builds the :class:`~common.llm.port.StructuredModel` on the first run with
            a model. Default: the mirascope adapter configured from ``Settings.from_env()``
            (``AGENTJOBS_MODEL_BASE_URL``, ``AGENTJOBS_MODEL_API_KEY``,
            ``AGENTJOBS_MODEL_TIMEOUT_SECONDS``). Tests inject one pointed at a scripted server.
    """

    name = "criteria-evaluator"
    input_model: type[BaseModel] = CriteriaEvaluatorInput
    output_model: type[BaseModel] = CriteriaEvaluation

    def __init__(self, model_factory: ModelFactory | None = None):
        self._factory = model_factory or default_model
        self._model: StructuredModel | None = None
        self._lock = threading.Lock()

    def input_from_file(self, file_uri: str, generation: str) -> dict[str, object] | None:
        """``None``: the agent takes JSON input only, never inbox files."""
        return None

    def run(self, payload: BaseModel, ctx: AgentContext) -> AgentResult:
        """Assess every criterion against the patient note and derive the verdict.

        Args:
            payload: A :class:`CriteriaEvaluatorInput` (or a model dumping to one).
            ctx: The job's context; ``ctx.model`` is the ``provider/model`` to ask.

        Returns:
            The evaluation, with the model used and the tokens of every call.

        Raises:
            PermanentError: ``model_not_configured`` when ``ctx.model`` is empty;
                ``model_output_invalid`` when the model twice failed to answer every criterion
                exactly once in the schema; ``model_auth_failed``, ``model_not_found``,
                ``model_request_rejected`` from the adapter.
            TransientError: ``model_rate_limited``, ``model_unavailable``, ``model_timeout``.
        """
        request = (
            payload
            if isinstance(payload, CriteriaEvaluatorInput)
            else CriteriaEvaluatorInput.model_validate(payload.model_dump())
        )
        if not ctx.model:
            raise PermanentError(model_not_configured_message(self.name), code="model_not_configured")
        criteria = request.criteria_items()
        started = time.perf_counter()
        generation = self._structured_model().generate(
            model=ctx.model,
            system=SYSTEM_PROMPT,
            prompt=build_prompt(criteria, request.patient_profile),
            output=CriteriaAnswer,
            check=check_one_per_criterion(len(criteria)),
        )
        ctx.record_stage("assess_criteria", time.perf_counter() - started)
        assessments = _assemble(criteria, generation.output.assessments, len(request.patient_profile))
        evaluation = CriteriaEvaluation(criteria=assessments, verdict=verdict((a.type, a.status) for a in assessments))
        return AgentResult(output=evaluation, model=ctx.model, usage=generation.usage())

    def _structured_model(self) -> StructuredModel:
        with self._lock:
            if self._model is None:
                self._model = self._factory()
            return self._model


def _assemble(
    criteria: Sequence[CriterionInput], answers: Sequence[ModelAssessment], sentence_count: int
) -> list[CriterionAssessment]:
    """Assessments in criterion order; evidence limited to sentences that exist.

    ``answers`` holds exactly one assessment per criterion index (the port's check enforced it).
    """
    by_index = {a.criterion_index: a for a in answers}
    out: list[CriterionAssessment] = []
    for i, criterion in enumerate(criteria):
        answer = by_index[i]
        evidence = sorted({n for n in answer.evidence if 0 <= n < sentence_count})
        out.append(
            CriterionAssessment(
                criterion=criterion.text,
                type=criterion.type,
                status=answer.status,
                evidence=evidence,
                explanation=answer.explanation.strip(),
            )
        )
    return out
