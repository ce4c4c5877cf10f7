"""Worst-case cost of a job, estimated at admission from its input, before anything runs.

The estimate is what admission reserves against the budget; settlement replaces it with the
actual cost. Per agent:

* ``protocol-processor``: the page selection sends at most
  :data:`~common.agents.protocol_processor.page_selection.DEFAULT_MAX_TOKENS` estimated tokens of
  page text (plus the system prompt and page markers), whatever the PDF: that cap is its input.
* ``criteria-evaluator``: its prompt is built from the request itself (criteria and note), so
  the input is that prompt's estimated tokens; its output grows with the criteria count
  (:data:`OUTPUT_TOKENS_PER_CRITERION` each), capped by the model's max output tokens.
* other agents, and jobs without a model (offline rules): no model cost.

A structured-output call may be asked once more when its output is invalid
(:mod:`common.llm.mirascope_adapter`), and the second call re-sends the first answer. So the
worst case is two calls: input ``2 x input + output``, output ``2 x output``, priced with the
tenant's override or genai-prices' list price in force now (:func:`common.costs.price_call`).
Token counts of text are ``ceil(chars / 4)``; a document that tokenises denser than that is the
"estimation error" that settlement records as overrun.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from common.costs.model_ids import split_model_id
from common.costs.models import PriceOverride
from common.costs.pricing import price_call
from common.jobs.models import ModelCall
from common.plans.models import DEFAULT_MAX_OUTPUT_TOKENS, Limits

__all__ = [
    "ATTEMPTS_PER_GENERATION",
    "OUTPUT_TOKENS_PER_CRITERION",
    "TokenEstimate",
    "estimate_tokens",
    "worst_case_usd",
]

ATTEMPTS_PER_GENERATION = 2
"""Model calls one structured generation may make (the first, and one correction)."""
OUTPUT_TOKENS_PER_CRITERION = 256
"""Output tokens assumed per criterion assessment (status, evidence, one or two sentences)."""
_CORRECTION_TOKENS = 64
_PAGE_MARKER_TOKENS = 12


@dataclass(frozen=True, slots=True)
class TokenEstimate:
    """Tokens of one generation's first call.

    Attributes:
        input_tokens: Prompt and system prompt (tokens).
        output_tokens: Most output expected (tokens).
    """

    input_tokens: int
    output_tokens: int

    def worst_case(self) -> tuple[int, int]:
        """``(input, output)`` tokens over :data:`ATTEMPTS_PER_GENERATION` calls."""
        retry_input = self.input_tokens + self.output_tokens + _CORRECTION_TOKENS
        return (
            self.input_tokens + (ATTEMPTS_PER_GENERATION - 1) * retry_input,
            ATTEMPTS_PER_GENERATION * self.output_tokens,
        )


def _chars_to_tokens(chars: int) -> int:
    return -(-chars // 4)


def _protocol_processor(_input: Mapping[str, Any], max_output: int) -> TokenEstimate:
    from common.agents.protocol_processor.page_selection import DEFAULT_MAX_PAGES, DEFAULT_MAX_TOKENS
    from common.agents.protocol_processor.prompt import SYSTEM_PROMPT

    overhead = _chars_to_tokens(len(SYSTEM_PROMPT)) + DEFAULT_MAX_PAGES * _PAGE_MARKER_TOKENS + 200
    return TokenEstimate(DEFAULT_MAX_TOKENS + overhead, max_output)


def _criteria_evaluator(job_input: Mapping[str, Any], max_output: int) -> TokenEstimate:
    from common.agents.criteria_evaluator.models import CriteriaEvaluatorInput
    from common.agents.criteria_evaluator.prompt import SYSTEM_PROMPT, build_prompt

    request = CriteriaEvaluatorInput.model_validate(dict(job_input))
    criteria = request.criteria_items()
    prompt = build_prompt(criteria, request.patient_profile)
    output = min(max_output, _CORRECTION_TOKENS + OUTPUT_TOKENS_PER_CRITERION * len(criteria))
    return TokenEstimate(_chars_to_tokens(len(SYSTEM_PROMPT) + len(prompt)), output)


_ESTIMATORS: dict[str, Callable[[Mapping[str, Any], int], TokenEstimate]] = {
    "protocol-processor": _protocol_processor,
    "criteria-evaluator": _criteria_evaluator,
}


def estimate_tokens(agent: str, job_input: Mapping[str, Any], limits: Limits) -> TokenEstimate | None:
    """The first call's tokens for a job of ``agent``, or ``None`` when the agent calls no model.

    Args:
        agent: Agent name.
        job_input: The job's validated input.
        limits: The plan's limits for the job's model (``max_output_tokens``).

    Raises:
        ValueError: The input does not validate (callers validate first).
    """
    estimator = _ESTIMATORS.get(agent)
    if estimator is None:
        return None
    return estimator(job_input, limits.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS)


def worst_case_usd(
    tokens: TokenEstimate, model: str, *, now: datetime, overrides: Sequence[PriceOverride] = ()
) -> Decimal | None:
    """The worst-case USD of a generation with ``tokens`` on ``model`` at ``now``; ``None`` when unpriced."""
    provider, request_model = split_model_id(model)
    input_tokens, output_tokens = tokens.worst_case()
    call = ModelCall(
        provider=provider,
        request_model=request_model,
        response_model=None,
        requested_at=now,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
    )
    return price_call(call, overrides).total_usd
